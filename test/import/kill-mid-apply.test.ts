import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAccount, createApiToken, createUser } from '../../src/app/auth.ts';
import { TEST_MASTER_KEY } from '../support/app.ts';
import { createTestDb, DIALECTS, type TestDb } from '../support/databases.ts';
import { csvFile, type CsvRowInput, type JobJson } from './helpers.ts';

// The real server, killed with SIGKILL in the middle of applying a 20,000-row import: after a
// restart the account is exactly as before and the job reads `failed`.

const ROOT = new URL('../..', import.meta.url).pathname;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

interface Server {
  proc: ChildProcess;
  base: string;
  output: () => string;
}

async function startServer(url: string, port: number, dataDir: string): Promise<Server> {
  const proc = spawn(process.execPath, [join(ROOT, 'bin/sipcreds.mjs'), 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: url,
      SIPCREDS_MASTER_KEY: TEST_MASTER_KEY,
      SIPCREDS_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += String(d)));
  proc.stderr!.on('data', (d) => (out += String(d)));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited: ${out}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { proc, base, output: () => out };
}

async function stopped(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise((r) => proc.once('exit', r));
}

async function snapshot(testDb: TestDb, accountId: number) {
  const k = testDb.db.kysely;
  return {
    sets: await k.selectFrom('credential_sets').selectAll().where('account_id', '=', accountId).orderBy('id').execute(),
    entries: await k
      .selectFrom('credential_entries')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute(),
  };
}

describe.each(DIALECTS)('SIGKILL in the middle of a 20,000-row import (%s)', (dialect) => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it(
    'leaves the account exactly as before, and after a restart the job reads failed',
    { timeout: 180_000 },
    async () => {
      const testDb = await createTestDb(dialect);
      cleanups.push(() => testDb.drop());
      const dataDir = mkdtempSync(join(tmpdir(), 'sipcreds-kill-'));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const account = await createAccount(testDb.db, 'Kill test', 1000);
      await createUser(testDb.db, account.id, 'kill@example.com', 'a-long-password');
      const { token } = await createApiToken(testDb.db, 'kill@example.com', 'test');
      const auth = { authorization: `Bearer ${token}` };

      const port = await freePort();
      let server = await startServer(testDb.url, port, dataDir);
      cleanups.push(() => {
        server.proc.kill('SIGKILL');
      });

      // The account before: 300 entries in 3 sets.
      const seedRows: CsvRowInput[] = Array.from({ length: 300 }, (_, i) => ({
        pool: `seed${i % 3}`,
        username: `${1000 + i}`,
        password: `seed-password-${i}`,
        totp: i % 3 === 0 ? 'JBSWY3DPEHPK3PXP' : '',
      }));
      const seeded = await fetch(`${server.base}/api/credential-passwords/imports?wait=true`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'text/csv' },
        body: csvFile(seedRows),
      });
      expect(seeded.status).toBe(200);
      const seedJob = (await seeded.json()) as JobJson;
      const before = await snapshot(testDb, account.id);
      expect(before.entries).toHaveLength(300);

      // 20,000 rows: every seeded entry rotated, the rest new entries in new and existing sets.
      const rows: CsvRowInput[] = seedJob.rows.map((r, i) => ({
        pool: r.multi_credential_pool_id!,
        entry: r.entry_id!,
        username: r.username,
        password: `rotated-${i}-Xy9!`,
      }));
      for (let i = rows.length; i < 20_000; i++) {
        rows.push({
          pool: i % 2 ? seedJob.rows[0]!.multi_credential_pool_id! : '',
          username: `+49301${String(i).padStart(6, '0')}`,
          display: `New ${i}`,
          password: `new-password-${i}-abcdefgh`,
          totp: i % 3 === 0 ? 'MZXW6YTBOI' : '',
        });
      }
      const walPath = `${testDb.url.slice('sqlite:'.length)}-wal`;
      const posted = await fetch(`${server.base}/api/credential-passwords/imports`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'text/csv' },
        body: csvFile(rows),
      });
      expect(posted.status).toBe(202);
      const jobId = ((await posted.json()) as JobJson).id;

      // Wait until the apply is under way, then kill. PostgreSQL: processed_rows, committed from
      // another connection, has started to grow. SQLite: the job is running and the import's
      // transaction is writing pages into the WAL (uncommitted frames).
      const walBaseline = dialect === 'sqlite' && existsSync(walPath) ? statSync(walPath).size : 0;
      let seen: { status: string; processed_rows: number } | undefined;
      const deadline = Date.now() + 60_000;
      for (;;) {
        seen = await testDb.db.kysely
          .selectFrom('import_jobs')
          .select(['status', 'processed_rows'])
          .where('id', '=', jobId)
          .executeTakeFirst();
        if (seen?.status === 'succeeded') throw new Error('the import finished before it could be killed');
        const midApply =
          dialect === 'postgres'
            ? seen?.status === 'running' && seen.processed_rows > 0 && seen.processed_rows < 20_000
            : seen?.status === 'running' && existsSync(walPath) && statSync(walPath).size > walBaseline + 256 * 1024;
        if (midApply) break;
        if (Date.now() > deadline) throw new Error(`never saw the apply under way: ${JSON.stringify(seen)}`);
        await new Promise((r) => setTimeout(r, 2));
      }
      server.proc.kill('SIGKILL');
      await stopped(server.proc);
      expect(server.proc.signalCode).toBe('SIGKILL');

      // Nothing of the import is in the account, and the job row was left `running`.
      expect(await snapshot(testDb, account.id)).toEqual(before);
      const orphan = await testDb.db.kysely
        .selectFrom('import_jobs')
        .select(['status'])
        .where('id', '=', jobId)
        .executeTakeFirstOrThrow();
      expect(orphan.status).toBe('running');

      // Restart: the job is found and marked failed, and says why.
      server = await startServer(testDb.url, port, dataDir);
      let job: JobJson | undefined;
      for (let i = 0; i < 100; i++) {
        const res = await fetch(`${server.base}/api/credential-passwords/imports/${jobId}`, { headers: auth });
        expect(res.status).toBe(200);
        job = (await res.json()) as JobJson;
        if (job.status === 'failed') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(job!.status).toBe('failed');
      expect(job!.error).toMatch(/stopped .*before the import finished\. Nothing of it was applied/);
      expect(job!.rows).toEqual([]);
      expect(await snapshot(testDb, account.id)).toEqual(before);

      // The same file imports whole on the restarted server.
      const retry = await fetch(`${server.base}/api/credential-passwords/imports?wait=true`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'text/csv' },
        body: csvFile(rows),
      });
      expect(retry.status).toBe(200);
      const done = (await retry.json()) as JobJson;
      expect(done.status).toBe('succeeded');
      expect(done.counts).toEqual({ updated: 300, created: 19_700, failed: 0 });

      server.proc.kill('SIGTERM');
      await stopped(server.proc);
    },
  );
});
