import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseMasterKey, SecretCipher, type MasterKey } from './secret-cipher.ts';

// Where master keys come from: SIPCREDS_MASTER_KEY (one key, or "new,old,…" during a rotation),
// else a key file with one base64 key per line, newest first, created once with mode 0600.

export interface KeySource {
  readonly masterKey: string | undefined;
  readonly masterKeyFile: string;
}

function parseList(text: string, source: string, separator: RegExp): MasterKey[] {
  return text
    .split(separator)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'))
    .map((s, i) => parseMasterKey(s, `${source} (key ${i + 1})`));
}

export function generateKeyBase64(): string {
  return randomBytes(32).toString('base64');
}

function writeKeyFile(path: string, keys: readonly MasterKey[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const body = `# sipcreds master keys, newest first. Keep this file secret and backed up.\n${keys.map((k) => k.key.toString('base64')).join('\n')}\n`;
  writeFileSync(tmp, body, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Loads the keyring, creating the key file once when neither the variable nor the file exists. */
export function loadKeys(src: KeySource): MasterKey[] {
  if (src.masterKey) return parseList(src.masterKey, 'SIPCREDS_MASTER_KEY', /,/);
  if (!existsSync(src.masterKeyFile)) {
    writeKeyFile(src.masterKeyFile, [parseMasterKey(generateKeyBase64(), 'generated key')]);
  }
  const keys = parseList(readFileSync(src.masterKeyFile, 'utf8'), src.masterKeyFile, /\r?\n/);
  if (keys.length === 0) throw new Error(`${src.masterKeyFile} holds no key; restore it from your backup.`);
  return keys;
}

export function createCipher(src: KeySource): SecretCipher {
  return new SecretCipher(loadKeys(src), src.masterKey ? undefined : () => loadKeys(src));
}

/** Puts a new key first in the key file and keeps the old ones for reading. Returns the new key id. */
export function addKeyToFile(src: KeySource): string {
  if (src.masterKey) {
    throw new Error(
      'SIPCREDS_MASTER_KEY is set, so the keys live in your environment: put a new key first (SIPCREDS_MASTER_KEY=NEW,OLD), restart the servers, then run `sipcreds keys rotate --reencrypt-only`.',
    );
  }
  const old = loadKeys(src);
  const fresh = parseMasterKey(generateKeyBase64(), 'generated key');
  writeKeyFile(src.masterKeyFile, [fresh, ...old]);
  return fresh.id;
}

/** Drops every key but the newest from the key file (after a complete re-encryption). */
export function retireOldKeys(src: KeySource): void {
  if (src.masterKey) return;
  const keys = loadKeys(src);
  writeKeyFile(src.masterKeyFile, keys.slice(0, 1));
}
