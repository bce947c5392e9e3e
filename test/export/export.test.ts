import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, loginCookie, seedUser, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/databases.ts';
import { auditOf, csvFile, exportAll, HEADER, importCsv, type CsvRowInput } from '../import/helpers.ts';

// Secrets that spreadsheets and hand-written CSV code get wrong.
const NASTY: CsvRowInput[] = [
  { username: '+4930123456', auth: '+4930123456', password: 'a"b""c', totp: 'JBSWY3DPEHPK3PXP' },
  { username: '00123', auth: '00123', password: 'comma,inside,here', display: 'Zero, "leading"' },
  { username: '1003', password: 'tab-free; semi;colon', display: 'Grüße 東京 🎉' },
  { username: '1004', password: '  spaces  around  ', totp: 'mzxw 6ytb oi==' },
  { username: '1005', password: '+0012', display: '0042' },
  { username: 'ünïcødé', domain: 'xn--bcher-kva.example', password: 'pässwörd€𝄞', auth: 'ünï' },
  { username: '1007', password: '=1+2', display: '@SUM(A1)' },
];

describe.each(DIALECTS)('Credential Passwords exports (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('Export All: UTF-8 BOM, the exact header, CRLF, sorted by set id then entry id, a dated file name', async () => {
    const user = await seedUser(t);
    // Two sets, entries created out of order across them.
    const a = await importCsv(t, user, csvFile([{ username: '1', password: 'p1' }]));
    const b = await importCsv(t, user, csvFile([{ pool: 'other', username: '2', password: 'p2' }]));
    const setA = a.rows[0]!.multi_credential_pool_id!;
    const setB = b.rows[0]!.multi_credential_pool_id!;
    await importCsv(t, user, csvFile([{ pool: setA, username: '3', password: 'p3' }]));

    const res = await exportAll(t, user);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    const day = new Date().toISOString().slice(0, 10);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="sipcreds-credentials-${day}.csv"`);
    const bytes = res.rawPayload;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8').slice(1);
    expect(text.startsWith(`${HEADER}\r\n`)).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/\n/);
    const rows = (parse(text) as string[][]).slice(1);
    expect(rows.map((r) => [Number(r[0]), r[2]])).toEqual([
      [setA, '1'],
      [setA, '3'],
      [setB, '2'],
    ]);
    expect(rows.map((r) => r[6])).toEqual(['p1', 'p3', 'p2']);
  });

  it('export → import unchanged updates every row with "no changes", and the next export is byte-identical', async () => {
    const user = await seedUser(t);
    await importCsv(t, user, csvFile(NASTY));
    const first = await exportAll(t, user);
    const reimport = await importCsv(t, user, first.body);
    expect(reimport.counts).toEqual({ updated: NASTY.length, created: 0, failed: 0 });
    for (const row of reimport.rows) {
      expect(row).toMatchObject({ action: 'updated', message: 'no changes', warnings: [] });
    }
    const second = await exportAll(t, user);
    expect(Buffer.compare(second.rawPayload, first.rawPayload)).toBe(0);
  });

  it('secrets with quotes, commas, line breaks, non-ASCII, leading + and zeros and spaces round-trip exactly', async () => {
    const user = await seedUser(t);
    await importCsv(t, user, csvFile(NASTY));
    const rows = (parse((await exportAll(t, user)).body, { bom: true }) as string[][]).slice(1);
    expect(rows).toHaveLength(NASTY.length);
    NASTY.forEach((input, i) => {
      const r = rows[i]!;
      expect(r[2]).toBe(input.username);
      expect(r[5]).toBe(input.auth ?? input.username);
      expect(r[6]).toBe(input.password);
    });
    // TOTP secrets are stored normalised (upper case, no spaces or padding).
    expect(rows[0]![7]).toBe('JBSWY3DPEHPK3PXP');
    expect(rows[3]![7]).toBe('MZXW6YTBOI');
  });

  it('a line break inside a secret fails its row (no field may hold control characters); the rest imports', async () => {
    const user = await seedUser(t);
    const job = await importCsv(
      t,
      user,
      csvFile([
        { username: '1', password: 'line1\nline2' },
        { username: '2', password: 'ok' },
      ]),
    );
    expect(job.rows[0]).toMatchObject({ action: 'failed' });
    expect(job.rows[0]!.message).toMatch(/auth_password contains a line break/);
    expect(job.rows[1]).toMatchObject({ action: 'created' });
  });

  it('per-set export holds only that set, by entry id, with the set id in the file name; a missing set is 404', async () => {
    const user = await seedUser(t);
    const a = await importCsv(
      t,
      user,
      csvFile([
        { username: '1', password: 'p' },
        { username: '2', password: 'p' },
      ]),
    );
    await importCsv(t, user, csvFile([{ username: '3', password: 'p' }]));
    const setA = a.rows[0]!.multi_credential_pool_id!;
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/credential-sets/${setA}/export.csv`,
      headers: bearer(user),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toMatch(
      new RegExp(`filename="sipcreds-set-${setA}-\\d{4}-\\d{2}-\\d{2}\\.csv"`),
    );
    const rows = (parse(res.body, { bom: true }) as string[][]).slice(1);
    expect(rows.map((r) => r[2])).toEqual(['1', '2']);
    expect(rows.every((r) => Number(r[0]) === setA)).toBe(true);

    const missing = await t.app.inject({
      method: 'GET',
      url: '/api/credential-sets/999999/export.csv',
      headers: bearer(user),
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/problem\+json/);
    const bad = await t.app.inject({
      method: 'GET',
      url: '/api/credential-sets/abc/export.csv',
      headers: bearer(user),
    });
    expect(bad.statusCode).toBe(400);
  });

  it('Sample CSV: the header and example rows that import cleanly into an empty account as new sets', async () => {
    const user = await seedUser(t);
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/credential-passwords/sample.csv',
      headers: bearer(user),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe('attachment; filename="sipcreds-sample.csv"');
    expect(res.body.replace(/^\uFEFF/, '').split('\r\n')[0]).toBe(HEADER);
    const job = await importCsv(t, user, res.body, '?wait=true&dry_run=true');
    expect(job.counts.failed).toBe(0);
  });

  it('records an audit event per export: who, scope (all or the set id), rows, and never a secret', async () => {
    const user = await seedUser(t);
    const a = await importCsv(
      t,
      user,
      csvFile([
        { username: '1', password: 'audit-secret-1' },
        { username: '2', password: 'audit-secret-2' },
      ]),
    );
    const setA = a.rows[0]!.multi_credential_pool_id!;
    await exportAll(t, user);
    await t.app.inject({ method: 'GET', url: `/api/credential-sets/${setA}/export.csv`, headers: bearer(user) });
    await new Promise((r) => setTimeout(r, 50));
    const events = (await auditOf(t, user.accountId)).filter((e) => e.action.includes('export'));
    expect(events.map((e) => [e.action, e.actor, JSON.parse(e.details)])).toEqual([
      ['credential_passwords.export_all', user.email, { scope: 'all', rows: 2, completed: true, reauth: false }],
      ['credential_passwords.export_set', user.email, { scope: 'set', set_id: setA, rows: 2, completed: true }],
    ]);
    expect(JSON.stringify(events)).not.toContain('audit-secret');
  });

  it('streams a large account without holding it: 5,000 entries arrive whole and in order', async () => {
    const user = await seedUser(t);
    const rows = Array.from({ length: 5000 }, (_, i) => ({ username: `${10000 + i}`, password: `pw-${i}` }));
    await importCsv(t, user, csvFile(rows));
    const res = await exportAll(t, user);
    const parsed = (parse(res.body, { bom: true }) as string[][]).slice(1);
    expect(parsed).toHaveLength(5000);
    expect(parsed.map((r) => r[6])).toEqual(rows.map((r) => r.password));
  });
});

