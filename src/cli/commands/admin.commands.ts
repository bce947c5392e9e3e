import type { Command } from 'commander';
import { createAccount, createApiToken, createUser } from '../../app/auth.ts';
import { AppError } from '../../app/errors.ts';
import { openRuntime } from '../../app/runtime.ts';
import { loadConfig } from '../../config.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { openDb } from '../../db/connect.ts';
import { fail, print } from '../output.ts';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new AppError(
      'invalid',
      'No password',
      'Pipe the password on stdin, e.g. `printf %s "$PW" | sipcreds user create … --password-stdin`.',
    );
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function positiveInt(name: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 0) {
      throw new AppError('invalid', 'Invalid option', `${name} must be a whole number; "${raw}" is not.`);
    }
    return n;
  };
}

/** migrate, account create, user create, token create. */
export function addAdminCommands(program: Command): void {
  program
    .command('migrate')
    .description('create or upgrade the database schema (idempotent)')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const db = openDb(loadConfig().databaseUrl);
      try {
        const outcome = await migrateToLatest(db);
        if (outcome.kind === 'failed') fail(new Error(`migration ${outcome.migration} failed: ${outcome.message}`));
        print(
          opts.json,
          { applied: outcome.applied },
          outcome.applied.length ? `applied ${outcome.applied.join(', ')}` : 'schema is up to date',
        );
      } finally {
        await db.close();
      }
    });

  const account = program.command('account').description('manage accounts');
  account
    .command('create')
    .description('create an account; prints its id')
    .requiredOption('--name <name>', 'account name')
    .option('--max-sets <n>', 'plan limit on credential sets', positiveInt('--max-sets'), 100)
    .option('--json', 'print one JSON object')
    .action(async (opts: { name: string; maxSets: number; json?: boolean }) => {
      const rt = await openRuntime(loadConfig());
      try {
        const a = await createAccount(rt.db, opts.name, opts.maxSets);
        print(opts.json, { id: a.id, name: a.name, max_sets: a.maxSets }, String(a.id));
      } finally {
        await rt.close();
      }
    });

  const user = program.command('user').description('manage users');
  user
    .command('create')
    .description('create a user in an account; reads the password from stdin; prints the user id')
    .requiredOption('--account <id>', 'account id', positiveInt('--account'))
    .requiredOption('--email <email>', 'login email')
    .requiredOption('--password-stdin', 'read the password from stdin')
    .option('--json', 'print one JSON object')
    .action(async (opts: { account: number; email: string; json?: boolean }) => {
      const password = await readStdin();
      const rt = await openRuntime(loadConfig());
      try {
        const id = await createUser(rt.db, opts.account, opts.email, password);
        print(opts.json, { id, account_id: opts.account, email: opts.email.trim().toLowerCase() }, String(id));
      } finally {
        await rt.close();
      }
    });

  const token = program.command('token').description('manage API tokens');
  token
    .command('create')
    .description('create an API token for a user; prints it once (only its hash is stored)')
    .requiredOption('--email <email>', 'the user the token acts as')
    .option('--name <label>', 'a label for the token', 'api token')
    .option('--json', 'print one JSON object')
    .action(async (opts: { email: string; name: string; json?: boolean }) => {
      const rt = await openRuntime(loadConfig());
      try {
        const t = await createApiToken(rt.db, opts.email, opts.name);
        print(opts.json, { id: t.id, token: t.token }, t.token);
      } finally {
        await rt.close();
      }
    });
}
