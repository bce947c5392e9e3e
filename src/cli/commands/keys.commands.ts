import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { countByKey, reencryptAll } from '../../app/key-rotation.ts';
import { openRuntime } from '../../app/runtime.ts';
import { loadConfig } from '../../config.ts';
import { addKeyToFile, generateKeyBase64, retireOldKeys } from '../../crypto/keyring.ts';
import { print } from '../output.ts';

export function addKeysCommands(program: Command): void {
  const keys = program.command('keys').description('manage the master keys that encrypt secrets at rest');
  keys
    .command('generate')
    .description('print a new random key (base64 of 32 bytes) for SIPCREDS_MASTER_KEY')
    .action(() => {
      process.stdout.write(`${generateKeyBase64()}\n`);
    });

  keys
    .command('rotate')
    .description('put a new key first and re-encrypt every secret under it; servers keep running')
    .option('--reencrypt-only', 'do not add a key: re-encrypt under the first key of SIPCREDS_MASTER_KEY')
    .option('--retire', 'after re-encrypting, remove the old keys from the key file')
    .option('--json', 'print one JSON object')
    .action(async (opts: { reencryptOnly?: boolean; retire?: boolean; json?: boolean }) => {
      const config = loadConfig();
      const newKeyId = opts.reencryptOnly ? undefined : addKeyToFile(config);
      const rt = await openRuntime(config);
      try {
        let rewritten = await reencryptAll(rt.db, rt.cipher);
        // Servers look at the key file every 2 s; a second sweep catches what they wrote meanwhile.
        await sleep(2500);
        rewritten += await reencryptAll(rt.db, rt.cipher);
        const counts = await countByKey(rt.db);
        const leftovers = Object.entries(counts).filter(([kid]) => kid !== rt.cipher.activeKeyId);
        if (opts.retire && leftovers.length === 0) retireOldKeys(config);
        print(
          opts.json,
          {
            active_key_id: rt.cipher.activeKeyId,
            new_key_id: newKeyId ?? null,
            rewritten,
            secrets_by_key: counts,
            retired: Boolean(opts.retire && leftovers.length === 0),
          },
          `active key ${rt.cipher.activeKeyId}: re-encrypted ${rewritten} entries; secrets by key: ${JSON.stringify(counts)}`,
        );
      } finally {
        await rt.close();
      }
    });
}
