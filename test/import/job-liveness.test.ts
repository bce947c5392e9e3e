import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/build-app.ts';
import { bearer, createTestApp, seedUser, type SeededUser, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/databases.ts';
import type { JobJson } from './helpers.ts';

// A job left `running` by a process that died is marked failed when found: on GET, and when a
// server starts. A job whose runner is alive is left alone.

describe.each(DIALECTS)('import jobs whose runner died (%s)', (dialect) => {
  let t: TestApp;
  let user: SeededUser;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    user = await seedUser(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  const deadPid = (() => {
    const child = spawnSync(process.execPath, ['-e', '0']);
    return child.pid!;
  })();

  async function insertRunningJob(owner: string): Promise<string> {
    const id = randomUUID();
    const now = new Date().toISOString();
    await sql`insert into import_jobs (id, account_id, user_id, status, dry_run, idempotency_key, delimiter, total_rows,
        processed_rows, updated_count, created_count, failed_count, error, owner, created_at, started_at, finished_at,
        heartbeat_at, phase)
      values (${id}, ${user.accountId}, ${user.userId}, 'running', 0, null, ',', 10, 4, 0, 0, 0, null, ${owner},
        ${now}, ${now}, null, ${now}, 'applying')`.execute(t.ctx.db.kysely);
    return id;
  }

  const getJob = async (id: string) => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/credential-passwords/imports/${id}`,
      headers: bearer(user),
    });
    expect(res.statusCode).toBe(200);
    return res.json() as JobJson;
  };

  it('GET marks a running job whose process is gone as failed, and says so', async () => {
    const id = await insertRunningJob(`${hostname()}#${deadPid}#gone`);
    const job = await getJob(id);
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/^The server process running this import stopped \(it was killed or crashed\)/);
    expect(job.error).toMatch(/Nothing of it was applied; import the file again\./);
  });

  it('a server start marks such jobs failed before anyone asks', async () => {
    const id = await insertRunningJob(`${hostname()}#${deadPid}#gone-too`);
    const second = await buildApp(t.ctx, { logger: false });
    await second.ready();
    await second.close();
    const row = await t.ctx.db.kysely
      .selectFrom('import_jobs')
      .select(['status', 'error'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/stopped/);
  });

  it('a job whose runner is alive stays running', async () => {
    if (dialect === 'postgres') {
      // The runner's proof of life is its advisory lock, held on its own connection.
      const id = await insertRunningJob('elsewhere#1#alive');
      await t.ctx.db.kysely.connection().execute(async (conn) => {
        await sql`select pg_advisory_lock(${0x5343}, hashtext(${id}))`.execute(conn);
        try {
          expect((await getJob(id)).status).toBe('running');
        } finally {
          await sql`select pg_advisory_unlock(${0x5343}, hashtext(${id}))`.execute(conn);
        }
      });
      expect((await getJob(id)).status).toBe('failed');
    } else {
      // A live process on this host (our parent) owns it.
      const id = await insertRunningJob(`${hostname()}#${process.ppid}#alive`);
      expect((await getJob(id)).status).toBe('running');
      expect((await getJob(id)).processed_rows).toBe(4);
    }
  });
});
