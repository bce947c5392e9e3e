import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

// AES-256-GCM for passwords and TOTP secrets at rest.
// Ciphertext text form: "v1.<key id>.<base64url(nonce | ciphertext | tag)>".
// The account id is bound in as associated data, so a ciphertext copied into another
// account's row fails to decrypt instead of leaking across accounts.

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

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

function aad(accountId: number): Buffer {
  return Buffer.from(`sipcreds:account:${accountId}`);
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

  /** Re-reads the keyring (after `sipcreds keys rotate` wrote a new one). */
  refresh(): void {
    if (!this.reload) return;
    const keys = this.reload();
    if (keys.length === 0) return;
    this.keys = keys;
    this.byId = new Map(keys.map((k) => [k.id, k]));
  }

  encrypt(plaintext: string, accountId: number): string {
    // A key file may have been rotated by another process: look again every few seconds,
    // so new secrets go under the newest key without a restart.
    const now = Date.now();
    if (this.reload && now - this.checkedAt > 2000) {
      this.checkedAt = now;
      this.refresh();
    }
    const k = this.keys[0]!;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', k.key, nonce);
    cipher.setAAD(aad(accountId));
    const body = Buffer.concat([nonce, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `v1.${k.id}.${body.toString('base64url')}`;
  }

  decrypt(text: string, accountId: number): string {
    const [version, kid, data] = text.split('.');
    if (version !== 'v1' || !kid || data === undefined) throw new DecryptError('Unknown ciphertext format.');
    let k = this.byId.get(kid);
    if (!k) {
      this.refresh();
      k = this.byId.get(kid);
    }
    if (!k) throw new DecryptError(`No master key with id ${kid} is configured; the keyring is incomplete.`);
    const body = Buffer.from(data, 'base64url');
    if (body.length < NONCE_BYTES + TAG_BYTES) throw new DecryptError('Ciphertext is truncated.');
    const decipher = createDecipheriv('aes-256-gcm', k.key, body.subarray(0, NONCE_BYTES));
    decipher.setAAD(aad(accountId));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new DecryptError(`A secret failed authentication under key ${kid}: wrong key or tampered data.`);
    }
  }

  /** The key id a ciphertext was made with (for rotation sweeps). */
  static keyIdOfCiphertext(text: string): string | undefined {
    return text.split('.')[1];
  }
}
