import { describe, it, expect } from 'vitest';
import { normalizeTotpSecret } from '../../src/domain/totp.ts';

describe('normalizeTotpSecret', () => {
  const accepted: Array<[string, string | null]> = [
    ['JBSWY3DPEHPK3PXP', 'JBSWY3DPEHPK3PXP'],
    ['jbswy3dpehpk3pxp', 'JBSWY3DPEHPK3PXP'],
    ['jbsw y3dp ehpk 3pxp', 'JBSWY3DPEHPK3PXP'],
    ['  JBSW Y3DP EHPK 3PXP  ', 'JBSWY3DPEHPK3PXP'],
    ['MZXW6===', 'MZXW6'],
    ['mzxw 6= ==', 'MZXW6'],
    ['GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'],
    ['', null],
    ['   ', null],
  ];
  for (const [input, value] of accepted) {
    it(`accepts ${JSON.stringify(input)} as ${JSON.stringify(value)} (case, spaces and = padding forgiven)`, () => {
      expect(normalizeTotpSecret(input)).toEqual({ kind: 'ok', value });
    });
  }

  it('treats null and undefined as no TOTP', () => {
    expect(normalizeTotpSecret(null)).toEqual({ kind: 'ok', value: null });
    expect(normalizeTotpSecret(undefined)).toEqual({ kind: 'ok', value: null });
  });

  const rejected = [
    'JBSWY3DP0HPK3PXP', // 0 is not Base32
    'JBSWY3DP1HPK3PXP', // nor 1
    'JBSWY3DP8HPK3PXP', // nor 8
    'JBSWY3DP-EHPK-3PXP', // dashes are not forgiven
    'JBSW=Y3DP', // padding only at the end
    '====', // padding only
    'JBSWY3DPE', // 9 characters: 1 past a multiple of 8, no Base32 text has that length
    'ÄBCDEFGH',
    'a'.repeat(264),
  ];
  for (const input of rejected) {
    it(`rejects ${JSON.stringify(input.length > 20 ? `${input.slice(0, 20)}…` : input)} without repeating it`, () => {
      const result = normalizeTotpSecret(input);
      expect(result.kind).toBe('invalid');
      if (result.kind === 'invalid') {
        expect(result.message).toMatch(/^totp_secret /);
        expect(result.message.toUpperCase()).not.toContain(input.toUpperCase().slice(0, 8));
      }
    });
  }
});
