import { describe, it, expect } from 'vitest';
import {
  MAX_PASSWORD_LENGTH,
  MAX_TEXT_LENGTH,
  looksLikeScientificNotation,
  validateEntryFields,
  type EntryFieldsInput,
} from '../../src/domain/entry-validation.ts';

const valid: EntryFieldsInput = {
  username: '1001',
  domain: 'sip.example.com',
  display_name: 'Reception',
  auth_username: '1001',
  auth_password: 'pw-SECRET',
  totp_secret: '',
};

function problem(input: Partial<EntryFieldsInput>) {
  const result = validateEntryFields({ ...valid, ...input });
  if (result.kind !== 'invalid') throw new Error('expected invalid');
  return result;
}

describe('validateEntryFields (shared by CSV import and the REST API)', () => {
  it('trims the text fields, keeps the password verbatim and normalises the TOTP secret', () => {
    expect(
      validateEntryFields({
        username: ' 1001 ',
        domain: ' sip.example.com ',
        display_name: ' Front desk ',
        auth_username: ' 1001',
        auth_password: ' p w ',
        totp_secret: 'jbsw y3dp ehpk 3pxp',
      }),
    ).toEqual({
      kind: 'ok',
      fields: {
        username: '1001',
        domain: 'sip.example.com',
        displayName: 'Front desk',
        authUsername: '1001',
        password: ' p w ',
        totpSecret: 'JBSWY3DPEHPK3PXP',
      },
    });
  });

  it('keeps non-ASCII, leading + and leading zeros as they are', () => {
    const result = validateEntryFields({ ...valid, username: '+0049 301', display_name: 'Müller – 受付 😀' });
    expect(result).toMatchObject({ kind: 'ok', fields: { username: '+0049 301', displayName: 'Müller – 受付 😀' } });
  });

  const missing: Array<[keyof EntryFieldsInput, string]> = [
    ['username', ''],
    ['domain', '  '],
    ['display_name', ''],
    ['auth_username', '\u00a0'],
    ['auth_password', ''],
    ['auth_password', ' \u00a0 '],
  ];
  for (const [column, value] of missing) {
    it(`a blank ${column} (${JSON.stringify(value)}) is "missing value for ${column}"`, () => {
      expect(problem({ [column]: value })).toEqual({ kind: 'invalid', column, message: `missing value for ${column}` });
    });
  }

  it('a missing (undefined) password is missing unless the caller allows keeping the current one', () => {
    const { auth_password: _omit, ...withoutPassword } = valid;
    expect(validateEntryFields(withoutPassword)).toMatchObject({ kind: 'invalid', column: 'auth_password' });
    expect(validateEntryFields(withoutPassword, { passwordRequired: false })).toMatchObject({
      kind: 'ok',
      fields: { password: null },
    });
    expect(validateEntryFields({ ...valid, auth_password: '  ' }, { passwordRequired: false })).toMatchObject({
      kind: 'ok',
      fields: { password: null },
    });
  });

  it('reports the first problem in column order', () => {
    expect(problem({ domain: '', auth_password: '' }).column).toBe('domain');
  });

  const controls: Array<[keyof EntryFieldsInput, string, string]> = [
    ['username', '10\t01', 'a tab'],
    ['domain', 'sip.example.com\n', 'a line break'],
    ['display_name', 'a\rb', 'a line break'],
    ['auth_username', '\u00001001', 'a NUL character'],
    ['auth_password', 'pw\u2028SECRET', 'a line break'],
    ['auth_password', 'pw\u007fSECRET', 'the control character U+007F'],
    ['display_name', 'x\u0085y', 'the control character U+0085'],
    ['totp_secret', 'JBSWY3DP\tEHPK3PXP', 'a tab'],
  ];
  for (const [column, value, name] of controls) {
    it(`${column} with ${name} fails, naming the column but not the value`, () => {
      const result = problem({ [column]: value });
      expect(result.column).toBe(column);
      expect(result.message).toBe(
        `${column} contains ${name}; remove it (no cell may contain tabs, line breaks or other control characters)`,
      );
    });
  }

  it(`text longer than ${MAX_TEXT_LENGTH} characters fails; the limit counts characters, not UTF-16 units`, () => {
    expect(problem({ display_name: 'x'.repeat(MAX_TEXT_LENGTH + 1) }).message).toBe(
      `display_name is longer than ${MAX_TEXT_LENGTH} characters; shorten it`,
    );
    expect(validateEntryFields({ ...valid, display_name: 'x'.repeat(MAX_TEXT_LENGTH) }).kind).toBe('ok');
    expect(validateEntryFields({ ...valid, display_name: '😀'.repeat(MAX_TEXT_LENGTH) }).kind).toBe('ok');
  });

  it(`a password longer than ${MAX_PASSWORD_LENGTH} characters fails`, () => {
    expect(validateEntryFields({ ...valid, auth_password: 'p'.repeat(MAX_PASSWORD_LENGTH) }).kind).toBe('ok');
    expect(problem({ auth_password: 'p'.repeat(MAX_PASSWORD_LENGTH + 1) }).message).toBe(
      `auth_password is longer than ${MAX_PASSWORD_LENGTH} characters`,
    );
  });

  it('a domain with a space inside fails', () => {
    expect(problem({ domain: 'sip example.com' }).column).toBe('domain');
  });

  it('scientific notation from a spreadsheet fails with how to fix the cell', () => {
    expect(problem({ username: '4.9E+11' }).message).toBe(
      'username "4.9E+11" looks like a number a spreadsheet turned into scientific notation, which loses its digits; format the username column as Text, re-enter the full value and save as CSV UTF-8 again',
    );
    expect(problem({ auth_password: '4,9E+11' }).message).toBe(
      'auth_password looks like a number a spreadsheet turned into scientific notation, which loses its digits; format the auth_password column as Text, re-enter the full value and save as CSV UTF-8 again',
    );
  });

  const notation: Array<[string, boolean]> = [
    ['4.9E+11', true],
    ['4,9E+11', true],
    ['1E+15', true],
    ['1.23457E+19', true],
    ['-4.9E+11', true],
    ['4.9E-05', true],
    ['4.9e+11', true],
    ['49E+11', false],
    ['1e5', false],
    ['E+11', false],
    ['4.9E+11x', false],
    ['12E3 desk', false],
    ['sip.example.com', false],
  ];
  for (const [value, expected] of notation) {
    it(`${JSON.stringify(value)} ${expected ? 'looks' : 'does not look'} like scientific notation`, () => {
      expect(looksLikeScientificNotation(value)).toBe(expected);
    });
  }
});
