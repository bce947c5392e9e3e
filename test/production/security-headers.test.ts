import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, bearer, json, loginCookie, seedUser, type SeededUser, type TestApp } from '../support/app.ts';

const HEADER = 'multi_credential_pool_id,entry_id,username,domain,display_name,auth_username,auth_password,totp_secret';

function directives(csp: string): Map<string, string> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, ...values] = d.split(/\s+/);
        return [name!, values.join(' ')] as const;
      }),
  );
}

// Headers and limits do not depend on the database; SQLite keeps these tests quick.
describe('security headers and limits', () => {
  let plain: TestApp;
  let secure: TestApp;
  let user: SeededUser;

  beforeAll(async () => {
    plain = await createTestApp('sqlite');
    secure = await createTestApp('sqlite', { config: { secureCookies: true, trustProxy: true } });
    user = await seedUser(plain);
  });
  afterAll(async () => {
    await secure?.close();
    await plain?.close();
  });

  it('sends a Content-Security-Policy that allows only the app’s own scripts, on pages and API answers alike', async () => {
    for (const url of ['/healthz', '/api/account', '/login', '/account/audit-log']) {
      const res = await plain.app.inject({ method: 'GET', url });
      const csp = directives(String(res.headers['content-security-policy']));
      expect(csp.get('default-src'), url).toBe("'self'");
      expect(csp.get('script-src'), url).toBe("'self'");
      expect(csp.get('object-src'), url).toBe("'none'");
      expect(csp.get('frame-ancestors'), url).toBe("'none'");
      expect(csp.get('base-uri'), url).toBe("'self'");
      expect(csp.get('form-action'), url).toBe("'self'");
      expect(csp.get('connect-src'), url).toBe("'self'");
      // No inline script and no eval: the built UI loads its bundles from /assets.
      expect(csp.get('script-src'), url).not.toMatch(/unsafe/);
    }
  });

  it('sends the other standard headers', async () => {
    const res = await plain.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('sends HSTS only when SIPCREDS_SECURE_COOKIES=true (served behind https)', async () => {
    expect((await plain.app.inject({ method: 'GET', url: '/healthz' })).headers['strict-transport-security']).toBe(
      undefined,
    );
    const hsts = (await secure.app.inject({ method: 'GET', url: '/healthz' })).headers['strict-transport-security'];
    expect(hsts).toMatch(/max-age=\d{7,}/);
    expect(hsts).toMatch(/includeSubDomains/);
  });

  it('marks the session cookie Secure when SIPCREDS_SECURE_COOKIES=true, and only then', async () => {
    const login = async (t: TestApp, u: SeededUser) =>
      String(
        (
          await t.app.inject({
            method: 'POST',
            url: '/api/session',
            payload: { email: u.email, password: u.password },
          })
        ).headers['set-cookie'],
      );
    const plainCookie = await login(plain, user);
    expect(plainCookie).toMatch(/sipcreds_session=/);
    expect(plainCookie).not.toMatch(/;\s*Secure/i);
    const secureCookie = await login(secure, await seedUser(secure));
    expect(secureCookie).toMatch(/;\s*Secure/i);
    expect(secureCookie).toMatch(/HttpOnly/i);
    expect(secureCookie).toMatch(/SameSite=Strict/i);
  });

  it('takes the client address from X-Forwarded-For only when SIPCREDS_TRUST_PROXY=true', async () => {
    const wrongLogin = (t: TestApp) =>
      t.app.inject({
        method: 'POST',
        url: '/api/session',
        headers: { 'x-forwarded-for': '203.0.113.77' },
        payload: { email: 'nobody@example.com', password: 'wrong-password' },
      });
    const keys = async (t: TestApp) =>
      (await t.ctx.db.kysely.selectFrom('login_failures').select('key').execute()).map((r) => r.key);
    await wrongLogin(plain);
    await wrongLogin(secure);
    expect(await keys(plain)).not.toContain('client:203.0.113.77');
    expect(await keys(secure)).toContain('client:203.0.113.77');
  });

  it('limits the body of each route to what it needs: 413 with a sentence', async () => {
    const session = await loginCookie(plain, user);
    const cookie = { cookie: session.cookie, 'x-csrf-token': session.csrf };
    const cases: Array<{ url: string; payload: unknown; headers?: Record<string, string>; what: string }> = [
      { url: '/api/session', payload: { email: 'a@b.c', password: 'x'.repeat(17 * 1024) }, what: 'login, 16 KB' },
      {
        url: '/api/session/reauth',
        payload: { password: 'x'.repeat(17 * 1024) },
        headers: cookie,
        what: 'reauth, 16 KB',
      },
      {
        url: '/api/credential-sets',
        payload: { name: 'x'.repeat(1024 * 1024 + 10) },
        headers: bearer(user),
        what: 'JSON API, 1 MB',
      },
      {
        url: '/api/credential-passwords/passwords',
        payload: { updates: [{ entry_id: 1, auth_password: 'x'.repeat(1024 * 1024 + 10) }] },
        headers: bearer(user),
        what: 'inline save, 1 MB',
      },
    ];
    for (const c of cases) {
      const res = await plain.app.inject({
        method: 'POST',
        url: c.url,
        payload: c.payload as object,
        headers: c.headers,
      });
      expect(res.statusCode, c.what).toBe(413);
      expect(res.headers['content-type'], c.what).toMatch(/application\/problem\+json/);
      expect(json(res).detail, c.what).toMatch(/larger than this endpoint accepts/);
    }
  });

  it('refuses an import body larger than any valid file with 413', async () => {
    // A CSV body of 65 MB: more than 20,000 rows can be. Nothing is applied.
    const big = Buffer.alloc(65 * 1024 * 1024, 0x61);
    Buffer.from(`${HEADER}\r\n`).copy(big);
    const res = await plain.app.inject({
      method: 'POST',
      url: '/api/credential-passwords/imports',
      headers: { ...bearer(user), 'content-type': 'text/csv' },
      payload: big,
    });
    expect(res.statusCode).toBe(413);
    expect(json(res).detail).toMatch(/larger|smaller|split/i);
  });
});
