import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createTestApp,
  json,
  loginCookie,
  seedUser,
  type CookieSession,
  type SeededUser,
  type TestApp,
} from '../support/app.ts';
import { DIALECTS } from '../support/databases.ts';

const HEADER = 'multi_credential_pool_id,entry_id,username,domain,display_name,auth_username,auth_password,totp_secret';

// Secrets with a marker each, so a hit in the log names the write path that leaked it.
const S = {
  rawCsvPassword: 'LEAK-raw-csv-pw-7f3a',
  multipartPassword: 'LEAK-multipart-pw-91c2',
  jsonPastePassword: 'LEAK-json-paste-pw-0d4e',
  dryRunPassword: 'LEAK-dry-run-pw-55aa',
  rejectedFilePassword: 'LEAK-rejected-file-pw-3131',
  inlinePassword: 'LEAK-inline-pw-c0de',
  entryCreatePassword: 'LEAK-entry-create-pw-beef',
  entryPatchPassword: 'LEAK-entry-patch-pw-f00d',
  setCreatePassword: 'LEAK-set-create-pw-abba',
  failingWritePassword: 'LEAK-failing-write-pw-dead',
  totpRaw: 'JBSWY3DPEHPK3PXPLEAKRAWA',
  totpEntry: 'KRSXG5CTMVRXEZLUKNSWC4TDMVZQ',
  totpPatch: 'MFRGGZDFMZTWQ2LKNNWG23TPOBYXE',
  wrongLoginPassword: 'LEAK-wrong-login-pw-6666',
  wrongReauthPassword: 'LEAK-wrong-reauth-pw-7777',
};
// The last 16 characters of a TOTP secret as stored (normalised: upper case, no spaces).
const STORED_FORMS = (secret: string) => [secret, secret.toLowerCase(), secret.slice(-16)];

