/** The current time as stored: ISO-8601 UTC text on both backends. */
export function nowIso(): string {
  return new Date().toISOString();
}
