import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { loadKeys, type KeySource } from '../../crypto/keyring.ts';
import type { SecretCipher } from '../../crypto/secret-cipher.ts';
import type { SecretCodec } from '../../db/credential-entries.repository.ts';

// Batched encryption for imports and exports. Profiling showed AES-GCM through node:crypto costs
// 8–20 µs per secret (creating the cipher object and a 12-byte randomBytes call dominate), which
// made crypto most of a 20,000-row import and of a 100,000-row export. A batch here draws all its
// nonces with one randomBytes call and splits the work between this thread and one worker thread,
// so both cores encrypt. The text format is SecretCipher's ("v1.<key id>.<base64url(nonce|ct|tag)>",
// the account id as associated data): a probe proves both directions agree before a batch codec
// is used, anything unexpected (a key id this keyring lacks) goes to the SecretCipher itself, and
// without key material to share the SecretCipher does everything, one secret at a time.

const NONCE = 12;
const TAG = 16;
const MIN_SPLIT = 64;

interface RawKey {
  id: string;
  key: Buffer;
}

// The worker is plain JavaScript (no TypeScript loader in worker threads); it mirrors the two
// functions below.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createCipheriv, createDecipheriv, randomBytes } = require('node:crypto');
const keys = new Map(workerData.keys.map((k) => [k.id, Buffer.from(k.key)]));
const active = workerData.keys[0];
const activeKey = Buffer.from(active.key);
parentPort.on('message', ({ id, op, accountId, items }) => {
  const aad = Buffer.from('sipcreds:account:' + accountId);
  const out = new Array(items.length);
  if (op === 'encrypt') {
    const nonces = randomBytes(${NONCE} * items.length);
    for (let i = 0; i < items.length; i++) {
      const p = items[i];
      if (p === null) { out[i] = null; continue; }
      const nonce = nonces.subarray(i * ${NONCE}, (i + 1) * ${NONCE});
      const c = createCipheriv('aes-256-gcm', activeKey, nonce);
      c.setAAD(aad);
      const body = Buffer.concat([nonce, c.update(p, 'utf8'), c.final(), c.getAuthTag()]);
      out[i] = 'v1.' + active.id + '.' + body.toString('base64url');
    }
  } else {
    for (let i = 0; i < items.length; i++) {
      const t = items[i];
      if (t === null) { out[i] = null; continue; }
      try {
        const [v, kid, data] = t.split('.');
        const k = keys.get(kid);
        if (v !== 'v1' || !k || data === undefined) { out[i] = undefined; continue; }
        const body = Buffer.from(data, 'base64url');
        const d = createDecipheriv('aes-256-gcm', k, body.subarray(0, ${NONCE}));
        d.setAAD(aad);
        d.setAuthTag(body.subarray(body.length - ${TAG}));
        out[i] = Buffer.concat([d.update(body.subarray(${NONCE}, body.length - ${TAG})), d.final()]).toString('utf8');
      } catch { out[i] = undefined; }
    }
  }
  parentPort.postMessage({ id, out });
});
`;

function encryptHere(key: RawKey, accountId: number, items: readonly (string | null)[]): (string | null)[] {
  const aad = Buffer.from(`sipcreds:account:${accountId}`);
  const nonces = randomBytes(NONCE * items.length);
  return items.map((p, i) => {
    if (p === null) return null;
    const nonce = nonces.subarray(i * NONCE, (i + 1) * NONCE);
    const c = createCipheriv('aes-256-gcm', key.key, nonce);
    c.setAAD(aad);
    const body = Buffer.concat([nonce, c.update(p, 'utf8'), c.final(), c.getAuthTag()]);
    return `v1.${key.id}.${body.toString('base64url')}`;
  });
}

/** Decrypts what this keyring can; `undefined` marks an item for the SecretCipher to try. */
function decryptHere(
  keys: ReadonlyMap<string, Buffer>,
  accountId: number,
  items: readonly (string | null)[],
): (string | null | undefined)[] {
  const aad = Buffer.from(`sipcreds:account:${accountId}`);
  return items.map((t) => {
    if (t === null) return null;
    try {
      const [v, kid, data] = t.split('.');
      const k = kid === undefined ? undefined : keys.get(kid);
      if (v !== 'v1' || !k || data === undefined) return undefined;
      const body = Buffer.from(data, 'base64url');
      const d = createDecipheriv('aes-256-gcm', k, body.subarray(0, NONCE));
      d.setAAD(aad);
      d.setAuthTag(body.subarray(body.length - TAG));
      return Buffer.concat([d.update(body.subarray(NONCE, body.length - TAG)), d.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  });
}

class SecretBatches implements SecretCodec {
  private closed = false;
  private workers: (Worker | undefined)[];
  private pending = new Map<number, (out: (string | null | undefined)[]) => void>();
  private nextId = 1;
  private readonly byId: Map<string, Buffer>;

  /**
   * `offload`: all work goes to two worker threads and this thread stays free (exports, where it
   * reads the next page meanwhile); else one worker takes half and this thread the other half.
   */
  constructor(
    private readonly cipher: SecretCipher,
    private readonly keys: readonly RawKey[],
    private readonly offload = false,
  ) {
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
    this.workers = offload ? [undefined, undefined] : [undefined];
  }

  get activeKeyId(): string {
    return this.keys[0]!.id;
  }

  /** True when this keyring and the cipher read each other's ciphertext and encrypt under one key. */
  agreesWithCipher(): boolean {
    if (this.activeKeyId !== this.cipher.activeKeyId) return false;
    const probe = `probe-${Date.now()}`;
    const [mine] = encryptHere(this.keys[0]!, 0, [probe]);
    const theirs = this.cipher.encrypt(probe, 0);
    return this.cipher.decrypt(mine!, 0) === probe && decryptHere(this.byId, 0, [theirs])[0] === probe;
  }

  encrypt(plaintext: string, accountId: number): string {
    return this.cipher.encrypt(plaintext, accountId);
  }

  decrypt(ciphertext: string, accountId: number): string {
    return this.cipher.decrypt(ciphertext, accountId);
  }

  /** Starts the worker thread(s) now, so they have booted by the first batch. */
  warm(): void {
    for (let slot = 0; slot < this.workers.length; slot++) {
      try {
        this.startWorker(slot);
      } catch {
        // closed: nothing to warm
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const w of this.workers) void w?.terminate();
    this.workers = this.workers.map(() => undefined);
  }

  private startWorker(slot: number): Worker {
    if (this.closed) throw new Error('closed');
    const running = this.workers[slot];
    if (running) return running;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // Plain JavaScript: no loader flags (tsx) from the parent, which would only slow its start.
      execArgv: [],
      workerData: { keys: this.keys.map((k) => ({ id: k.id, key: new Uint8Array(k.key) })) },
    });
    worker.on('message', (m: { id: number; out: (string | null | undefined)[] }) => {
      const done = this.pending.get(m.id);
      this.pending.delete(m.id);
      done?.(m.out);
    });
    const fail = () => {
      // A dead worker: its pending parts come back unanswered and are done here instead.
      for (const done of this.pending.values()) done([]);
      this.pending.clear();
      this.workers[slot] = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.workers[slot] = worker;
    return worker;
  }

  private inWorker(op: 'encrypt' | 'decrypt', accountId: number, items: (string | null)[], slot = 0) {
    const id = this.nextId++;
    return new Promise<(string | null | undefined)[]>((resolve) => {
      this.pending.set(id, resolve);
      try {
        this.startWorker(slot).postMessage({ id, op, accountId, items });
      } catch {
        this.pending.delete(id);
        resolve([]);
      }
    });
  }

  async encryptMany(accountId: number, items: (string | null)[]): Promise<(string | null)[]> {
    if (this.cipher.activeKeyId !== this.activeKeyId)
      return items.map((p) => (p === null ? null : this.encrypt(p, accountId)));
    if (items.length < MIN_SPLIT) return encryptHere(this.keys[0]!, accountId, items);
    const half = Math.floor(items.length / 2);
    const remote = this.inWorker('encrypt', accountId, items.slice(half));
    const local = encryptHere(this.keys[0]!, accountId, items.slice(0, half));
    const theirs = await remote;
    return [
      ...local,
      ...items
        .slice(half)
        .map((p, i) => (p === null ? null : ((theirs[i] as string | undefined) ?? this.encrypt(p, accountId)))),
    ];
  }

  async decryptMany(accountId: number, items: (string | null)[]): Promise<(string | null)[]> {
    if (this.offload && items.length >= MIN_SPLIT) {
      const half = Math.floor(items.length / 2);
      const [a, b] = await Promise.all([
        this.inWorker('decrypt', accountId, items.slice(0, half), 0),
        this.inWorker('decrypt', accountId, items.slice(half), 1),
      ]);
      return items.map((t, i) => {
        if (t === null) return null;
        return (i < half ? a[i] : b[i - half]) ?? this.decrypt(t, accountId);
      });
    }
    const half = items.length < MIN_SPLIT ? items.length : Math.floor(items.length / 2);
    const remote = half < items.length ? this.inWorker('decrypt', accountId, items.slice(half)) : Promise.resolve([]);
    const local = decryptHere(this.byId, accountId, items.slice(0, half));
    const theirs = await remote;
    return items.map((t, i) => {
      if (t === null) return null;
      const got = i < half ? local[i] : theirs[i - half];
      // Unknown key id, tampering or a dead worker: the SecretCipher decides (and throws if it must).
      return got ?? this.decrypt(t, accountId);
    });
  }
}

/** A batch codec for one import or export; `close()` stops its worker thread. */
export type BatchCodec = SecretCodec & { close(): void; warm(): void };

// Per cipher: the key material that passed the probe (or null: none to share).
const verified = new WeakMap<SecretCipher, { activeKeyId: string; keys: RawKey[] } | null>();

function keysFor(cipher: SecretCipher, keySource: KeySource | undefined): RawKey[] | null {
  const known = verified.get(cipher);
  if (known !== undefined && (known === null || known.activeKeyId === cipher.activeKeyId)) return known?.keys ?? null;
  let keys: RawKey[] | null = null;
  try {
    if (keySource && (keySource.masterKey || existsSync(keySource.masterKeyFile))) {
      const candidate = loadKeys(keySource);
      if (new SecretBatches(cipher, candidate).agreesWithCipher()) keys = candidate;
    }
  } catch {
    keys = null;
  }
  verified.set(cipher, keys && { activeKeyId: cipher.activeKeyId, keys });
  return keys;
}

/**
 * A codec with batch methods for this cipher, for one import or export: when the configured keys
 * can be shared with a worker and a probe proves they are the cipher's own; else the cipher itself
 * (one secret at a time). The worker starts at the first large batch; `close()` ends it (an idle
 * worker would keep a CLI process from exiting).
 */
export function openBatchCodec(
  cipher: SecretCipher,
  keySource: KeySource | undefined,
  opts: { offload?: boolean } = {},
): BatchCodec {
  const keys = keysFor(cipher, keySource);
  if (keys === null) {
    return {
      encrypt: (p, a) => cipher.encrypt(p, a),
      decrypt: (t, a) => cipher.decrypt(t, a),
      close: () => undefined,
      warm: () => undefined,
    };
  }
  return new SecretBatches(cipher, keys, opts.offload);
}
