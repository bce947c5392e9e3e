// The one field validation of a credential entry, shared by the CSV import and the REST API, so a
// value accepted in one place is accepted in the other. Messages name the column and say what to
// fix; they quote plain fields but never a password or TOTP secret.
import { normalizeTotpSecret } from './totp.ts';

export const MAX_TEXT_LENGTH = 255;
export const MAX_PASSWORD_LENGTH = 1024;

export type EntryColumn = 'username' | 'domain' | 'display_name' | 'auth_username' | 'auth_password' | 'totp_secret';

/** An entry's values as they are stored: text trimmed, password verbatim, TOTP normalised or null. */
export interface EntryFields {
  username: string;
  domain: string;
  displayName: string;
  authUsername: string;
  password: string;
  totpSecret: string | null;
}

/** Raw values, named like the CSV columns (and the API's JSON fields). */
export interface EntryFieldsInput {
  username: string;
  domain: string;
  display_name: string;
  auth_username: string;
  auth_password?: string | null;
  totp_secret?: string | null;
}

export interface ValidateEntryOptions {
  /** Default true. False lets an API edit keep the current password: an absent or blank one is `null`. */
  passwordRequired?: boolean;
}

export type EntryValidation<F = EntryFields> =
  { kind: 'ok'; fields: F } | { kind: 'invalid'; column: EntryColumn; message: string };

export type EntryFieldsWithoutPassword = Omit<EntryFields, 'password'> & { password: string | null };

/**
 * Validates and normalises one entry's fields; reports the first problem in column order.
 * Never throws for bad values.
 */
export function validateEntryFields(
  input: EntryFieldsInput,
  opts?: ValidateEntryOptions & { passwordRequired?: true },
): EntryValidation<EntryFields>;
export function validateEntryFields(
  input: EntryFieldsInput,
  opts: ValidateEntryOptions,
): EntryValidation<EntryFieldsWithoutPassword>;
export function validateEntryFields(
  input: EntryFieldsInput,
  opts: ValidateEntryOptions = {},
): EntryValidation<EntryFieldsWithoutPassword> {
  // The checks return the value or an Invalid: no wrapper per field, as imports run this per row.
  const username = checkText('username', input.username);
  if (typeof username !== 'string') return username;
  const domain = checkText('domain', input.domain);
  if (typeof domain !== 'string') return domain;
  if (/\s/.test(domain)) {
    return invalid(
      'domain',
      `domain ${quote(domain)} contains a space; a SIP domain is one word such as sip.example.com`,
    );
  }
  const displayName = checkText('display_name', input.display_name);
  if (typeof displayName !== 'string') return displayName;
  const authUsername = checkText('auth_username', input.auth_username);
  if (typeof authUsername !== 'string') return authUsername;

  const password = checkPassword(input.auth_password, opts.passwordRequired ?? true);
  if (isInvalid(password)) return password;

  const totpSecret = checkTotp(input.totp_secret);
  if (isInvalid(totpSecret)) return totpSecret;

  return { kind: 'ok', fields: { username, domain, displayName, authUsername, password, totpSecret } };
}

interface Invalid {
  kind: 'invalid';
  column: EntryColumn;
  message: string;
}

function isInvalid(value: string | null | Invalid): value is Invalid {
  return typeof value === 'object' && value !== null;
}

function invalid(column: EntryColumn, message: string): Invalid {
  return { kind: 'invalid', column, message };
}

function checkText(column: EntryColumn, raw: string | null | undefined): string | Invalid {
  const value = raw ?? '';
  const control = findControlCharacter(value);
  if (control >= 0) return invalid(column, controlCharacterMessage(column, value, control));
  const trimmed = value.trim();
  if (trimmed === '') return invalid(column, missingValueMessage(column));
  if (looksLikeScientificNotation(trimmed)) return invalid(column, scientificNotationMessage(column, trimmed));
  if (exceedsLength(trimmed, MAX_TEXT_LENGTH)) {
    return invalid(column, `${column} is longer than ${MAX_TEXT_LENGTH} characters; shorten it`);
  }
  return trimmed;
}

function checkPassword(raw: string | null | undefined, required: boolean): string | null | Invalid {
  const value = raw ?? '';
  if (value.trim() === '') return required ? invalid('auth_password', missingValueMessage('auth_password')) : null;
  const control = findControlCharacter(value);
  if (control >= 0) return invalid('auth_password', controlCharacterMessage('auth_password', value, control));
  if (looksLikeScientificNotation(value.trim())) {
    return invalid('auth_password', scientificNotationMessage('auth_password', null));
  }
  if (exceedsLength(value, MAX_PASSWORD_LENGTH)) {
    return invalid('auth_password', `auth_password is longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
  return value;
}

function checkTotp(raw: string | null | undefined): string | null | Invalid {
  const value = raw ?? '';
  if (value === '') return null;
  const control = findControlCharacter(value);
  if (control >= 0) return invalid('totp_secret', controlCharacterMessage('totp_secret', value, control));
  if (looksLikeScientificNotation(value.trim())) {
    return invalid('totp_secret', scientificNotationMessage('totp_secret', null));
  }
  const normalized = normalizeTotpSecret(value);
  return normalized.kind === 'invalid' ? invalid('totp_secret', normalized.message) : normalized.value;
}

export function missingValueMessage(column: string): string {
  return `missing value for ${column}`;
}

function exceedsLength(value: string, max: number): boolean {
  // UTF-16 length is an upper bound of the character count: count code points only when needed.
  if (value.length <= max) return false;
  let count = 0;
  for (const _ of value) {
    if (++count > max) return true;
  }
  return false;
}

/**
 * Index of the first control character (C0, DEL, C1, or the Unicode line and paragraph
 * separators), or -1. Tabs and line breaks are control characters here: no field may hold one.
 */
export function findControlCharacter(value: string): number {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return i;
  }
  return -1;
}

function nameControlCharacter(code: number): string {
  switch (code) {
    case 0x09:
      return 'a tab';
    case 0x0a:
    case 0x0d:
    case 0x2028:
    case 0x2029:
      return 'a line break';
    case 0x00:
      return 'a NUL character';
    default:
      return `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
}

/** Names the character but never shows the value (it may be a secret). */
export function controlCharacterMessage(column: string, value: string, index: number): string {
  return `${column} contains ${nameControlCharacter(value.charCodeAt(index))}; remove it (no cell may contain tabs, line breaks or other control characters)`;
}

// What Excel and LibreOffice write for a long number in a General cell: one digit, an optional
// fraction (`.` or `,` by locale), and a signed exponent: 4.9E+11, 4,9E+11, 1E+15.
const SCIENTIFIC_NOTATION = /^[+-]?\d(?:[.,]\d+)?E[+-]\d{1,3}$/i;

/** True for a value that looks like a spreadsheet showed a long number in scientific notation. */
export function looksLikeScientificNotation(value: string): boolean {
  // Most cells have no E at all: skip the regular expression for them.
  return (value.includes('E') || value.includes('e')) && SCIENTIFIC_NOTATION.test(value);
}

/** `shown` is the value to quote, or null for a secret that must not be repeated. */
export function scientificNotationMessage(column: string, shown: string | null): string {
  const what = shown === null ? column : `${column} ${quote(shown)}`;
  return `${what} looks like a number a spreadsheet turned into scientific notation, which loses its digits; format the ${column} column as Text, re-enter the full value and save as CSV UTF-8 again`;
}

export function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}
