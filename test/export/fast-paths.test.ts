import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatExportLine } from '../../src/app/export.ts';
import { openBatchCodec } from '../../src/crypto/secret-batches.ts';
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
    const codec = openBatchCodec(cipher, { offload });
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

  it('hands a ciphertext under a key the batch does not know to the SecretCipher, which reloads its keyring', async () => {
    const oldKey = parseMasterKey(randomBytes(32).toString('base64'), 'old key');
    const newKey = parseMasterKey(randomBytes(32).toString('base64'), 'new key');
    const rotated = new SecretCipher([newKey, oldKey]);
    const theirs = Array.from({ length: 200 }, (_, i) => rotated.encrypt(`s-${i}`, 5));
    let keyring = [oldKey];
    const stale = new SecretCipher([oldKey], () => keyring);
    const codec = openBatchCodec(stale);
    try {
      keyring = [newKey, oldKey];
      expect(await codec.decryptMany(5, theirs)).toEqual(theirs.map((_, i) => `s-${i}`));
      expect(stale.activeKeyId).toBe(newKey.id);
    } finally {
      codec.close();
    }
  });
});
