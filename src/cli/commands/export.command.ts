import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { AppError } from '../../app/errors.ts';
import { exportCredentials } from '../../app/export.ts';
import { openRuntime } from '../../app/runtime.ts';
import { loadConfig } from '../../config.ts';
import { findAccount } from '../../db/accounts.repository.ts';
import { positiveInt } from './admin.commands.ts';

/** sipcreds export --account ID [--set SET_ID] [-o FILE] */
export function addExportCommand(program: Command): void {
  program
    .command('export')
    .description(
      'write the same CSV as Export All (or a per-set export) to stdout or a file; it holds plaintext secrets',
    )
    .requiredOption('--account <id>', 'account id', positiveInt('--account'))
    .option('--set <id>', 'export only this credential set', positiveInt('--set'))
    .option('-o, --output <file>', 'write to this file (created with mode 0600) instead of stdout')
    .action(async (opts: { account: number; set?: number; output?: string }) => {
      const rt = await openRuntime(loadConfig());
      try {
        if (!(await findAccount(rt.db.kysely, opts.account))) {
          throw new AppError('not_found', 'No such account', `There is no account ${opts.account}.`);
        }
        const download = await exportCredentials(
          rt,
          { accountId: opts.account, userId: null, actor: 'cli' },
          { setId: opts.set },
        );
        if (opts.output) {
          // Written aside and renamed, so a cut-short export never looks like a whole one.
          const tmp = `${opts.output}.partial-${process.pid}`;
          try {
            await pipeline(download.body, createWriteStream(tmp, { mode: 0o600 }));
            renameSync(tmp, opts.output);
          } catch (e) {
            rmSync(tmp, { force: true });
            throw e;
          }
        } else {
          await pipeline(download.body, process.stdout);
        }
        await download.audited;
      } finally {
        await rt.close();
      }
    });
}
