import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addKeyToFile, createCipher, loadKeys } from '../../src/crypto/keyring.ts';
import { DecryptError, parseMasterKey, SecretCipher } from '../../src/crypto/secret-cipher.ts';

const key = () => parseMasterKey(randomBytes(32).toString('base64'), 'test');

describe('secrets at rest: AES-256-GCM', () => {
  it('round-trips any text, with a fresh nonce each time and the key id inside', () => {
    const k = key();
    const c = new SecretCipher([k]);
    const secret = ' pässwörd, "quoted"\nwith newline +0012 ';
    const a = c.encrypt(secret, 7);
    const b = c.encrypt(secret, 7);
    expect(a).not.toBe(b);
    expect(a.startsWith(`v1.${k.id}.`)).toBe(true);
    expect(a).not.toContain('pässwörd');
    expect(c.decrypt(a, 7)).toBe(secret);
  });

  it('binds the account: a ciphertext moved to another account does not decrypt', () => {
    const c = new SecretCipher([key()]);
    const enc = c.encrypt('s3cret', 1);
    expect(() => c.decrypt(enc, 2)).toThrow(DecryptError);
  });

  it('detects tampering', () => {
    const c = new SecretCipher([key()]);
    const enc = c.encrypt('s3cret', 1);
    const last = enc.at(-2) === 'A' ? 'B' : 'A';
    expect(() => c.decrypt(enc.slice(0, -2) + last + enc.slice(-1), 1)).toThrow(DecryptError);
  });

  it('reads old ciphertexts after a new key is put first', () => {
    const oldKey = key();
    const before = new SecretCipher([oldKey]).encrypt('old secret', 3);
    const newKey = key();
    const after = new SecretCipher([newKey, oldKey]);
    expect(after.decrypt(before, 3)).toBe('old secret');
    expect(after.encrypt('x', 3).split('.')[1]).toBe(newKey.id);
  });

  it('refuses a key that is not 32 bytes, without echoing it', () => {
    expect(() => parseMasterKey(Buffer.from('short').toString('base64'), 'SIPCREDS_MASTER_KEY')).toThrow(
      /exactly 32 random bytes/,
    );
    try {
      parseMasterKey('c2hvcnQ=', 'SIPCREDS_MASTER_KEY');
    } catch (e) {
      expect((e as Error).message).not.toContain('c2hvcnQ=');
    }
  });

  it('creates the key file once with mode 0600 and keeps it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipcreds-key-'));
    const file = join(dir, 'master.key');
    const first = loadKeys({ masterKey: undefined, masterKeyFile: file });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadKeys({ masterKey: undefined, masterKeyFile: file });
    expect(second[0]!.id).toBe(first[0]!.id);
  });

  it('a server picks up a rotated key file by itself for unknown key ids', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipcreds-key-'));
    const src = { masterKey: undefined, masterKeyFile: join(dir, 'master.key') };
    const server = createCipher(src);
    const rotator = createCipher(src);
    const oldId = server.activeKeyId;
    const newId = addKeyToFile(src);
    expect(readFileSync(src.masterKeyFile, 'utf8')).toContain('\n');
    rotator.refresh();
    expect(rotator.activeKeyId).toBe(newId);
    const enc = rotator.encrypt('rotated', 1);
    expect(server.decrypt(enc, 1)).toBe('rotated');
    expect(server.keyIds).toContain(oldId);
  });
});