describe.each(DIALECTS)('logs never carry a secret, on %s', (dialect) => {
  let t: TestApp;
  let user: SeededUser;
  let session: CookieSession;
  let reauthToken = '';
  const lines: string[] = [];
  const consoleOut: string[] = [];

  beforeAll(async () => {
    t = await createTestApp(dialect, {
      config: { logLevel: 'debug' },
      build: { logStream: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) } },
    });
    // Whatever goes to the console (outside the JSON log) is output an operator keeps too.
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        consoleOut.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : String(a))).join(' '));
      });
    }
    user = await seedUser(t);
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await t?.close();
  });

  const cookieHeaders = () => ({ cookie: session.cookie, 'x-csrf-token': session.csrf });
  const row = (pool: string, entry: string, username: string, password: string, totp = '') =>
    `${pool},${entry},${username},logs.example.test,Log ${username},${username},${password},${totp}`;

  it('sends known secrets through every write path, including failing ones', async () => {
    // Log in: a wrong password first, then the right one (its password is in the body).
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { email: user.email, password: S.wrongLoginPassword },
    });
    expect(wrong.statusCode).toBe(401);
    session = await loginCookie(t, user);

    // Imports: raw CSV, multipart, JSON paste, a dry run and a rejected file.
    const raw = await t.app.inject({
      method: 'POST',
      url: '/api/credential-passwords/imports?wait=true',
      headers: { ...cookieHeaders(), 'content-type': 'text/csv' },
      payload: [HEADER, row('', '', '5001', S.rawCsvPassword, S.totpRaw), row('', '', '5002', S.rawCsvPassword)].join(
        '\r\n',
      ),
    });
    expect(raw.statusCode).toBe(200);
    const created = json(raw).rows as Array<{ multi_credential_pool_id: number; entry_id: number }>;
    const pool = String(created[0]!.multi_credential_pool_id);
    const entryId = created[0]!.entry_id;

    const boundary = '----sipcredslogs';
    const multipart = await t.app.inject({
      method: 'POST',
      url: '/api/credential-passwords/imports?wait=true',
      headers: { ...cookieHeaders(), 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: [
        `--${boundary}`,
        'Content-Disposition: form-data; name="file"; filename="rotation.csv"',
        'Content-Type: text/csv',
        '',
        [HEADER, row(pool, String(entryId), '5001', S.multipartPassword, S.totpRaw)].join('\r\n'),
        `--${boundary}--`,
        '',
      ].join('\r\n'),
    });
    expect(multipart.statusCode).toBe(200);

    const paste = await t.app.inject({
      method: 'POST',
      url: '/api/credential-passwords/imports?wait=true',
      headers: cookieHeaders(),
      payload: { csv: [HEADER, row(pool, String(entryId), '5001', S.jsonPastePassword)].join('\n') },
    });
    expect(paste.statusCode).toBe(200);

    const dry = await t.app.inject({
      method: 'POST',
      url: '/api/credential-passwords/imports?wait=true&dry_run=true',
      headers: cookieHeaders(),
      payload: { csv: [HEADER, row(pool, String(entryId), '5001', S.dryRunPassword)].join('\n') },
    });
    expect(dry.statusCode).toBe(200);

    const rejected = await t.app.inject({
      method: 'POST',
      url: '/api/credential-passwords/imports',
      headers: { ...cookieHeaders(), 'content-type': 'text/csv' },
      // A data row where the header should be: the answer must not echo it either.
      payload: `${row('', '', '5003', S.rejectedFilePassword)}\n${row('', '', '5004', S.rejectedFilePassword)}`,
    });
    expect(rejected.statusCode).toBe(422);

    // Inline save of a small set.
    const inline = await t.app.inject({
      method: 'POST',
      url: '/api/credential-passwords/passwords',
      headers: cookieHeaders(),
      payload: { updates: [{ entry_id: entryId, auth_password: S.inlinePassword }] },
    });
    expect(inline.statusCode).toBe(200);
    const inlineBad = await t.app.inject({
      method: 'POST',
      url: '/api/credential-passwords/passwords',
      headers: cookieHeaders(),
      payload: { updates: [{ entry_id: 999999, auth_password: S.inlinePassword }] },
    });
    expect(inlineBad.statusCode).toBe(422);

    // SIP Credentials: a set with an entry, one more entry, a change of password and TOTP.
    const set = await t.app.inject({
      method: 'POST',
      url: '/api/credential-sets',
      headers: cookieHeaders(),
      payload: {
        name: 'Logged set',
        entries: [
          {
            username: '6001',
            domain: 'logs.example.test',
            display_name: 'Six',
            auth_username: '6001',
            auth_password: S.setCreatePassword,
          },
        ],
      },
    });
    expect(set.statusCode).toBe(201);
    const setId = json(set).id as number;
    const entry = await t.app.inject({
      method: 'POST',
      url: `/api/credential-sets/${setId}/entries`,
      headers: cookieHeaders(),
      payload: {
        username: '6002',
        domain: 'logs.example.test',
        display_name: 'Six two',
        auth_username: '6002',
        auth_password: S.entryCreatePassword,
        totp_secret: S.totpEntry,
      },
    });
    expect(entry.statusCode).toBe(201);
    const newEntryId = json(entry).id as number;
    const patch = await t.app.inject({
      method: 'PATCH',
      url: `/api/credential-sets/${setId}/entries/${newEntryId}`,
      headers: cookieHeaders(),
      payload: { auth_password: S.entryPatchPassword, totp_secret: S.totpPatch },
    });
    expect(patch.statusCode).toBe(200);
    const badPatch = await t.app.inject({
      method: 'PATCH',
      url: `/api/credential-sets/${setId}/entries/${newEntryId}`,
      headers: cookieHeaders(),
      payload: { auth_password: S.entryPatchPassword, totp_secret: `not base32 ${S.totpPatch}!` },
    });
    expect(badPatch.statusCode).toBeGreaterThanOrEqual(400);

    // Re-authentication, wrong then right, and an export with its token and the API token.
    const reauthWrong = await t.app.inject({
      method: 'POST',
      url: '/api/session/reauth',
      headers: cookieHeaders(),
      payload: { password: S.wrongReauthPassword },
    });
    expect(reauthWrong.statusCode).toBe(403);
    const reauth = await t.app.inject({
      method: 'POST',
      url: '/api/session/reauth',
      headers: cookieHeaders(),
      payload: { password: user.password },
    });
    expect(reauth.statusCode).toBe(200);
    reauthToken = json(reauth).reauth_token;
    const exported = await t.app.inject({
      method: 'GET',
      url: '/api/credential-passwords/export.csv',
      headers: { ...cookieHeaders(), 'x-reauth-token': reauthToken },
    });
    expect(exported.statusCode).toBe(200);
    expect(exported.body).toContain(S.inlinePassword);
    const viaToken = await t.app.inject({
      method: 'GET',
      url: '/api/credential-passwords/export.csv',
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(viaToken.statusCode).toBe(200);

    // The 5xx path: the database loses a table under the server's feet, and writes fail.
    await t.ctx.db.kysely.schema.alterTable('audit_events').renameTo('audit_events_away').execute();
    try {
      const failing = [
        await t.app.inject({
          method: 'POST',
          url: '/api/credential-passwords/passwords',
          headers: cookieHeaders(),
          payload: { updates: [{ entry_id: entryId, auth_password: S.failingWritePassword }] },
        }),
        await t.app.inject({
          method: 'POST',
          url: `/api/credential-sets/${setId}/entries`,
          headers: cookieHeaders(),
          payload: {
            username: '6003',
            domain: 'logs.example.test',
            display_name: 'x',
            auth_username: '6003',
            auth_password: S.failingWritePassword,
          },
        }),
        await t.app.inject({
          method: 'POST',
          url: '/api/session/reauth',
          headers: cookieHeaders(),
          payload: { password: S.failingWritePassword },
        }),
        await t.app.inject({
          method: 'POST',
          url: '/api/credential-passwords/imports?wait=true',
          headers: { ...cookieHeaders(), 'content-type': 'text/csv' },
          payload: [HEADER, row(pool, String(entryId), '5001', S.failingWritePassword)].join('\r\n'),
        }),
      ];
      const statuses = failing.map((r) => r.statusCode);
      expect(statuses.filter((s) => s >= 500).length, `statuses ${statuses.join(',')}`).toBeGreaterThanOrEqual(3);
      for (const r of failing) expect(r.body).not.toContain(S.failingWritePassword);
    } finally {
      await t.ctx.db.kysely.schema.alterTable('audit_events_away').renameTo('audit_events').execute();
    }
    // Let background work (import jobs answering late) write its lines before the scan.
    await new Promise((r) => setTimeout(r, 200));
  });

  it('has none of them in the log, nor cookies, tokens or CSV bodies', () => {
    const all = [...lines, ...consoleOut].join('\n');
    expect(lines.length).toBeGreaterThan(40);
    const secrets = [
      ...Object.values(S).flatMap((v) => (/^[A-Z2-7]+$/.test(v) ? STORED_FORMS(v) : [v])),
      user.password,
      user.token,
      session.cookie.split('=')[1]!,
      session.csrf,
      reauthToken,
      HEADER,
    ];
    for (const secret of secrets) {
      expect(all.includes(secret), `the log contains ${secret}`).toBe(false);
    }
  });

  it('logs JSON lines, each with the request id, and the 5xx errors with their cause', () => {
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const withoutId = parsed.filter((p) => typeof p.reqId !== 'string' || p.reqId === '');
    expect(withoutId, JSON.stringify(withoutId.slice(0, 3))).toEqual([]);
    const completed = parsed.filter((p) => p.msg === 'request completed');
    expect(completed.length).toBeGreaterThan(20);
    const errors = parsed.filter((p) => p.level === 50);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    for (const e of errors) expect(JSON.stringify(e.err ?? e)).toMatch(/audit_events/);
  });
});
