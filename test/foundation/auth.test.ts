import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, json, loginCookie, seedUser, type SeededUser, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/databases.ts';

describe.each(DIALECTS)('login and access on %s', (dialect) => {
  let t: TestApp;
  let user: SeededUser;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    user = await seedUser(t);
  });
  afterAll(async () => t?.close());

  it('logs in with email and password and sets an HttpOnly SameSite session cookie', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { email: user.email, password: user.password },
    });
    expect(res.statusCode).toBe(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/sipcreds_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const body = json(res);
    expect(body.user.email).toBe(user.email);
    expect(body.account.id).toBe(user.accountId);
    expect(typeof body.csrf_token).toBe('string');
    expect(res.body).not.toContain(user.password);
  });

  it('accepts the email in any case and with spaces around it', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { email: `  ${user.email.toUpperCase()} `, password: user.password },
    });
    expect(res.statusCode).toBe(200);
  });

  it('answers a wrong password and an unknown email alike', async () => {
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { email: user.email, password: 'wrong-password' },
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { email: 'nobody@example.com', password: 'wrong-password' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.body).toBe(unknown.body);
    expect(wrong.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('refuses every API route without auth with 401', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/account' });
    expect(res.statusCode).toBe(401);
    expect(json(res).detail).toMatch(/Log in/);
  });

  it('accepts a Bearer API token and refuses a made-up one', async () => {
    const ok = await t.app.inject({ method: 'GET', url: '/api/account', headers: bearer(user) });
    expect(ok.statusCode).toBe(200);
    expect(json(ok).id).toBe(user.accountId);
    const bad = await t.app.inject({
      method: 'GET',
      url: '/api/account',
      headers: { authorization: 'Bearer sipc_madeup' },
    });
    expect(bad.statusCode).toBe(401);
  });

  it('stores only the hash of API tokens and sessions', async () => {
    const tokens = await t.ctx.db.kysely.selectFrom('api_tokens').select('token_hash').execute();
    expect(tokens.length).toBeGreaterThan(0);
    for (const row of tokens) expect(row.token_hash).not.toBe(user.token);
    const session = await loginCookie(t, user);
    const sessions = await t.ctx.db.kysely.selectFrom('sessions').select('id').execute();
    expect(sessions.map((s) => s.id)).not.toContain(session.cookie.split('=')[1]);
  });

  it('requires the CSRF token for cookie-authenticated writes', async () => {
    const s = await loginCookie(t, user);
    const without = await t.app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie: s.cookie } });
    expect(without.statusCode).toBe(403);
    const read = await t.app.inject({ method: 'GET', url: '/api/account', headers: { cookie: s.cookie } });
    expect(read.statusCode).toBe(200);
    const out = await t.app.inject({
      method: 'DELETE',
      url: '/api/session',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    });
    expect(out.statusCode).toBe(204);
    const after = await t.app.inject({ method: 'GET', url: '/api/account', headers: { cookie: s.cookie } });
    expect(after.statusCode).toBe(401);
  });

  it('rate-limits repeated failed logins for an email, known or not, with 429', async () => {
    const victim = await seedUser(t);
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/session',
        payload: { email: victim.email, password: 'nope-nope-nope' },
      });
      codes.push(res.statusCode);
    }
    expect(codes.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(codes[5]).toBe(429);
    // Even the right password is refused while the limit holds.
    const right = await t.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { email: victim.email, password: victim.password },
    });
    expect(right.statusCode).toBe(429);
    expect(right.headers['retry-after']).toBeDefined();
    expect(json(right).detail).toMatch(/Wait 15 minutes/);
  });
});
