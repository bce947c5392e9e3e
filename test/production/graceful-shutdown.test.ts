import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, createApiToken, createUser } from '../../src/app/auth.ts';
import { createTestDb, type TestDb } from '../support/databases.ts';
import { startServe } from './servers.ts';

const HEADER = 'multi_credential_pool_id,entry_id,username,domain,display_name,auth_username,auth_password,totp_secret';

function newRows(n: number, prefix: string): string {
  const lines = [HEADER];
  for (let i = 0; i < n; i += 1) {
    const u = `${prefix}${String(i).padStart(6, '0')}`;
    lines.push(`,,${u},shutdown.example.test,Desk ${u},${u},pw-${u},`);
  }
  return lines.join('\r\n');
}

// The one-machine deployment: one `serve` on SQLite, restarted by its supervisor.
describe('graceful shutdown of one server on SQLite', () => {
  let testDb: TestDb;
  let token = '';
  let accountId = 0;
  let env: Record<string, string>;

  beforeAll(async () => {
    testDb = await createTestDb('sqlite');
    const account = await createAccount(testDb.db, 'Shutdown', 100);
    accountId = account.id;
    await createUser(testDb.db, account.id, 'ops@shutdown.example.test', `pw-${randomBytes(8).toString('hex')}`);
    token = (await createApiToken(testDb.db, 'ops@shutdown.example.test', 'test')).token;
    env = { DATABASE_URL: testDb.url, SIPCREDS_MASTER_KEY: randomBytes(32).toString('base64') };
  });
  afterAll(async () => testDb?.drop());

  const jobOf = (id: string) =>
    testDb.db.kysely
      .selectFrom('import_jobs')
      .select(['status', 'error', 'processed_rows'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const entries = async () =>
    Number(
      (
        await testDb.db.kysely
          .selectFrom('credential_entries')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('account_id', '=', accountId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  async function startImport(baseUrl: string, rows: number, prefix: string) {
    const res = await fetch(`${baseUrl}/api/credential-passwords/imports?wait=false`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: newRows(rows, prefix),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  }

  // better-sqlite3 is synchronous: an import on SQLite runs to its commit without giving the event
  // loop a turn, so the signal is handled after it. The promise that matters: the job is never left
  // half applied or `running`, and the process exits 0. (The 503 window and the roll-back past the
  // deadline are shown on PostgreSQL, in several-servers.test.ts.)
  for (const grace of ['25000', '0']) {
    it(`on SIGTERM during an import (grace ${grace} ms), applies it whole or not at all, and exits 0`, async () => {
      const server = await startServe({ ...env, SIPCREDS_SHUTDOWN_GRACE_MS: grace });
      const before = await entries();
      const jobId = await startImport(server.baseUrl, 20000, `g${grace}-`);
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      await server.stop();
      const job = await jobOf(jobId);
      if (job.status === 'succeeded') {
        expect(job).toMatchObject({ processed_rows: 20000, error: null });
        expect(await entries()).toBe(before + 20000);
      } else {
        expect(job.status).toBe('failed');
        expect(job.error).toMatch(/shut down before the import finished/);
        expect(await entries()).toBe(before);
      }
    }, 120_000);
  }
});
