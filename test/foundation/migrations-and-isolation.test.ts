import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, migrationsCurrent } from '../../src/db/migrate.ts';
import { bearer, createTestApp, json, seedUser, type SeededUser, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/databases.ts';

describe.each(DIALECTS)('storage on %s', (dialect) => {
  let t: TestApp;
  let a: SeededUser;
  let b: SeededUser;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    a = await seedUser(t, { name: 'Alpha' });
    b = await seedUser(t, { name: 'Beta' });
  });
  afterAll(async () => t?.close());

  it('migrations are idempotent: running them again applies nothing', async () => {
    const again = await migrateToLatest(t.ctx.db);
    expect(again).toEqual({ kind: 'ok', applied: [] });
    expect(await migrationsCurrent(t.ctx.db)).toBe(true);
  });

  it('each account sees only itself', async () => {
    const ra = json(await t.app.inject({ method: 'GET', url: '/api/account', headers: bearer(a) }));
    const rb = json(await t.app.inject({ method: 'GET', url: '/api/account', headers: bearer(b) }));
    expect(ra.name).toBe('Alpha');
    expect(rb.name).toBe('Beta');
    expect(ra.id).not.toBe(rb.id);
  });

  it('readiness reports the database reachable and migrated', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(json(res).status).toBe('ready');
  });
});
