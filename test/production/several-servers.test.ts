import { randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, createApiToken, createUser } from '../../src/app/auth.ts';
import { createTestDb, type TestDb } from '../support/databases.ts';
import { logIn, sessionHeaders, startServe, type ServeProcess, type Session } from './servers.ts';

const HEADER = 'multi_credential_pool_id,entry_id,username,domain,display_name,auth_username,auth_password,totp_secret';

interface Job {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  error: string | null;
  total_rows: number;
  processed_rows: number;
  counts: { updated: number; created: number; failed: number };
  rows: Array<{ row: number; action: string; multi_credential_pool_id: number | null; entry_id: number | null }>;
}

function newRows(n: number, prefix: string): string {
  const lines = [HEADER];
  for (let i = 0; i < n; i += 1) {
    const u = `${prefix}${String(i).padStart(6, '0')}`;
    lines.push(`,,${u},servers.example.test,Desk ${u},${u},pw-${u},`);
  }
  return lines.join('\r\n');
}

// Several stateless servers on one PostgreSQL: sessions, jobs and their progress live in the database.
describe('several servers on one PostgreSQL database', () => {
  let testDb: TestDb;
  let a: ServeProcess;
  let b: ServeProcess;
  const masterKey = randomBytes(32).toString('base64');
  const user = { email: 'ops@servers.example.test', password: `pw-${randomBytes(8).toString('hex')}`, token: '' };
  let accountId = 0;
  let env: Record<string, string>;

  beforeAll(async () => {
    testDb = await createTestDb('postgres');
    const account = await createAccount(testDb.db, 'Servers', 100);
    accountId = account.id;
    await createUser(testDb.db, account.id, user.email, user.password);
    user.token = (await createApiToken(testDb.db, user.email, 'servers test')).token;
    env = { DATABASE_URL: testDb.url, SIPCREDS_MASTER_KEY: masterKey };
    [a, b] = await Promise.all([startServe(env), startServe(env)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await testDb?.drop();
  }, 60_000);

  const api = (server: ServeProcess, path: string, init: RequestInit = {}) => fetch(`${server.baseUrl}${path}`, init);
  const bearer = () => ({ authorization: `Bearer ${user.token}` });

  async function importOn(server: ServeProcess, csv: string, headers: Record<string, string>, wait: boolean) {
    const res = await api(server, `/api/credential-passwords/imports?wait=${wait}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'text/csv' },
      body: csv,
    });
    return { res, job: (await res.json()) as Job };
  }

  it('logs in on one server and works with the same cookie on the other', async () => {
    const session = await logIn(a.baseUrl, user.email, user.password);
    const account = await api(b, '/api/account', { headers: { cookie: session.cookie } });
    expect(account.status).toBe(200);
    expect(((await account.json()) as { id: number }).id).toBe(accountId);
    // A write on B with the CSRF token A issued.
    const created = await api(b, '/api/credential-sets', {
      method: 'POST',
      headers: { ...sessionHeaders(session), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Made on B' }),
    });
    expect(created.status).toBe(201);
    // Logging out on B ends the session on A too.
    expect((await api(b, '/api/session', { method: 'DELETE', headers: sessionHeaders(session) })).status).toBe(204);
    expect((await api(a, '/api/account', { headers: { cookie: session.cookie } })).status).toBe(401);
  });

  it('starts an import on one server and follows its progress and results on the other', async () => {
    const session: Session = await logIn(a.baseUrl, user.email, user.password);
    const rows = 6000;
    const { res, job } = await importOn(a, newRows(rows, 'p'), sessionHeaders(session), false);
    expect(res.status).toBe(202);
    const location = res.headers.get('location');
    expect(location).toBe(`/api/credential-passwords/imports/${job.id}`);

    const seen: Array<Pick<Job, 'status' | 'processed_rows'>> = [];
    let last: Job;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const poll = await api(b, location!, { headers: { cookie: session.cookie } });
      expect(poll.status).toBe(200);
      last = (await poll.json()) as Job;
      seen.push({ status: last.status, processed_rows: last.processed_rows });
      if (last.status === 'succeeded' || last.status === 'failed' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 15));
    }
    expect(last.status).toBe('succeeded');
    expect(last.total_rows).toBe(rows);
    expect(last.processed_rows).toBe(rows);
    expect(last.counts).toEqual({ updated: 0, created: rows, failed: 0 });
    expect(last.rows).toHaveLength(rows);
    // B saw the job before it was done, and its progress never went backwards.
    expect(seen.some((s) => s.status === 'queued' || s.status === 'running')).toBe(true);
    for (let i = 1; i < seen.length; i += 1)
      expect(seen[i]!.processed_rows).toBeGreaterThanOrEqual(seen[i - 1]!.processed_rows);

    const results = await api(b, `${location}/results.csv`, { headers: { cookie: session.cookie } });
    expect(results.status).toBe(200);
    const records = parse(await results.text(), { bom: true }) as string[][];
    expect(records).toHaveLength(rows + 1);
    expect(records.slice(1).every((r) => r.includes('created'))).toBe(true);
  }, 120_000);

  it('leaves every entry whole when two imports race on the same entries from two servers', async () => {
    const n = 1500;
    const seed = await importOn(a, newRows(n, 'r'), bearer(), true);
    expect(seed.job.status).toBe('succeeded');
    const targets = seed.job.rows.map((r) => ({ pool: r.multi_credential_pool_id!, entry: r.entry_id! }));
    const file = (tag: 'A' | 'B', totp: string) =>
      [
        HEADER,
        ...targets.map(
          (t, i) =>
            `${t.pool},${t.entry},${tag.toLowerCase()}-${i},${tag.toLowerCase()}.example.test,${tag} ${i},${tag.toLowerCase()}-auth-${i},pw-${tag}-${i},${totp}`,
        ),
      ].join('\r\n');
    const totpA = 'JBSWY3DPEHPK3PXP';
    const totpB = 'KRSXG5CTMVRXEZLU';

    for (let round = 0; round < 3; round += 1) {
      const [ra, rb] = await Promise.all([
        importOn(a, file('A', totpA), bearer(), true),
        importOn(b, file('B', totpB), bearer(), true),
      ]);
      for (const r of [ra, rb]) {
        expect(r.res.status).toBe(200);
        expect(r.job.status, r.job.error ?? '').toBe('succeeded');
        expect(r.job.counts).toEqual({ updated: n, created: 0, failed: 0 });
      }

      const exported = await api(round % 2 ? a : b, '/api/credential-passwords/export.csv', { headers: bearer() });
      expect(exported.status).toBe(200);
      const records = (parse(await exported.text(), { bom: true }) as string[][]).slice(1);
      const byEntry = new Map(records.map((r) => [Number(r[1]), r]));
      const winners = new Set<string>();
      for (const [i, t] of targets.entries()) {
        const r = byEntry.get(t.entry)!;
        const [, , username, domain, displayName, authUsername, password, totp] = r;
        const tag = username!.startsWith('a-') ? 'A' : 'B';
        const l = tag.toLowerCase();
        // Every column of the entry from the same import: none mixed.
        expect([username, domain, displayName, authUsername, password, totp]).toEqual([
          `${l}-${i}`,
          `${l}.example.test`,
          `${tag} ${i}`,
          `${l}-auth-${i}`,
          `pw-${tag}-${i}`,
          tag === 'A' ? totpA : totpB,
        ]);
        winners.add(tag);
      }
      // Each import is one transaction: the later one wins on every entry, not on some.
      expect(winners.size).toBe(1);
    }
  }, 180_000);

  it('shuts down on SIGTERM: /readyz answers 503, the running import finishes, the process exits 0', async () => {
    const c = await startServe(env);
    const rows = 20000;
    const { res, job } = await importOn(c, newRows(rows, 's'), bearer(), false);
    expect(res.status).toBe(202);
    c.child.kill('SIGTERM');
    const readyz: number[] = [];
    let exited = false;
    void c.exited.then(() => (exited = true));
    while (!exited) {
      try {
        readyz.push((await fetch(`${c.baseUrl}/readyz`)).status);
      } catch {
        readyz.push(0); // the listener has closed
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const { code, signal } = await c.exited;
    await c.stop();
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(readyz).toContain(503);
    // A probe sent before the signal landed may still say 200; once draining, never again.
    expect(readyz.slice(readyz.indexOf(503)).filter((s) => s === 200)).toEqual([]);

    const after = (await (
      await api(a, `/api/credential-passwords/imports/${job.id}`, { headers: bearer() })
    ).json()) as Job;
    expect(after.status).toBe('succeeded');
    expect(after.processed_rows).toBe(rows);
    expect(after.counts.created).toBe(rows);
  }, 180_000);

  it('past SIPCREDS_SHUTDOWN_GRACE_MS rolls the import back and marks it failed, then exits 0', async () => {
    const d = await startServe({ ...env, SIPCREDS_SHUTDOWN_GRACE_MS: '0' });
    const before = await testDb.db.kysely
      .selectFrom('credential_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    const rows = 20000;
    const { res, job } = await importOn(d, newRows(rows, 'g'), bearer(), false);
    expect(res.status).toBe(202);
    d.child.kill('SIGTERM');
    const { code } = await d.exited;
    await d.stop();
    expect(code).toBe(0);

    const after = (await (
      await api(b, `/api/credential-passwords/imports/${job.id}`, { headers: bearer() })
    ).json()) as Job;
    expect(after.status).toBe('failed');
    expect(after.error).toMatch(/shut down before the import finished.*Nothing of it was applied/);
    const count = await testDb.db.kysely
      .selectFrom('credential_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(Number(before.n));
  }, 180_000);

  it('marks an import failed, and says why, when the server running it is killed', async () => {
    const e = await startServe(env);
    const count = async () =>
      Number(
        (
          await testDb.db.kysely
            .selectFrom('credential_entries')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('account_id', '=', accountId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const { res, job } = await importOn(e, newRows(20000, 'k'), bearer(), false);
    expect(res.status).toBe(202);
    e.child.kill('SIGKILL');
    await e.exited;
    await e.stop();
    // Another server finds the job without a runner (its lock went with the dead connection).
    let after: Job | undefined;
    for (let i = 0; i < 100; i += 1) {
      after = (await (
        await api(a, `/api/credential-passwords/imports/${job.id}`, { headers: bearer() })
      ).json()) as Job;
      if (after.status === 'failed' || after.status === 'succeeded') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(after!.status).toBe('failed');
    expect(after!.error).toMatch(/stopped \(it was killed or crashed\).*Nothing of it was applied/);
    expect(await count()).toBe(before);
  }, 120_000);

  it('stops both servers cleanly', async () => {
    for (const server of [a, b]) {
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
    }
    expect(a.output() + b.output()).not.toMatch(/"level":(50|60)/);
  }, 60_000);
});
