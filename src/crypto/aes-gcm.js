// The one implementation of sipcreds' secret format, in plain JavaScript so that worker threads
// (which run without the TypeScript loader) use the very same code as the main thread.
// Text form: "v1.<key id>.<base64url(nonce | ciphertext | tag)>", the account bound in as
// associated data.
import { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

export function accountAad(accountId) {
  return Buffer.from(`sipcreds:account:${accountId}`);
}

/** Encrypts items (null stays null) under one key, drawing all nonces with one randomBytes call. */
export function encryptBatch(keyId, key, accountId, items) {
  const aad = accountAad(accountId);
  const nonces = randomBytes(NONCE_BYTES * items.length);
  const out = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const plaintext = items[i];
    if (plaintext === null) {
      out[i] = null;
      continue;
    }
    const nonce = nonces.subarray(i * NONCE_BYTES, (i + 1) * NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(aad);
    const body = Buffer.concat([nonce, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    out[i] = `v1.${keyId}.${body.toString('base64url')}`;
  }
  return out;
}

/** Splits a ciphertext into key id and body, or null when it is not of our format. */
export function splitCiphertext(text) {
  const [version, keyId, data] = text.split('.');
  if (version !== 'v1' || !keyId || data === undefined) return null;
  const body = Buffer.from(data, 'base64url');
  if (body.length < NONCE_BYTES + TAG_BYTES) return null;
  return { keyId, body };
}

/** Decrypts one body; throws when the key is wrong or the data was tampered with. */
export function decryptBody(key, body, aad) {
  const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, NONCE_BYTES));
  decipher.setAAD(aad);
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  return Buffer.concat([
    decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)),
    decipher.final(),
  ]).toString('utf8');
}

/**
 * Decrypts what the keys can; an item that cannot be decrypted here (unknown key id, bad format,
 * failed authentication) comes back undefined, for the caller to explain.
 */
export function decryptBatch(keys, accountId, items) {
  const aad = accountAad(accountId);
  const out = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const text = items[i];
    if (text === null) {
      out[i] = null;
      continue;
    }
    const parts = splitCiphertext(text);
    const key = parts && keys.get(parts.keyId);
    try {
      out[i] = key ? decryptBody(key, parts.body, aad) : undefined;
    } catch {
      out[i] = undefined;
    }
  }
  return out;
}
