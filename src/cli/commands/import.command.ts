import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { AppError } from '../../app/errors.ts';
import { listImportJobRows, startImport, waitForImportJob } from '../../app/import/import-service.ts';
import { toImportJobJson, type ImportJobJson } from '../../app/import/job-view.ts';
import { openRuntime } from '../../app/runtime.ts';
import { loadConfig } from '../../config.ts';
import { findAccount } from '../../db/accounts.repository.ts';
import { positiveInt } from './admin.commands.ts';

/** Exit codes of `sipcreds import`, as api.md fixes them. */
export const IMPORT_EXIT = { ok: 0, rowsFailed: 1, rejected: 2 } as const;

function describeRow(r: ImportJobJson['rows'][number]): string {
  const ids = `set ${r.multi_credential_pool_id ?? '-'}, entry ${r.entry_id ?? '-'}`;
  const lines = [`row ${r.row}: ${r.action} (${ids}) ${r.username}: ${r.message}`];
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}

function summary(job: ImportJobJson): string {
  const c = job.counts;
  const what = job.dry_run ? 'checked (dry run, nothing applied)' : 'imported';
  return `${job.total_rows} rows ${what}: ${c.updated} updated, ${c.created} created, ${c.failed} failed (job ${job.id})`;
}

function stop(line: string, code: number): never {
  process.stderr.write(`sipcreds: ${line.split('\n')[0]}\n`);
  process.exit(code);
}

/** sipcreds import FILE --account ID [--dry-run] [--json] */
export function addImportCommand(program: Command): void {
  program
    .command('import')
    .description(
      'import a credentials CSV into an account, as the web page does, and print per-row results; exit 0: no row failed, 1: some rows failed, 2: file rejected (nothing applied)',
    )
    .argument('<file>', 'the CSV file (UTF-8, the eight-column header)')
    .requiredOption('--account <id>', 'account id', positiveInt('--account'))
    .option('--dry-run', 'report what the import would do and apply nothing')
    .option('--json', 'print the import job as one JSON object')
    .action(async (file: string, opts: { account: number; dryRun?: boolean; json?: boolean }) => {
      let csv: Buffer;
      try {
        csv = readFileSync(file);
      } catch (e) {
        stop(`cannot read ${file}: ${(e as Error).message}`, IMPORT_EXIT.rejected);
      }
      const rt = await openRuntime(loadConfig());
      let code: number = IMPORT_EXIT.ok;
      try {
        if (!(await findAccount(rt.db.kysely, opts.account))) {
          throw new AppError('not_found', 'No such account', `There is no account ${opts.account}.`);
        }
        const who = { accountId: opts.account, userId: null, actor: 'cli' };
        let started;
        try {
          started = await startImport(rt, who, {
            csv,
            dryRun: Boolean(opts.dryRun),
            idempotencyKey: null,
            fileName: basename(file),
          });
        } catch (e) {
          if (e instanceof AppError && (e.kind === 'unprocessable' || e.kind === 'too_large')) {
            stop(`${file} was rejected: ${e.detail}`, IMPORT_EXIT.rejected);
          }
          throw e;
        }
        const job = await waitForImportJob(rt, opts.account, started.job.id);
        const json = toImportJobJson(job, await listImportJobRows(rt, job));
        if (opts.json) process.stdout.write(`${JSON.stringify(json)}\n`);
        else process.stdout.write(`${[...json.rows.map(describeRow), summary(json)].join('\n')}\n`);
        if (job.status !== 'succeeded') {
          process.stderr.write(
            `sipcreds: the import failed and nothing was applied: ${job.error ?? 'unknown error'}\n`,
          );
          code = 1;
        } else if (job.counts.failed > 0) code = IMPORT_EXIT.rowsFailed;
      } finally {
        await rt.close();
      }
      process.exitCode = code;
    });
}