describe.each(DIALECTS)('Export All from a browser session asks for the password first (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('403 without a reauth token; with one the export streams, and the audit event says so', async () => {
    const user = await seedUser(t);
    await importCsv(t, user, csvFile([{ username: '1', password: 'p' }]));
    const session = await loginCookie(t, user);
    const headers = { cookie: session.cookie, 'x-csrf-token': session.csrf };
    const refused = await t.app.inject({ method: 'GET', url: '/api/credential-passwords/export.csv', headers });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ reauth_required: true });
    const reauth = await t.app.inject({
      method: 'POST',
      url: '/api/session/reauth',
      headers,
      payload: { password: user.password },
    });
    expect(reauth.statusCode, reauth.body).toBe(200);
    const token = (reauth.json() as { reauth_token: string }).reauth_token;
    const ok = await t.app.inject({
      method: 'GET',
      url: '/api/credential-passwords/export.csv',
      headers: { ...headers, 'x-reauth-token': token },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('\r\n');
    await new Promise((r) => setTimeout(r, 50));
    const events = (await auditOf(t, user.accountId)).filter((e) => e.action === 'credential_passwords.export_all');
    expect(JSON.parse(events.at(-1)!.details)).toMatchObject({ scope: 'all', rows: 1, reauth: true });
  });
});
