import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, seedUser, type SeededUser, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/databases.ts';
import {
  auditOf,
  csvFile,
  HEADER,
  importCsv,
  postImport,
  snapshotAccount,
  type CsvRowInput,
  type JobJson,
} from './helpers.ts';

describe.each(DIALECTS)('Credential Passwords import over HTTP (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates, updates and fails rows, and answers with the job exactly as api.md shapes it', async () => {
    const user = await seedUser(t);
    const first = await importCsv(t, user, csvFile([{ username: '1001', password: 'old-pw-1' }]));
    const { multi_credential_pool_id: setId, entry_id: entryId } = first.rows[0]!;
    expect(setId).toBeTypeOf('number');
    expect(entryId).toBeTypeOf('number');

    const res = await postImport(
      t,
      user,
      csvFile([
        { pool: setId!, entry: entryId!, username: '1001', password: 'new-pw-1' },
        { username: '1002', password: 'pw-2' },
        { username: '1003', password: '' },
      ]),
    );
    expect(res.statusCode).toBe(200);
    const job = res.json() as JobJson;
    expect(Object.keys(job).sort()).toEqual(
      ['counts', 'delimiter', 'dry_run', 'error', 'id', 'processed_rows', 'rows', 'status', 'total_rows'].sort(),
    );
    expect(job).toMatchObject({
      status: 'succeeded',
      error: null,
      dry_run: false,
      delimiter: ',',
      total_rows: 3,
      processed_rows: 3,
      counts: { updated: 1, created: 1, failed: 1 },
    });
    expect(job.id).toBeTypeOf('string');
    expect(job.rows[0]).toEqual({
      row: 2,
      action: 'updated',
      multi_credential_pool_id: setId,
      entry_id: entryId,
      username: '1001',
      message: 'password changed',
      warnings: [],
    });
    expect(job.rows[1]).toMatchObject({ row: 3, action: 'created', username: '1002', warnings: [] });
    expect(job.rows[1]!.message).toMatch(/^New credential set and entry created/);
    expect(job.rows[1]!.entry_id).toBeTypeOf('number');
    expect(job.rows[2]).toEqual({
      row: 4,
      action: 'failed',
      multi_credential_pool_id: null,
      entry_id: null,
      username: '1003',
      message: 'missing value for auth_password',
      warnings: [],
    });
    // GET answers the same job, from the database.
    const again = await t.app.inject({
      method: 'GET',
      url: `/api/credential-passwords/imports/${job.id}`,
      headers: bearer(user),
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(job);
  });

  it('takes the CSV as a raw body, as a multipart file and as a JSON paste', async () => {
    const user = await seedUser(t);
    const raw = await importCsv(t, user, csvFile([{ username: '2001', password: 'pw' }]));
    expect(raw.counts.created).toBe(1);

    const boundary = '----sipcreds-test';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="rotate.csv"\r\nContent-Type: text/csv\r\n\r\n` +
      csvFile([{ username: '2002', password: 'pw' }]) +
      `\r\n--${boundary}--\r\n`;
    const multipart = await t.app.inject({
      method: 'POST',
      url: '/api/credential-passwords/imports?wait=true',
      headers: { ...bearer(user), 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: body,
    });
    expect(multipart.statusCode, multipart.body).toBe(200);
    expect((multipart.json() as JobJson).rows[0]).toMatchObject({ action: 'created', username: '2002' });

    const paste = await t.app.inject({
      method: 'POST',
      url: '/api/credential-passwords/imports?wait=true',
      headers: bearer(user),
      payload: { csv: csvFile([{ username: '2003', password: 'pw' }], '\n') },
    });
    expect(paste.statusCode, paste.body).toBe(200);
    expect((paste.json() as JobJson).rows[0]).toMatchObject({ action: 'created', username: '2003' });
  });

  it('answers 202 with a Location at once, and the client polls the job until it has finished', async () => {
    const user = await seedUser(t);
    const rows: CsvRowInput[] = Array.from({ length: 500 }, (_, i) => ({
      username: `${3000 + i}`,
      password: `pw-${i}`,
    }));
    const res = await postImport(t, user, csvFile(rows), { query: '' });
    expect(res.statusCode).toBe(202);
    const location = res.headers.location as string;
    expect(location).toMatch(/^\/api\/credential-passwords\/imports\/[\w-]+$/);
    let job: JobJson = res.json();
    for (let i = 0; i < 200 && job.status !== 'succeeded'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const poll = await t.app.inject({ method: 'GET', url: location, headers: bearer(user) });
      expect(poll.statusCode).toBe(200);
      job = poll.json();
      expect(job.processed_rows).toBeLessThanOrEqual(job.total_rows);
    }
    expect(job).toMatchObject({ status: 'succeeded', total_rows: 500, processed_rows: 500 });
    expect(job.counts.created).toBe(500);
    expect(job.rows).toHaveLength(500);
  });

  it('?dry_run=true reports per row what the import would do and applies nothing', async () => {
    const user = await seedUser(t);
    const seeded = await importCsv(
      t,
      user,
      csvFile([{ username: '4001', password: 'pw-1', totp: 'JBSWY3DPEHPK3PXP' }]),
    );
    const { multi_credential_pool_id: setId, entry_id: entryId } = seeded.rows[0]!;
    const before = await snapshotAccount(t, user.accountId);
    const file = csvFile([
      { pool: setId!, entry: entryId!, username: '4001', password: 'pw-2' },
      { pool: setId!, username: '4002', password: 'pw' },
      { username: '4003', password: 'pw' },
      { username: '4004', password: ' ' },
    ]);
    const dry = await importCsv(t, user, file, '?wait=true&dry_run=true');
    expect(dry.dry_run).toBe(true);
    expect(dry.counts).toEqual({ updated: 1, created: 2, failed: 1 });
    expect(dry.rows.map((r) => [r.action, r.message, r.multi_credential_pool_id, r.entry_id])).toEqual([
      ['updated', 'password changed; totp removed', setId, entryId],
      ['created', 'New entry added to credential set', setId, null],
      ['created', 'New credential set and entry created', null, null],
      ['failed', 'missing value for auth_password', null, null],
    ]);
    expect(await snapshotAccount(t, user.accountId)).toEqual(before);
    // The real import then does what the dry run said.
    const real = await importCsv(t, user, file);
    expect(real.dry_run).toBe(false);
    expect(real.rows.map((r) => [r.action, r.message])).toEqual(dry.rows.map((r) => [r.action, r.message]));
  });

  it('Idempotency-Key: a repeat returns the first job and nothing runs twice, also when the repeats race', async () => {
    const user = await seedUser(t);
    const file = csvFile([{ username: '5001', password: 'pw' }]);
    const headers = { 'idempotency-key': 'rotate-2026-12-05' };
    const first = await postImport(t, user, file, { headers });
    expect(first.statusCode).toBe(200);
    const again = await postImport(t, user, file, { headers });
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((again.json() as JobJson).id).toBe((first.json() as JobJson).id);
    expect(again.json()).toEqual(first.json());

    const racing = await Promise.all(
      Array.from({ length: 5 }, () =>
        postImport(t, user, csvFile([{ username: '5002', password: 'pw' }]), {
          headers: { 'idempotency-key': 'race-1' },
        }),
      ),
    );
    const ids = new Set(racing.map((r) => (r.json() as JobJson).id));
    expect(ids.size).toBe(1);
    const entries = await t.ctx.db.kysely
      .selectFrom('credential_entries')
      .select('username')
      .where('account_id', '=', user.accountId)
      .execute();
    expect(entries.map((e) => e.username).sort()).toEqual(['5001', '5002']);

    // The same key from another account is another job.
    const other = await seedUser(t);
    const theirs = await postImport(t, other, file, { headers });
    expect((theirs.json() as JobJson).id).not.toBe((first.json() as JobJson).id);
  });

  it('reads ; and tab separated files whose header then matches exactly, and says which separator it read', async () => {
    const user = await seedUser(t);
    const semi = `${HEADER.replace(/,/g, ';')}\n;;6001;sip.example.com;Six;6001;p,w;\n`;
    const job = await importCsv(t, user, semi);
    expect(job.delimiter).toBe(';');
    expect(job.rows[0]).toMatchObject({ action: 'created', username: '6001' });
    const tab = `\uFEFF${HEADER.replace(/,/g, '\t')}\r\n\t\t6002\tsip.example.com\tSix\t6002\tpw\t\r\n`;
    expect((await importCsv(t, user, tab)).delimiter).toBe('\t');
  });

  describe('whole-file rejection answers 422 (413 for a body too large) and applies nothing', () => {
    let user: SeededUser;
    let before: unknown;
    beforeAll(async () => {
      user = await seedUser(t);
      await importCsv(t, user, csvFile([{ username: '7001', password: 'pw' }]));
      before = await snapshotAccount(t, user.accountId);
    });

    const cases: [string, () => string | Buffer, RegExp][] = [
      [
        'a header with the columns reordered',
        () => `entry_id,multi_credential_pool_id${HEADER.slice(33)}\n,,1,d,x,1,p,\n`,
        /header must be exactly/,
      ],
      ['a header with an extra column', () => `${HEADER},note\n,,1,d,x,1,p,,n\n`, /Remove the extra column 9/],
      ['no data rows', () => `${HEADER}\r\n`, /no data rows/],
      ['an empty file', () => '', /empty/],
      [
        'more than 20,000 data rows',
        () => csvFile(Array.from({ length: 20001 }, (_, i) => ({ username: `${i}`, password: 'p' }))),
        /20,001 data rows; at most 20,000/,
      ],
      ['a file that is not UTF-8', () => Buffer.from(`${HEADER}\n,,1001,d,M\xfcller,1001,pw,\n`, 'latin1'), /UTF-8/],
    ];
    it.each(cases)('%s', async (_name, file, detail) => {
      const res = await postImport(t, user, file());
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      const problem = res.json() as { title: string; status: number; detail: string };
      expect(problem.status).toBe(422);
      expect(problem.detail).toMatch(detail);
      expect(problem.detail).toMatch(/^Nothing was imported\./);
      expect(await snapshotAccount(t, user.accountId)).toEqual(before);
    });

    it('accepts exactly 20,000 data rows (the limit), as a dry run', async () => {
      const rows = Array.from({ length: 20000 }, (_, i) => ({ username: `${100000 + i}`, password: 'p' }));
      const job = await importCsv(t, user, csvFile(rows), '?wait=true&dry_run=true');
      expect(job.total_rows).toBe(20000);
    });

    it('413 for a body larger than any valid file', async () => {
      const res = await postImport(t, user, Buffer.alloc(64 * 1024 * 1024 + 1, 'a'));
      expect(res.statusCode).toBe(413);
      expect((res.json() as { detail: string }).detail).toMatch(/Split it into several files/);
      expect(await snapshotAccount(t, user.accountId)).toEqual(before);
    });

    it('creates no job and records the rejection in the audit log', async () => {
      const jobs = await t.ctx.db.kysely
        .selectFrom('import_jobs')
        .select('id')
        .where('account_id', '=', user.accountId)
        .execute();
      expect(jobs).toHaveLength(2); // the seeding import and the 20,000-row dry run
      const audit = await auditOf(t, user.accountId);
      const rejected = audit.filter((a) => a.action === 'credential_passwords.import_failed');
      expect(rejected.length).toBeGreaterThanOrEqual(6);
      expect(JSON.parse(rejected[0]!.details)).toMatchObject({ status: 'rejected', reason: 'bad_header' });
    });
  });

  it('an update row says what changed by column name, never by value', async () => {
    const user = await seedUser(t);
    const seeded = await importCsv(
      t,
      user,
      csvFile([{ username: '8001', password: 'pw', totp: 'JBSWY3DPEHPK3PXP', display: 'A' }]),
    );
    const { multi_credential_pool_id: pool, entry_id: entry } = seeded.rows[0]!;
    const job = await importCsv(
      t,
      user,
      csvFile([{ pool: pool!, entry: entry!, username: '8001', password: 'pw2', display: 'B', totp: '' }]),
    );
    expect(job.rows[0]!.message).toBe('password changed; totp removed; display_name changed');
  });

  it('records an audit event per import: who, when, counts, dry run or not', async () => {
    const user = await seedUser(t);
    const file = csvFile([
      { username: '9001', password: 'pw' },
      { username: '9002', password: '' },
    ]);
    const dry = await importCsv(t, user, file, '?wait=true&dry_run=true');
    const real = await importCsv(t, user, file);
    const events = (await auditOf(t, user.accountId)).filter((a) => a.action.startsWith('credential_passwords.import'));
    expect(events.map((e) => e.action)).toEqual(['credential_passwords.import_dry_run', 'credential_passwords.import']);
    for (const [e, job] of [
      [events[0]!, dry],
      [events[1]!, real],
    ] as const) {
      expect(e.actor).toBe(user.email);
      expect(e.user_id).toBe(user.userId);
      expect(Date.parse(e.created_at)).toBeGreaterThan(Date.now() - 60_000);
      expect(JSON.parse(e.details)).toMatchObject({
        job_id: job.id,
        dry_run: job.dry_run,
        total_rows: 2,
        counts: { updated: 0, created: 1, failed: 1 },
      });
    }
  });

  it('results.csv: row, action, message, warnings, ids, username, domain', async () => {
    const user = await seedUser(t);
    const job = await importCsv(
      t,
      user,
      csvFile([
        { username: '1101', password: 'S3cret,"quoted"', domain: 'a.example.com' },
        { pool: 'x9', username: '1102', password: '', domain: 'b.example.com' },
      ]),
    );
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/credential-passwords/imports/${job.id}/results.csv`,
      headers: bearer(user),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="sipcreds-import-results-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    const lines = res.body.replace(/^\uFEFF/, '').split('\r\n');
    expect(lines[0]).toBe('row,action,message,warnings,multi_credential_pool_id,entry_id,username,domain');
    const { multi_credential_pool_id: set, entry_id: entry } = job.rows[0]!;
    expect(lines[1]).toBe(`2,created,New credential set and entry created,,${set},${entry},1101,a.example.com`);
    const parsed = parse(res.body, { bom: true }) as string[][];
    expect(parsed[2]).toEqual([
      '3',
      'failed',
      'missing value for auth_password',
      expect.stringMatching(/^multi_credential_pool_id "x9" is not a valid id/),
      '',
      '',
      '1102',
      'b.example.com',
    ]);
    expect(res.body).not.toContain('S3cret');
  });
});
