// A worker thread that encrypts or decrypts one part of a batch, so both cores share the AES work
// of a large import or export. Keys come with each message: a rotated keyring needs no restart.
import { Buffer } from 'node:buffer';
import { parentPort } from 'node:worker_threads';
import { decryptBatch, encryptBatch } from './aes-gcm.js';

parentPort.on('message', ({ id, op, accountId, items, keys }) => {
  const byId = new Map(keys.map((k) => [k.id, Buffer.from(k.key)]));
  const out =
    op === 'encrypt'
      ? encryptBatch(keys[0].id, Buffer.from(keys[0].key), accountId, items)
      : decryptBatch(byId, accountId, items);
  parentPort.postMessage({ id, out });
});
