import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatExportLine } from '../../src/app/export.ts';
import { openBatchCodec } from '../../src/app/import/secret-batches.ts';
import { parseMasterKey, SecretCipher } from '../../src/crypto/secret-cipher.ts';
import { formatExportRow, type ExportRecord } from '../../src/domain/csv-format.ts';

// The export's and the import's fast paths must give exactly what the slow, obvious ones give.

const record = fc.record({
  setId: fc.integer({ min: 1, max: 2147483647 }),
  entryId: fc.integer({ min: 1, max: 2147483647 }),
  username: fc.string(),
  domain: fc.string({ unit: 'grapheme' }),
  displayName: fc.oneof(fc.string(), fc.constantFrom('a,b', 'q"q', 'x\ny', 'x\r\ny', '\r', ' lead', '')),
  authUsername: fc.string({ unit: 'binary' }),
  password: fc.oneof(fc.string({ unit: 'grapheme' }), fc.constantFrom('"', '""', ',', '+0012', ' sp ')),
  totpSecret: fc.option(fc.string(), { nil: null }),
}) satisfies fc.Arbitrary<ExportRecord>;

describe('export rows', () => {
  it('are byte for byte what the domain’s csv-stringify writer produces', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(formatExportLine(r)).toBe(formatExportRow(r));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('batched secrets', () => {
  const key = randomBytes(32).toString('base64');
  const cipher = new SecretCipher([parseMasterKey(key, 'test key')]);

  it.each([false, true])('round-trip with the SecretCipher in both directions (offload %s)', async (offload) => {
    const codec = openBatchCodec(cipher, { masterKey: key, masterKeyFile: '/nonexistent' }, { offload });
    try {
      expect(codec.encryptMany).toBeTypeOf('function');
      const plain = Array.from({ length: 500 }, (_, i) => (i % 4 === 0 ? null : `sécret-${i}-"q",`));
      const enc = await codec.encryptMany!(42, plain);
      expect(new Set(enc.filter(Boolean)).size).toBe(375); // a fresh nonce each
      enc.forEach((e, i) => expect(e === null ? null : cipher.decrypt(e, 42)).toBe(plain[i]));
      const theirs = plain.map((p) => (p === null ? null : cipher.encrypt(p, 42)));
      expect(await codec.decryptMany!(42, theirs)).toEqual(plain);
      // Bound to the account: another account's ciphertext fails as SecretCipher fails.
      await expect(codec.decryptMany!(43, theirs)).rejects.toThrow(/failed authentication/);
    } finally {
      codec.close();
    }
  });

  it('falls back to the SecretCipher alone when the configured keys are not its keys', async () => {
    const own = new SecretCipher([parseMasterKey(randomBytes(32).toString('base64'), 'own key')]);
    const other = randomBytes(32).toString('base64');
    const codec = openBatchCodec(own, { masterKey: other, masterKeyFile: '/nonexistent' });
    expect(codec.encryptMany).toBeUndefined();
    expect(own.decrypt(codec.encrypt('x', 1), 1)).toBe('x');
    codec.close();
  });
});
