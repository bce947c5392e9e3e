import { createHash } from 'node:crypto';
import { accountAad, decryptBody, encryptBatch, splitCiphertext } from './aes-gcm.js';

// AES-256-GCM for passwords and TOTP secrets at rest.
// Ciphertext text form: "v1.<key id>.<base64url(nonce | ciphertext | tag)>".
// The account id is bound in as associated data, so a ciphertext copied into another
// account's row fails to decrypt instead of leaking across accounts.

export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

export class DecryptError extends Error {}

/** Derives the key id from the key itself, so ids never need storing beside keys. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** Parses base64 of 32 bytes into a key, or says what is wrong with it (never echoing the value). */
export function parseMasterKey(base64: string, source: string): MasterKey {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) {
    throw new Error(`${source} must be base64 of exactly 32 random bytes (it decodes to ${key.length} bytes).`);
  }
  return { id: keyIdOf(key), key };
}

/** Encrypts and decrypts secrets with a keyring: the first key encrypts, any key decrypts. */
export class SecretCipher {
  private keys: readonly MasterKey[];
  private byId: Map<string, MasterKey>;
  private checkedAt = Date.now();

  constructor(
    keys: readonly MasterKey[],
    private readonly reload?: () => readonly MasterKey[],
  ) {
    if (keys.length === 0) throw new Error('At least one master key is needed.');
    this.keys = keys;
    this.byId = new Map(keys.map((k) => [k.id, k]));
  }

  get activeKeyId(): string {
    return this.keys[0]!.id;
  }

  get keyIds(): string[] {
    return this.keys.map((k) => k.id);
  }

  /** The keys, newest first: for the batch codec's worker threads only. */
  keyring(): readonly MasterKey[] {
    return this.keys;
  }

  /** Re-reads the keyring (after `sipcreds keys rotate` wrote a new one). */
  refresh(): void {
    if (!this.reload) return;
    const keys = this.reload();
    if (keys.length === 0) return;
    this.keys = keys;
    this.byId = new Map(keys.map((k) => [k.id, k]));
  }

  /** The key new secrets go under. */
  activeKey(): MasterKey {
    // A key file may have been rotated by another process: look again every few seconds,
    // so new secrets go under the newest key without a restart.
    const now = Date.now();
    if (this.reload && now - this.checkedAt > 2000) {
      this.checkedAt = now;
      this.refresh();
    }
    return this.keys[0]!;
  }

  encrypt(plaintext: string, accountId: number): string {
    const k = this.activeKey();
    return encryptBatch(k.id, k.key, accountId, [plaintext])[0]!;
  }

  decrypt(text: string, accountId: number): string {
    const parts = splitCiphertext(text);
    if (!parts) throw new DecryptError('Unknown or truncated ciphertext format.');
    let k = this.byId.get(parts.keyId);
    if (!k) {
      this.refresh();
      k = this.byId.get(parts.keyId);
    }
    if (!k) throw new DecryptError(`No master key with id ${parts.keyId} is configured; the keyring is incomplete.`);
    try {
      return decryptBody(k.key, parts.body, accountAad(accountId));
    } catch {
      throw new DecryptError(`A secret failed authentication under key ${parts.keyId}: wrong key or tampered data.`);
    }
  }

  /** The key id a ciphertext was made with (for rotation sweeps). */
  static keyIdOfCiphertext(text: string): string | undefined {
    return text.split('.')[1];
  }
}
