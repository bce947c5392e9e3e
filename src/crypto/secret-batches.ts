import { Worker } from 'node:worker_threads';
import { decryptBatch, encryptBatch } from './aes-gcm.js';
import type { SecretCipher } from './secret-cipher.ts';

// Batched encryption for imports and exports. Profiling showed AES-GCM through node:crypto costs
// 8–20 µs per secret (creating the cipher object and a 12-byte randomBytes call dominate), which
// made crypto most of a 20,000-row import and of a 100,000-row export. A batch draws all its
// nonces with one randomBytes call and splits the work between this thread and worker threads,
// so both cores work. The format code is src/crypto/aes-gcm.js, shared with SecretCipher and the
// worker; whatever a batch cannot decrypt goes back to the SecretCipher, which explains or reloads.

const MIN_SPLIT = 64;

/** Secret encryption with optional batch forms (same results, far cheaper per secret). */
export interface SecretCodec {
  encrypt(plaintext: string, accountId: number): string;
  decrypt(ciphertext: string, accountId: number): string;
  encryptMany?(accountId: number, items: (string | null)[]): Promise<(string | null)[]>;
  decryptMany?(accountId: number, items: (string | null)[]): Promise<(string | null)[]>;
}

/** A batch codec for one import or export; `close()` stops its worker threads. */
export interface BatchCodec extends Required<SecretCodec> {
  warm(): void;
  close(): void;
}

type Part = (string | null | undefined)[];

class SecretBatches implements BatchCodec {
  private closed = false;
  private workers: (Worker | undefined)[];
  private pending = new Map<number, (out: Part) => void>();
  private nextId = 1;

  /**
   * `offload`: all work goes to two worker threads and this thread stays free (exports, where it
   * reads the next page meanwhile); else one worker takes half and this thread the other half.
   */
  constructor(
    private readonly cipher: SecretCipher,
    private readonly offload: boolean,
  ) {
    this.workers = offload ? [undefined, undefined] : [undefined];
  }

  encrypt(plaintext: string, accountId: number): string {
    return this.cipher.encrypt(plaintext, accountId);
  }

  decrypt(ciphertext: string, accountId: number): string {
    return this.cipher.decrypt(ciphertext, accountId);
  }

  /** Starts the worker thread(s) now, so they have booted by the first batch. */
  warm(): void {
    for (let slot = 0; slot < this.workers.length; slot++) this.startWorker(slot);
  }

  close(): void {
    this.closed = true;
    for (const w of this.workers) void w?.terminate();
    this.workers = this.workers.map(() => undefined);
  }

  private startWorker(slot: number): Worker | undefined {
    if (this.closed) return undefined;
    const running = this.workers[slot];
    if (running) return running;
    // Plain JavaScript: no loader flags (tsx) from the parent, which would only slow its start.
    const worker = new Worker(new URL('./cipher-worker.js', import.meta.url), { execArgv: [] });
    worker.on('message', (m: { id: number; out: Part }) => {
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

  private inWorker(op: 'encrypt' | 'decrypt', accountId: number, items: (string | null)[], slot = 0): Promise<Part> {
    const worker = this.startWorker(slot);
    if (!worker) return Promise.resolve([]);
    const id = this.nextId++;
    const keys = op === 'encrypt' ? [this.cipher.activeKey()] : this.cipher.keyring();
    return new Promise<Part>((resolve) => {
      this.pending.set(id, resolve);
      worker.postMessage({
        id,
        op,
        accountId,
        items,
        keys: keys.map((k) => ({ id: k.id, key: new Uint8Array(k.key) })),
      });
    });
  }

  async encryptMany(accountId: number, items: (string | null)[]): Promise<(string | null)[]> {
    const key = this.cipher.activeKey();
    if (items.length < MIN_SPLIT) return encryptBatch(key.id, key.key, accountId, items);
    const half = Math.floor(items.length / 2);
    const remote = this.inWorker('encrypt', accountId, items.slice(half));
    const local = encryptBatch(key.id, key.key, accountId, items.slice(0, half));
    const theirs = await remote;
    return [
      ...local,
      ...items.slice(half).map((p, i) => (p === null ? null : (theirs[i] ?? this.encrypt(p, accountId)))),
    ];
  }

  async decryptMany(accountId: number, items: (string | null)[]): Promise<(string | null)[]> {
    let parts: Promise<Part>[];
    let bounds: number[];
    if (items.length < MIN_SPLIT) {
      parts = [Promise.resolve(this.decryptHere(accountId, items))];
      bounds = [0];
    } else {
      const half = Math.floor(items.length / 2);
      const first = this.offload
        ? this.inWorker('decrypt', accountId, items.slice(0, half), 0)
        : Promise.resolve<Part>([]);
      const second = this.inWorker('decrypt', accountId, items.slice(half), this.offload ? 1 : 0);
      parts = [this.offload ? first : Promise.resolve(this.decryptHere(accountId, items.slice(0, half))), second];
      bounds = [0, half];
    }
    const done = await Promise.all(parts);
    return items.map((t, i) => {
      if (t === null) return null;
      const p = i >= (bounds[1] ?? Infinity) ? 1 : 0;
      // Unknown key id, tampering or a dead worker: the SecretCipher decides (and throws if it must).
      return done[p]![i - bounds[p]!] ?? this.decrypt(t, accountId);
    });
  }

  private decryptHere(accountId: number, items: (string | null)[]): Part {
    const keys = new Map(this.cipher.keyring().map((k) => [k.id, k.key]));
    return decryptBatch(keys, accountId, items);
  }
}

/** A codec with batch methods for one import or export; `close()` ends its worker threads. */
export function openBatchCodec(cipher: SecretCipher, opts: { offload?: boolean } = {}): BatchCodec {
  return new SecretBatches(cipher, opts.offload ?? false);
}
