import dgram from 'node:dgram';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, json, seedUser, type SeededUser, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/databases.ts';
import { eventually, startRegistrar, type Registrar } from './support.ts';

// Runs and one-entry checks through the API against a real registrar (Kamailio on loopback):
// a right password registers (200), a wrong one and an unknown user are refused (403), over UDP and TCP.

const PORT = 15090; // 15090–15099 belong to the projects tests; one port per test file
const SHA256_PORT = 15093; // the same users, challenged with SHA-256 (RFC 8760)
const SILENT_PORT = 15098; // a UDP socket that never answers
const NOBODY_PORT = 15099; // nothing listens here

const ALICE_PW = 'alice-Rotated#2026';
const BOB_PW = 'bob-Rotated#2026';
const BOB_OLD_PW = 'bob-before-rotation';
const SECRETS = [ALICE_PW, BOB_PW, BOB_OLD_PW];

let registrar: Registrar;
let sha256Registrar: Registrar;
let silent: dgram.Socket;

beforeAll(async () => {
  registrar = startRegistrar(PORT, [
    ['alice', '127.0.0.1', ALICE_PW],
    ['bob', '127.0.0.1', BOB_PW],
  ]);
  sha256Registrar = startRegistrar(SHA256_PORT, [['alice', '127.0.0.1', ALICE_PW]], {
    SIP_DIGEST_ALGORITHM: 'SHA-256',
  });
  silent = dgram.createSocket('udp4');
  await new Promise<void>((done) => silent.bind(SILENT_PORT, '127.0.0.1', done));
});
afterAll(() => {
  silent?.close();
  registrar?.stop();
  sha256Registrar?.stop();
});

function expectNoSecrets(res: LightMyRequestResponse): void {
  for (const s of SECRETS) expect(res.body).not.toContain(s);
  expect(res.body).not.toMatch(/"(auth_password|password|password_enc)"\s*:/);
}

