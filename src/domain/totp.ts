// TOTP secrets are Base32 (RFC 4648). People copy them from provisioning screens in groups of four,
// in lower case or with `=` padding; all of that is forgiven and the secret is stored normalised.

export type TotpNormalization = { kind: 'ok'; value: string | null } | { kind: 'invalid'; message: string };

export const MAX_TOTP_SECRET_LENGTH = 256;

const BASE32 = /^[A-Z2-7]+$/;
// RFC 4648 encodes whole bytes, so 1, 3 or 6 characters past a multiple of 8 cannot occur.
const IMPOSSIBLE_REMAINDERS: ReadonlySet<number> = new Set([1, 3, 6]);

/**
 * Normalises a TOTP secret to upper case without spaces or padding; blank means "no TOTP" (null).
 * Messages never contain the secret or any character of it.
 */
export function normalizeTotpSecret(input: string | null | undefined): TotpNormalization {
  if (input === null || input === undefined) return { kind: 'ok', value: null };
  if (BASE32.test(input) && !IMPOSSIBLE_REMAINDERS.has(input.length % 8) && input.length <= MAX_TOTP_SECRET_LENGTH) {
    return { kind: 'ok', value: input }; // already normalised, as stored secrets are
  }
  const compact = input.replace(/ /g, '').toUpperCase();
  if (compact === '') return { kind: 'ok', value: null };
  const value = compact.replace(/=+$/, '');
  if (value === '' || !BASE32.test(value)) {
    return {
      kind: 'invalid',
      message:
        'totp_secret is not a Base32 secret: use only the letters A–Z and the digits 2–7 (spaces and trailing = are ignored), or leave the cell empty for no TOTP',
    };
  }
  if (IMPOSSIBLE_REMAINDERS.has(value.length % 8)) {
    return {
      kind: 'invalid',
      message:
        'totp_secret is not valid Base32: no Base32 secret has that many characters, so one is probably missing or extra',
    };
  }
  if (value.length > MAX_TOTP_SECRET_LENGTH) {
    return { kind: 'invalid', message: `totp_secret is longer than ${MAX_TOTP_SECRET_LENGTH} characters` };
  }
  return { kind: 'ok', value };
}
