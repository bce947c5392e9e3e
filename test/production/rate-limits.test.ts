import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAuthHook } from '../../src/http/auth.ts';
import type { AppContext } from '../../src/http/context.ts';
import { rateLimitGroupOf } from '../../src/http/security.ts';
import { createTestApp, bearer, json, seedUser, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/databases.ts';

const HEADER = 'multi_credential_pool_id,entry_id,username,domain,display_name,auth_username,auth_password,totp_secret';

// Stand-ins with the paths of the real import and export routes: the limits attach by path, so
// they hold for whichever module serves them.
async function heavyRoutes(app: FastifyInstance, ctx: AppContext) {
  await app.register(async (api) => {
    addAuthHook(api, ctx);
    api.post('/api/limits-probe/imports', async () => ({ started: true }));
    api.get('/api/limits-probe/export.csv', async () => 'csv');
    api.get('/api/limits-probe/imports/:job', async () => ({ polled: true }));
  });
}

describe('which routes are limited', () => {
  it.each([
    ['POST', '/api/credential-passwords/imports', 'imports'],
    ['GET', '/api/credential-passwords/export.csv', 'exports'],
    ['GET', '/api/credential-sets/:id/export.csv', 'exports'],
    ['GET', '/api/credential-passwords/imports/:job', undefined],
    ['GET', '/api/credential-passwords/imports/:job/results.csv', undefined],
    ['POST', '/api/session', undefined],
    ['POST', '/api/registration-checks', 'checks'],
    ['POST', '/api/tests/:id/runs', 'checks'],
    ['GET', '/api/tests/:id/runs', undefined],
  ])('%s %s → %s', (method, url, group) => {
    expect(rateLimitGroupOf(method, url)).toBe(group);
  });
});

describe.each(DIALECTS)('per-account limits on imports and exports on %s', (dialect) => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const config = { importRateLimit: 3, exportRateLimit: 2, checkRateLimit: 2 };
    a = await createTestApp(dialect, { config, routes: heavyRoutes });
    // A second server on the same database: the count is shared.
    b = await createTestApp(dialect, { config, routes: heavyRoutes, onDb: a.testDb });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('refuses the import after the limit, counted across servers, with 429, Retry-After and a sentence', async () => {
    const user = await seedUser(a);
    const post = (t: TestApp) =>
      t.app.inject({ method: 'POST', url: '/api/limits-probe/imports', headers: bearer(user), payload: {} });
    expect((await post(a)).statusCode).toBe(200);
    const second = await post(b);
    expect(second.statusCode).toBe(200);
    expect(second.headers['x-ratelimit-remaining']).toBe('1');
    expect((await post(a)).statusCode).toBe(200);
    const refused = await post(b);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(json(refused)).toMatchObject({ status: 429, title: 'Too many imports' });
    expect(json(refused).detail).toMatch(/started 3 imports in the last minute/);

    // Following a job is not limited; exports have their own count.
    expect(
      (await a.app.inject({ method: 'GET', url: '/api/limits-probe/imports/1', headers: bearer(user) })).statusCode,
    ).toBe(200);
    expect(
      (await a.app.inject({ method: 'GET', url: '/api/limits-probe/export.csv', headers: bearer(user) })).statusCode,
    ).toBe(200);
  });

  it('bounds registration checks per account, so the server cannot be used to scan ports', async () => {
    const user = await seedUser(a);
    const check = (t: TestApp) =>
      t.app.inject({
        method: 'POST',
        url: '/api/registration-checks',
        headers: bearer(user),
        payload: { entry_id: 999999 },
      });
    // A missing entry is a 404, and it still counts.
    expect((await check(a)).statusCode).toBe(404);
    expect((await check(b)).statusCode).toBe(404);
    const refused = await check(a);
    expect(refused.statusCode).toBe(429);
    expect(json(refused).title).toBe('Too many registration checks');
  });

  it('counts per account: another account is not held up', async () => {
    const busy = await seedUser(a);
    const calm = await seedUser(a);
    for (let i = 0; i < 2; i += 1) {
      expect(
        (await a.app.inject({ method: 'GET', url: '/api/limits-probe/export.csv', headers: bearer(busy) })).statusCode,
      ).toBe(200);
    }
    const refused = await b.app.inject({ method: 'GET', url: '/api/limits-probe/export.csv', headers: bearer(busy) });
    expect(refused.statusCode).toBe(429);
    expect(json(refused).title).toBe('Too many exports');
    expect(
      (await b.app.inject({ method: 'GET', url: '/api/limits-probe/export.csv', headers: bearer(calm) })).statusCode,
    ).toBe(200);
  });

  it('starts a fresh window once the minute has passed', async () => {
    const user = await seedUser(a);
    for (let i = 0; i < 2; i += 1) {
      await a.app.inject({ method: 'GET', url: '/api/limits-probe/export.csv', headers: bearer(user) });
    }
    expect(
      (await a.app.inject({ method: 'GET', url: '/api/limits-probe/export.csv', headers: bearer(user) })).statusCode,
    ).toBe(429);
    await a.ctx.db.kysely
      .withTables<{ rate_limit_counters: { key: string; window_started_at: string } }>()
      .updateTable('rate_limit_counters')
      .set({ window_started_at: new Date(Date.now() - 61_000).toISOString() })
      .where('key', 'like', `%account:${user.accountId}:%`)
      .execute();
    expect(
      (await a.app.inject({ method: 'GET', url: '/api/limits-probe/export.csv', headers: bearer(user) })).statusCode,
    ).toBe(200);
  });

  it('holds on the real import and export routes of Credential Passwords', async () => {
    const user = await seedUser(a);
    const csv = `${HEADER}\r\n,,9001,limits.example.test,Nine,9001,limit-pw-1,`;
    const startImport = (t: TestApp, dryRun: boolean) =>
      t.app.inject({
        method: 'POST',
        url: `/api/credential-passwords/imports?wait=true${dryRun ? '&dry_run=true' : ''}`,
        headers: { ...bearer(user), 'content-type': 'text/csv' },
        payload: csv,
      });
    expect((await startImport(a, true)).statusCode).toBe(200);
    expect((await startImport(b, false)).statusCode).toBe(200);
    const third = await startImport(a, false);
    expect(third.statusCode).toBe(200);
    const refused = await startImport(b, false);
    expect(refused.statusCode).toBe(429);
    expect(json(refused).title).toBe('Too many imports');
    // Following a job is not limited.
    const job = await b.app.inject({
      method: 'GET',
      url: `/api/credential-passwords/imports/${json(third).id}`,
      headers: bearer(user),
    });
    expect(job.statusCode).toBe(200);

    const setId = (
      await a.ctx.db.kysely
        .selectFrom('credential_sets')
        .select('id')
        .where('account_id', '=', user.accountId)
        .executeTakeFirstOrThrow()
    ).id;
    const all = await a.app.inject({
      method: 'GET',
      url: '/api/credential-passwords/export.csv',
      headers: bearer(user),
    });
    expect(all.statusCode).toBe(200);
    const one = await b.app.inject({
      method: 'GET',
      url: `/api/credential-sets/${setId}/export.csv`,
      headers: bearer(user),
    });
    expect(one.statusCode).toBe(200);
    const again = await a.app.inject({
      method: 'GET',
      url: '/api/credential-passwords/export.csv',
      headers: bearer(user),
    });
    expect(again.statusCode).toBe(429);
    expect(json(again).title).toBe('Too many exports');
    expect(again.body).not.toContain('limit-pw-1');
  });

  it('answers 401 before counting when there is no auth', async () => {
    const res = await a.app.inject({ method: 'POST', url: '/api/limits-probe/imports', payload: {} });
    expect(res.statusCode).toBe(401);
  });

  it('never loses a hit when servers count at the same moment', async () => {
    const user = await seedUser(a);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? a : b).app.inject({
          method: 'POST',
          url: '/api/limits-probe/imports',
          headers: bearer(user),
          payload: {},
        }),
      ),
    );
    const codes = answers.map((r) => r.statusCode).sort();
    expect(codes).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
  });
});