describe.each(DIALECTS)('registration checks against Kamailio, API on %s', (dialect) => {
  let t: TestApp;
  let user: SeededUser;
  let other: SeededUser;
  let setId: number;
  let entries: { alice: number; bobWrong: number; mallory: number; aliceByDomain: number };
  let projectId: number;

  const call = async (u: SeededUser, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => {
    const res = await t.app.inject({ method, url, headers: bearer(u), ...(payload && { payload }) });
    expectNoSecrets(res);
    return res;
  };

  beforeAll(async () => {
    t = await createTestApp(dialect);
    user = await seedUser(t, { name: 'Rotation team' });
    other = await seedUser(t, { name: 'Someone else' });
    // The credentials arrive through the API, as a user would store them.
    const entry = (username: string, password: string, domain = '127.0.0.1') => ({
      username,
      domain,
      display_name: username,
      auth_username: username,
      auth_password: password,
    });
    const created = await call(user, 'POST', '/api/credential-sets', {
      name: 'Rotated extensions',
      entries: [
        entry('alice', ALICE_PW),
        entry('bob', BOB_OLD_PW),
        entry('mallory', 'whatever-Pw1'),
        entry('alice', ALICE_PW, `127.0.0.1:${PORT}`),
      ],
    });
    expect(created.statusCode, created.body).toBe(201);
    setId = json(created).id;
    const listed = json(await call(user, 'GET', `/api/credential-sets/${setId}/entries?page_size=100`));
    const ids = (listed.items as Array<{ id: number }>).map((e) => e.id).sort((a, b) => a - b);
    entries = { alice: ids[0]!, bobWrong: ids[1]!, mallory: ids[2]!, aliceByDomain: ids[3]! };
    projectId = json(await call(user, 'POST', '/api/projects', { name: 'After rotation' })).id;
  });
  afterAll(async () => t?.close());

  async function newTest(body: Record<string, unknown>): Promise<number> {
    const res = await call(user, 'POST', `/api/projects/${projectId}/tests`, {
      name: 'Register',
      credential_set_id: setId,
      registrar: { mode: 'proxy', proxy: `127.0.0.1:${PORT}` },
      entries_to_try: 3,
      ...body,
    });
    expect(res.statusCode, res.body).toBe(201);
    return json(res).id;
  }

  for (const transport of ['udp', 'tcp'] as const) {
    it(`a run over ${transport.toUpperCase()}: the right password gets 200, a wrong one and an unknown user 403`, async () => {
      const testId = await newTest({ transport });
      const res = await call(user, 'POST', `/api/tests/${testId}/runs?wait=true`);
      expect(res.statusCode, res.body).toBe(200);
      const run = json(res);
      expect(run).toMatchObject({
        test_id: testId,
        status: 'succeeded',
        error: null,
        total: 3,
        done: 3,
        passed: 1,
        failed: 2,
        settings: {
          credential_set_id: setId,
          credential_set_name: 'Rotated extensions',
          registrar: { mode: 'proxy', proxy: `127.0.0.1:${PORT}` },
          transport,
          entries_to_try: 3,
        },
      });
      expect(
        run.results.map((r: any) => [r.position, r.entry_id, r.username, r.status_code, r.reason, r.outcome]),
      ).toEqual([
        [1, entries.alice, 'alice', 200, 'OK', 'registered'],
        [2, entries.bobWrong, 'bob', 403, 'Forbidden', 'rejected'],
        [3, entries.mallory, 'mallory', 403, 'Forbidden', 'rejected'],
      ]);
      expect(run.results[0].message).toMatch(/Registration succeeded \(200 OK\) and the binding was removed again/);
      expect(run.results[1].message).toMatch(/check the password and auth username/);
      for (const r of run.results) expect(r.duration_ms).toBeGreaterThanOrEqual(0);
    });
  }

  it('the entry’s domain, resolved as RFC 3263 says (an IP address with a port is used as it is)', async () => {
    const testId = await newTest({ registrar: { mode: 'dns' }, entries_to_try: 4 });
    const run = json(await call(user, 'POST', `/api/tests/${testId}/runs?wait=true`));
    expect(run.results[3]).toMatchObject({ entry_id: entries.aliceByDomain, status_code: 200 });
  });

  it('a run started without waiting is polled while results arrive, and earlier runs are listed newest first', async () => {
    const testId = await newTest({ transport: 'tcp' });
    const first = json(await call(user, 'POST', `/api/tests/${testId}/runs?wait=true`));
    const started = await call(user, 'POST', `/api/tests/${testId}/runs`);
    expect(started.statusCode).toBe(202);
    expect(started.headers.location).toBe(`/api/runs/${json(started).id}`);
    expect(json(started)).toMatchObject({ total: 3 });
    const finished = await eventually(
      async () => json(await call(user, 'GET', `/api/runs/${json(started).id}`)),
      (r) => r.status !== 'running',
    );
    expect(finished).toMatchObject({ status: 'succeeded', done: 3, passed: 1 });

    const list = json(await call(user, 'GET', `/api/tests/${testId}/runs`));
    expect(list).toMatchObject({ page: 1, total: 2 });
    expect(list.items.map((r: any) => r.id)).toEqual([finished.id, first.id]);
    expect(list.items[0]).not.toHaveProperty('results');

    const test = json(await call(user, 'GET', `/api/tests/${testId}`));
    expect(test.last_run).toMatchObject({ id: finished.id, passed: 1, failed: 2 });

    // Another account sees none of it.
    expect((await call(other, 'GET', `/api/runs/${finished.id}`)).statusCode).toBe(404);
    expect((await call(other, 'GET', `/api/tests/${testId}/runs`)).statusCode).toBe(404);
  });

  it('a rotated password is used by the next run (the test loads credentials when it starts)', async () => {
    const testId = await newTest({ entries_to_try: 2 });
    const before = json(await call(user, 'POST', `/api/tests/${testId}/runs?wait=true`));
    expect(before.results[1].status_code).toBe(403);
    const changed = await call(user, 'PATCH', `/api/credential-sets/${setId}/entries/${entries.bobWrong}`, {
      auth_password: BOB_PW,
    });
    expect(changed.statusCode, changed.body).toBe(200);
    const after = json(await call(user, 'POST', `/api/tests/${testId}/runs?wait=true`));
    expect(after.results.map((r: any) => r.status_code)).toEqual([200, 200]);
    await call(user, 'PATCH', `/api/credential-sets/${setId}/entries/${entries.bobWrong}`, {
      auth_password: BOB_OLD_PW,
    });
  });

  describe('POST /api/registration-checks (Verify registration in the Import results dialog)', () => {
    const check = (u: SeededUser, body: object) => call(u, 'POST', '/api/registration-checks', body);

    it('answers the final status of one entry in the same shape as `sipcreds verify --json`', async () => {
      for (const transport of ['udp', 'tcp']) {
        const res = await check(user, { entry_id: entries.alice, proxy: `127.0.0.1:${PORT}`, transport });
        expect(res.statusCode, res.body).toBe(200);
        expect(json(res)).toEqual({
          entry_id: entries.alice,
          status_code: 200,
          reason: 'OK',
          duration_ms: expect.any(Number),
          message: 'Registration succeeded (200 OK) and the binding was removed again.',
        });
      }
      const wrong = json(await check(user, { entry_id: entries.bobWrong, proxy: `127.0.0.1:${PORT}` }));
      expect(wrong).toMatchObject({ status_code: 403, reason: 'Forbidden' });
      const unknown = json(await check(user, { entry_id: entries.mallory, proxy: `127.0.0.1:${PORT}` }));
      expect(unknown).toMatchObject({ status_code: 403 });
      const byDomain = json(await check(user, { entry_id: entries.aliceByDomain }));
      expect(byDomain).toMatchObject({ status_code: 200 });
    });

    it('a registrar that challenges with SHA-256 (RFC 8760) is answered too', async () => {
      for (const transport of ['udp', 'tcp']) {
        const res = json(await check(user, { entry_id: entries.alice, proxy: `127.0.0.1:${SHA256_PORT}`, transport }));
        expect(res).toMatchObject({ status_code: 200, reason: 'OK' });
      }
      const wrong = json(await check(user, { entry_id: entries.bobWrong, proxy: `127.0.0.1:${SHA256_PORT}` }));
      expect(wrong).toMatchObject({ status_code: 403 });
    });

    it('no answer is an answer too: nothing listening, or a registrar that stays silent', async () => {
      const refused = json(await check(user, { entry_id: entries.alice, proxy: `127.0.0.1:${NOBODY_PORT}` }));
      expect(refused).toMatchObject({ status_code: null, reason: 'Connection refused' });
      expect(refused.message).toMatch(/nothing listens on UDP port 15099/);
      const timeout = json(
        await check(user, { entry_id: entries.alice, proxy: `127.0.0.1:${SILENT_PORT}`, timeout_seconds: 1 }),
      );
      expect(timeout).toMatchObject({ status_code: null, reason: 'Timeout' });
      expect(timeout.message).toMatch(/No answer from 127\.0\.0\.1:15098 over UDP within 1 s/);
      expect(timeout.duration_ms).toBeGreaterThanOrEqual(900);
    });

    it('another account’s entry reads like a missing one; bad input says what to fix', async () => {
      const theirs = await check(other, { entry_id: entries.alice, proxy: `127.0.0.1:${PORT}` });
      const missing = await check(other, { entry_id: 987654, proxy: `127.0.0.1:${PORT}` });
      expect(theirs.statusCode).toBe(404);
      expect(json(theirs).detail).toBe(json(missing).detail.replace('987654', String(entries.alice)));
      const badProxy = await check(user, { entry_id: entries.alice, proxy: 'two words' });
      expect(badProxy.statusCode).toBe(400);
      expect(json(badProxy).detail).toMatch(/not host:port/);
      expect((await check(user, { entry_id: 'one' })).statusCode).toBe(400);
      expect((await check(user, { entry_id: entries.alice, transport: 'tls' })).statusCode).toBe(400);
    });

    it('each check is audited, without the password', async () => {
      const events = await t.ctx.db.kysely
        .selectFrom('audit_events')
        .selectAll()
        .where('account_id', '=', user.accountId)
        .where('action', '=', 'registration_check')
        .execute();
      expect(events.length).toBeGreaterThan(3);
      expect(events.map((e) => JSON.parse(e.details))).toContainEqual(
        expect.objectContaining({ entry_id: entries.alice, status_code: 200, transport: 'tcp' }),
      );
      for (const s of SECRETS) expect(JSON.stringify(events)).not.toContain(s);
    });
  });
});
