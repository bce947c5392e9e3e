import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, json, loginCookie, seedUser, type SeededUser, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/databases.ts';
import { seedSet } from './support.ts';

// Projects → tests: the API that says which credential set a test uses and how it reaches the registrar.

describe.each(DIALECTS)('projects and registration tests on %s', (dialect) => {
  let t: TestApp;
  let alice: SeededUser;
  let bob: SeededUser;
  let aliceSet: number;
  let aliceOtherSet: number;
  let bobSet: number;

  const call = (user: SeededUser, method: string, url: string, payload?: unknown) =>
    t.app.inject({
      method: method as 'GET',
      url,
      headers: bearer(user),
      ...(payload !== undefined && { payload: payload as object }),
    });

  beforeAll(async () => {
    t = await createTestApp(dialect);
    alice = await seedUser(t, { name: 'Alice corp' });
    bob = await seedUser(t, { name: 'Bob corp' });
    aliceSet = (
      await seedSet(t.ctx, alice.accountId, 'Alice PBX', [
        { username: '1001', domain: 'pbx.example.com', password: 'a-secret-1' },
        { username: '1002', domain: 'pbx.example.com', password: 'a-secret-2' },
      ])
    ).setId;
    aliceOtherSet = (await seedSet(t.ctx, alice.accountId, 'Alice trunk', [])).setId;
    bobSet = (
      await seedSet(t.ctx, bob.accountId, 'Bob PBX', [{ username: '2001', domain: 'b.example', password: 'b' }])
    ).setId;
  });
  afterAll(async () => t?.close());

  it('creates, lists, renames and deletes a project', async () => {
    const created = await call(alice, 'POST', '/api/projects', { name: '  Staging  ', description: 'pre-prod' });
    expect(created.statusCode).toBe(201);
    const project = json(created);
    expect(project).toMatchObject({ name: 'Staging', description: 'pre-prod', test_count: 0 });
    expect(created.headers.location).toBe(`/api/projects/${project.id}`);

    const list = json(await call(alice, 'GET', '/api/projects'));
    expect(list).toMatchObject({ page: 1, page_size: 25 });
    expect(list.items.map((p: { name: string }) => p.name)).toContain('Staging');

    const renamed = await call(alice, 'PATCH', `/api/projects/${project.id}`, { name: 'Staging EU' });
    expect(renamed.statusCode).toBe(200);
    expect(json(renamed).name).toBe('Staging EU');

    expect((await call(alice, 'DELETE', `/api/projects/${project.id}`)).statusCode).toBe(204);
    expect((await call(alice, 'GET', `/api/projects/${project.id}`)).statusCode).toBe(404);
  });

  it('a test names a credential set, the registrar, the transport and how many entries to try', async () => {
    const project = json(await call(alice, 'POST', '/api/projects', { name: 'Rotation checks' }));
    const res = await call(alice, 'POST', `/api/projects/${project.id}/tests`, {
      name: 'Register after rotation',
      credential_set_id: aliceSet,
      registrar: { mode: 'proxy', proxy: 'sip.example.com:5080' },
      transport: 'tcp',
      entries_to_try: 2,
      timeout_seconds: 3,
    });
    expect(res.statusCode).toBe(201);
    const test = json(res);
    expect(test).toEqual({
      id: expect.any(Number),
      project_id: project.id,
      name: 'Register after rotation',
      kind: 'registration',
      credential_set_id: aliceSet,
      credential_set: { id: aliceSet, name: 'Alice PBX', entry_count: 2 },
      registrar: { mode: 'proxy', proxy: 'sip.example.com:5080' },
      transport: 'tcp',
      entries_to_try: 2,
      timeout_seconds: 3,
      last_run: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });

    const tests = json(await call(alice, 'GET', `/api/projects/${project.id}/tests`));
    expect(tests.items).toHaveLength(1);
    expect(json(await call(alice, 'GET', `/api/projects/${project.id}`)).test_count).toBe(1);
  });

  it('a new test gets sensible defaults: DNS for the registrar, UDP, one entry, 5 seconds', async () => {
    const project = json(await call(alice, 'POST', '/api/projects', { name: 'Defaults' }));
    const test = json(await call(alice, 'POST', `/api/projects/${project.id}/tests`, { name: 'Smoke' }));
    expect(test).toMatchObject({
      credential_set_id: null,
      credential_set: null,
      registrar: { mode: 'dns' },
      transport: 'udp',
      entries_to_try: 1,
      timeout_seconds: 5,
    });
  });

  it('changing which credential set a test uses happens here, and is audited', async () => {
    const project = json(await call(alice, 'POST', '/api/projects', { name: 'Switch sets' }));
    const test = json(
      await call(alice, 'POST', `/api/projects/${project.id}/tests`, { name: 'Smoke', credential_set_id: aliceSet }),
    );
    const res = await call(alice, 'PATCH', `/api/tests/${test.id}`, { credential_set_id: aliceOtherSet });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({
      credential_set_id: aliceOtherSet,
      credential_set: { name: 'Alice trunk', entry_count: 0 },
      name: 'Smoke',
      registrar: { mode: 'dns' },
    });
    const back = json(
      await call(alice, 'PATCH', `/api/tests/${test.id}`, {
        registrar: { mode: 'proxy', proxy: '[2001:db8::1]:5060' },
      }),
    );
    expect(back).toMatchObject({ credential_set_id: aliceOtherSet, registrar: { proxy: '[2001:db8::1]:5060' } });

    const audit = await t.ctx.db.kysely
      .selectFrom('audit_events')
      .select(['action', 'details'])
      .where('account_id', '=', alice.accountId)
      .where('action', '=', 'test.updated')
      .execute();
    expect(audit.map((a) => JSON.parse(a.details))).toContainEqual({
      test_id: test.id,
      changed: ['credentialSetId'],
      credential_set_id: { from: aliceSet, to: aliceOtherSet },
    });
  });

  it('a test cannot name another account’s credential set: it reads like a set that does not exist', async () => {
    const project = json(await call(alice, 'POST', '/api/projects', { name: 'Isolation' }));
    const foreign = await call(alice, 'POST', `/api/projects/${project.id}/tests`, {
      name: 'Sneaky',
      credential_set_id: bobSet,
    });
    const missing = await call(alice, 'POST', `/api/projects/${project.id}/tests`, {
      name: 'Sneaky',
      credential_set_id: 999999,
    });
    expect(foreign.statusCode).toBe(422);
    expect(missing.statusCode).toBe(422);
    expect(json(foreign).detail).toBe(json(missing).detail.replace('999999', String(bobSet)));
    expect(json(foreign).detail).not.toContain('Bob');

    const test = json(await call(alice, 'POST', `/api/projects/${project.id}/tests`, { name: 'Fine' }));
    const patched = await call(alice, 'PATCH', `/api/tests/${test.id}`, { credential_set_id: bobSet });
    expect(patched.statusCode).toBe(422);
    expect(json(await call(alice, 'GET', `/api/tests/${test.id}`)).credential_set_id).toBeNull();
  });

  it('another account’s projects, tests and runs answer 404 exactly like missing ones', async () => {
    const project = json(await call(alice, 'POST', '/api/projects', { name: 'Private' }));
    const test = json(await call(alice, 'POST', `/api/projects/${project.id}/tests`, { name: 'Private test' }));
    const probes: Array<[string, string, unknown?]> = [
      ['GET', `/api/projects/${project.id}`],
      ['PATCH', `/api/projects/${project.id}`, { name: 'mine now' }],
      ['DELETE', `/api/projects/${project.id}`],
      ['GET', `/api/projects/${project.id}/tests`],
      ['POST', `/api/projects/${project.id}/tests`, { name: 'planted' }],
      ['GET', `/api/tests/${test.id}`],
      ['PATCH', `/api/tests/${test.id}`, { name: 'mine now' }],
      ['DELETE', `/api/tests/${test.id}`],
      ['POST', `/api/tests/${test.id}/runs`],
      ['GET', `/api/tests/${test.id}/runs`],
    ];
    for (const [method, url, payload] of probes) {
      const theirs = await call(bob, method, url, payload);
      const missing = await call(bob, method, url.replace(/\/(\d+)(\/|$)/, '/987654$2'), payload);
      expect(theirs.statusCode, `${method} ${url}`).toBe(404);
      expect(missing.statusCode, `${method} ${url} (missing)`).toBe(404);
      expect(json(theirs).title).toBe(json(missing).title);
      expect(json(theirs).detail).toBe(json(missing).detail.replace('987654', url.match(/\/(\d+)/)![1]!));
    }
    expect(json(await call(bob, 'GET', '/api/projects')).items).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ id: project.id })]),
    );
    // Still Alice's, unchanged.
    expect(json(await call(alice, 'GET', `/api/tests/${test.id}`)).name).toBe('Private test');
  });

  it('ids that are not positive integers name nothing (404), and bad bodies say what to fix (400)', async () => {
    expect((await call(alice, 'GET', '/api/projects/abc')).statusCode).toBe(404);
    expect((await call(alice, 'GET', '/api/tests/0')).statusCode).toBe(404);
    expect((await call(alice, 'GET', '/api/runs/-1')).statusCode).toBe(404);

    const project = json(await call(alice, 'POST', '/api/projects', { name: 'Validation' }));
    const bad = async (payload: unknown) => {
      const res = await call(alice, 'POST', `/api/projects/${project.id}/tests`, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      return json(res).detail as string;
    };
    expect(await bad({ name: '   ' })).toMatch(/name of 1 to 200 characters/);
    expect(await bad({ name: 'x', transport: 'sctp' })).toMatch(/"udp" or "tcp"/);
    expect(await bad({ name: 'x', entries_to_try: 0 })).toMatch(/entries_to_try from 1 to 100/);
    expect(await bad({ name: 'x', entries_to_try: 101 })).toMatch(/entries_to_try from 1 to 100/);
    expect(await bad({ name: 'x', timeout_seconds: 61 })).toMatch(/timeout_seconds from 1 to 60/);
    expect(await bad({ name: 'x', registrar: { mode: 'proxy' } })).toMatch(/proxy/);
    expect(await bad({ name: 'x', registrar: { mode: 'proxy', proxy: 'not a host:99999' } })).toMatch(/host:port/);
    expect(await bad({ name: 'x', registrar: { mode: 'carrier-pigeon' } })).toMatch(/"mode":"dns"/);
    expect(await bad({ name: 'x', password: 'no' })).toMatch(/Remove the unknown field\(s\) "password"/);
    expect(json(await call(alice, 'GET', `/api/projects/${project.id}/tests`)).items).toEqual([]);

    const emptyPatch = await call(alice, 'PATCH', `/api/projects/${project.id}`, {});
    expect(emptyPatch.statusCode).toBe(400);
  });

  it('the web session works too, and writes need its CSRF token', async () => {
    const session = await loginCookie(t, alice);
    const without = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: { cookie: session.cookie },
      payload: { name: 'No CSRF' },
    });
    expect(without.statusCode).toBe(403);
    const withToken = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf },
      payload: { name: 'With CSRF' },
    });
    expect(withToken.statusCode).toBe(201);
    expect((await t.app.inject({ method: 'GET', url: '/api/projects' })).statusCode).toBe(401);
  });

  it('deleting a project removes its tests', async () => {
    const project = json(await call(alice, 'POST', '/api/projects', { name: 'Short-lived' }));
    const test = json(await call(alice, 'POST', `/api/projects/${project.id}/tests`, { name: 'Gone soon' }));
    expect((await call(alice, 'DELETE', `/api/projects/${project.id}`)).statusCode).toBe(204);
    expect((await call(alice, 'GET', `/api/tests/${test.id}`)).statusCode).toBe(404);
  });
});
