import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAuthHook } from '../../src/http/auth.ts';
import { errorHandler } from '../../src/http/problem.ts';
import { requireRecentReauth } from '../../src/http/routes/reauth.routes.ts';
import cookie from '@fastify/cookie';
import {
  bearer,
  createTestApp,
  json,
  loginCookie,
  seedUser,
  type CookieSession,
  type TestApp,
} from '../support/app.ts';
import { DIALECTS } from '../support/databases.ts';

describe.each(DIALECTS)('re-entering the password before Export All on %s', (dialect) => {
  let t: TestApp;
  // A second app on the same database stands for a second server behind the load balancer.
  let guarded: Awaited<ReturnType<typeof guardedApp>>;

  // The export route's owner calls requireRecentReauth first; this stands in for that route.
  async function guardedApp() {
    const app = Fastify({ logger: false });
    app.decorateRequest('principal', null);
    app.setErrorHandler(errorHandler);
    await app.register(cookie);
    await app.register(async (api) => {
      addAuthHook(api, t.ctx);
      api.get('/api/credential-passwords/export.csv', async (request) => {
        const proof = await requireRecentReauth(t.ctx, request);
        return { exported: true, proof };
      });
    });
    await app.ready();
    return app;
  }

  beforeAll(async () => {
    t = await createTestApp(dialect);
    guarded = await guardedApp();
  });
  afterAll(async () => {
    await guarded?.close();
    await t?.close();
  });

  const reauth = (s: CookieSession, password: unknown, ip = '127.0.0.1') =>
    t.app.inject({
      method: 'POST',
      url: '/api/session/reauth',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
      payload: { password },
      remoteAddress: ip,
    });
  const exportAll = (s: CookieSession, token?: string) =>
    guarded.inject({
      method: 'GET',
      url: '/api/credential-passwords/export.csv',
      headers: { cookie: s.cookie, ...(token && { 'x-reauth-token': token }) },
    });

  it('gives a short-lived token for the right password, which any server accepts exactly once', async () => {
    const user = await seedUser(t);
    const s = await loginCookie(t, user);
    const res = await reauth(s, user.password);
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(body.expires_in).toBe(120);
    expect(body.reauth_token).toMatch(/^[\w-]{40,}$/);
    expect(res.body).not.toContain(user.password);

    const first = await exportAll(s, body.reauth_token);
    expect(first.statusCode).toBe(200);
    expect(json(first).proof).toEqual({ via: 'reauth' });
    const again = await exportAll(s, body.reauth_token);
    expect(again.statusCode).toBe(403);
    expect(json(again).detail).toMatch(/expired or was used already/);
  });

  it('accepts a token once even when two servers get it at the same moment', async () => {
    const user = await seedUser(t);
    const s = await loginCookie(t, user);
    const token = json(await reauth(s, user.password)).reauth_token as string;
    const answers = await Promise.all([exportAll(s, token), exportAll(s, token), exportAll(s, token)]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 403, 403]);
  });

  it('guards the real Export All: a browser session needs the token, and the audit log says it was given', async () => {
    const user = await seedUser(t);
    const s = await loginCookie(t, user);
    const url = '/api/credential-passwords/export.csv';
    const refused = await t.app.inject({ method: 'GET', url, headers: { cookie: s.cookie } });
    expect(refused.statusCode).toBe(403);
    expect(json(refused).reauth_required).toBe(true);
    const token = json(await reauth(s, user.password)).reauth_token as string;
    const ok = await t.app.inject({ method: 'GET', url, headers: { cookie: s.cookie, 'x-reauth-token': token } });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toMatch(/text\/csv/);
    // The export records its audit event once the stream has closed, a moment after the answer.
    let log: { items: Array<{ summary: string }> } = { items: [] };
    for (let i = 0; i < 50 && log.items.length === 0; i += 1) {
      if (i) await new Promise((r) => setTimeout(r, 20));
      log = json(
        await t.app.inject({
          method: 'GET',
          url: '/api/audit-events?action=credential_passwords.export_all',
          headers: bearer(user),
        }),
      );
    }
    expect(log.items[0]!.summary).toBe(
      `${user.email} exported all credentials with Export All (no entries), after re-entering their password`,
    );
  });

  it('stores only a hash of the token, in the database', async () => {
    const user = await seedUser(t);
    const s = await loginCookie(t, user);
    const token = json(await reauth(s, user.password)).reauth_token as string;
    const rows = await t.ctx.db.kysely
      .withTables<{ reauth_tokens: { token_hash: string; user_id: number } }>()
      .selectFrom('reauth_tokens')
      .select('token_hash')
      .where('user_id', '=', user.userId)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).not.toBe(token);
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('asks for the password when a browser session exports without a token, and says how', async () => {
    const user = await seedUser(t);
    const s = await loginCookie(t, user);
    const res = await exportAll(s);
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(json(res)).toMatchObject({ title: 'Password required', reauth_required: true });
    expect(json(res).detail).toMatch(/POST \/api\/session\/reauth/);
    expect(json(res).detail).toMatch(/X-Reauth-Token/);
  });

  it('lets API tokens export without it (scripts have no password to type)', async () => {
    const user = await seedUser(t);
    const res = await guarded.inject({
      method: 'GET',
      url: '/api/credential-passwords/export.csv',
      headers: bearer(user),
    });
    expect(res.statusCode).toBe(200);
    expect(json(res).proof).toEqual({ via: 'token' });
  });

  it('binds the token to the session it was issued to', async () => {
    const user = await seedUser(t);
    const a = await loginCookie(t, user);
    const b = await loginCookie(t, user);
    const token = json(await reauth(a, user.password)).reauth_token as string;
    expect((await exportAll(b, token)).statusCode).toBe(403);
    // Not used up by the refused attempt: the session it belongs to still can.
    expect((await exportAll(a, token)).statusCode).toBe(200);

    const stranger = await seedUser(t);
    const c = await loginCookie(t, stranger);
    const token2 = json(await reauth(a, user.password)).reauth_token as string;
    expect((await exportAll(c, token2)).statusCode).toBe(403);
  });

  it('refuses an expired token', async () => {
    const user = await seedUser(t);
    const s = await loginCookie(t, user);
    const token = json(await reauth(s, user.password)).reauth_token as string;
    await t.ctx.db.kysely
      .withTables<{ reauth_tokens: { user_id: number; expires_at: string } }>()
      .updateTable('reauth_tokens')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('user_id', '=', user.userId)
      .execute();
    expect((await exportAll(s, token)).statusCode).toBe(403);
  });

  it('answers a wrong password with 403 (the session stays) and counts it as a failed login', async () => {
    const user = await seedUser(t);
    const s = await loginCookie(t, user);
    const ip = '198.51.100.7';
    for (let i = 0; i < 5; i += 1) {
      const res = await reauth(s, `wrong-${i}`, ip);
      expect(res.statusCode).toBe(403);
      expect(json(res).detail).toBe('That is not your password. Type it again.');
    }
    // Five wrong passwords: the shared counter now refuses both the reauth and the login form.
    const limited = await reauth(s, user.password, ip);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { email: user.email, password: user.password },
    });
    expect(login.statusCode).toBe(429);
    // The session itself is untouched.
    expect((await t.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: s.cookie } })).statusCode).toBe(
      200,
    );
  });

  it('is refused after failed logins of the same email (one counter for both)', async () => {
    const user = await seedUser(t);
    const s = await loginCookie(t, user);
    for (let i = 0; i < 5; i += 1) {
      await t.app.inject({
        method: 'POST',
        url: '/api/session',
        payload: { email: user.email, password: 'nope-nope' },
      });
    }
    expect((await reauth(s, user.password)).statusCode).toBe(429);
  });

  it('records both outcomes in the audit log, without the password', async () => {
    const user = await seedUser(t);
    const s = await loginCookie(t, user);
    await reauth(s, 'not-it-at-all');
    await reauth(s, user.password);
    const res = await t.app.inject({ method: 'GET', url: '/api/audit-events', headers: bearer(user) });
    const items = json(res).items as Array<{ action: string; summary: string }>;
    expect(items.map((e) => e.action)).toEqual(['session.reauth', 'session.reauth_failed']);
    expect(items[0]!.summary).toBe(`${user.email} re-entered their password to confirm a plaintext export`);
    expect(res.body).not.toContain(user.password);
    expect(res.body).not.toContain('not-it-at-all');
  });

  it('needs the CSRF header, a session (not an API token) and a password', async () => {
    const user = await seedUser(t);
    const s = await loginCookie(t, user);
    const noCsrf = await t.app.inject({
      method: 'POST',
      url: '/api/session/reauth',
      headers: { cookie: s.cookie },
      payload: { password: user.password },
    });
    expect(noCsrf.statusCode).toBe(403);
    const viaToken = await t.app.inject({
      method: 'POST',
      url: '/api/session/reauth',
      headers: bearer(user),
      payload: { password: user.password },
    });
    expect(viaToken.statusCode).toBe(400);
    expect(json(viaToken).detail).toMatch(/API token/);
    expect((await reauth(s, '')).statusCode).toBe(400);
    expect((await reauth(s, 42)).statusCode).toBe(400);
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/session/reauth', payload: { password: 'x' } })).statusCode,
    ).toBe(401);
  });
});
