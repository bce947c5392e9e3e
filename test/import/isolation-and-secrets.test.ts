import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, seedUser, type SeededUser, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/databases.ts';
import { auditOf, csvFile, exportAll, importCsv, postImport, snapshotAccount, type JobJson } from './helpers.ts';

describe.each(DIALECTS)('account isolation on every Credential Passwords endpoint (%s)', (dialect) => {
  let t: TestApp;
  let alice: SeededUser;
  let mallory: SeededUser;
  let aliceSet: number;
  let aliceEntry: number;
  let aliceJob: JobJson;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    alice = await seedUser(t);
    mallory = await seedUser(t);
    aliceJob = await importCsv(t, alice, csvFile([{ username: 'alice-1', password: 'alice-secret' }]));
    aliceSet = aliceJob.rows[0]!.multi_credential_pool_id!;
    aliceEntry = aliceJob.rows[0]!.entry_id!;
  });
  afterAll(async () => {
    await t?.close();
  });

  const get = (user: SeededUser, url: string) => t.app.inject({ method: 'GET', url, headers: bearer(user) });
  const strip = (body: string, id: string | number) => body.split(String(id)).join('<id>');

  it("another account's import job and its results are 404, exactly like a job that does not exist", async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const suffix of ['', '/results.csv']) {
      const theirs = await get(mallory, `/api/credential-passwords/imports/${aliceJob.id}${suffix}`);
      const none = await get(mallory, `/api/credential-passwords/imports/${missing}${suffix}`);
      expect(theirs.statusCode).toBe(404);
      expect(none.statusCode).toBe(404);
      expect(strip(theirs.body, aliceJob.id)).toBe(strip(none.body, missing));
    }
  });

  it("another account's set is 404 on per-set export, exactly like a missing set", async () => {
    const theirs = await get(mallory, `/api/credential-sets/${aliceSet}/export.csv`);
    const none = await get(mallory, `/api/credential-sets/987654/export.csv`);
    expect(theirs.statusCode).toBe(404);
    expect(strip(theirs.body, aliceSet)).toBe(strip(none.body, 987654));
  });

  it("another account's ids in an import are invalid ids: the rows create, and the other account is untouched", async () => {
    const before = await snapshotAccount(t, alice.accountId);
    const job = await importCsv(
      t,
      mallory,
      csvFile([
        { pool: aliceSet, entry: aliceEntry, username: 'alice-1', password: 'hijacked' },
        { pool: 987654, entry: 987655, username: 'm-2', password: 'p' },
      ]),
    );
    expect(job.rows.map((r) => r.action)).toEqual(['created', 'created']);
    expect(job.rows[0]!.multi_credential_pool_id).not.toBe(aliceSet);
    // The warnings read the same for another account's ids as for ids that exist nowhere.
    expect(job.rows[0]!.warnings).toEqual([
      `multi_credential_pool_id ${aliceSet} was not found in your account, so this row is treated as a new credential set; rows with the same multi_credential_pool_id share that set`,
    ]);
    expect(job.rows[1]!.warnings[0]).toBe(
      'multi_credential_pool_id 987654 was not found in your account, so this row is treated as a new credential set; rows with the same multi_credential_pool_id share that set',
    );
    expect(await snapshotAccount(t, alice.accountId)).toEqual(before);
  });

  it("inline save of another account's entry is 422 with the same words as an unknown id, and saves nothing", async () => {
    const before = await snapshotAccount(t, alice.accountId);
    const save = (entryId: number) =>
      t.app.inject({
        method: 'POST',
        url: '/api/credential-passwords/passwords',
        headers: bearer(mallory),
        payload: { updates: [{ entry_id: entryId, auth_password: 'new-secret' }] },
      });
    const theirs = await save(aliceEntry);
    const none = await save(1_999_999);
    expect(theirs.statusCode).toBe(422);
    expect(none.statusCode).toBe(422);
    expect(strip(theirs.body, aliceEntry)).toBe(strip(none.body, 1_999_999));
    expect(await snapshotAccount(t, alice.accountId)).toEqual(before);
  });

  it('the lists and Export All show only the caller account', async () => {
    const small = await get(mallory, '/api/credential-passwords/small-set-entries');
    expect(small.statusCode).toBe(200);
    const items = (small.json() as { items: { entry_id: number; multi_credential_pool_id: number }[] }).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.some((i) => i.entry_id === aliceEntry || i.multi_credential_pool_id === aliceSet)).toBe(false);
    const bulk = await get(mallory, '/api/credential-passwords/bulk-sets');
    expect(bulk.json()).toMatchObject({ total: 0, items: [] });
    const exported = await exportAll(t, mallory);
    expect(exported.body).not.toContain('alice-secret');
    expect(exported.body).not.toContain(`\r\n${aliceSet},${aliceEntry},`);
  });

  it('without authentication every endpoint is 401', async () => {
    for (const [method, url] of [
      ['GET', '/api/credential-passwords/sample.csv'],
      ['GET', '/api/credential-passwords/export.csv'],
      ['GET', `/api/credential-sets/${aliceSet}/export.csv`],
      ['POST', '/api/credential-passwords/imports'],
      ['GET', `/api/credential-passwords/imports/${aliceJob.id}`],
      ['GET', `/api/credential-passwords/imports/${aliceJob.id}/results.csv`],
      ['GET', '/api/credential-passwords/bulk-sets'],
      ['GET', '/api/credential-passwords/small-set-entries'],
      ['POST', '/api/credential-passwords/passwords'],
    ] as const) {
      const res = await t.app.inject({ method, url });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
    }
  });
});

describe.each(DIALECTS)('secrets stay secret after imports (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('no password or TOTP secret appears in the database, a JSON response, an error, results.csv or an audit row', async () => {
    const user = await seedUser(t);
    const secrets = Array.from({ length: 40 }, (_, i) => `Zq${i}-unique-password-${1000 + i}`);
    const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    const totps = Array.from({ length: 40 }, (_, i) =>
      Array.from({ length: 16 }, (_, j) => B32[(i * 7 + j * 13 + ((i * j) % 5)) % 32]).join(''),
    );
    const responses: string[] = [];
    const job = await importCsv(
      t,
      user,
      csvFile(secrets.map((password, i) => ({ username: `${5000 + i}`, password, totp: totps[i] }))),
    );
    responses.push(JSON.stringify(job));
    // Rotate them all, and fail a few rows on purpose (their secrets must not echo in messages).
    const rotated = secrets.map((s) => `${s}-rotated`);
    const rotation = await importCsv(
      t,
      user,
      csvFile([
        ...job.rows.map((r, i) => ({
          pool: r.multi_credential_pool_id!,
          entry: r.entry_id!,
          username: r.username,
          password: rotated[i]!,
          totp: totps[i],
        })),
        { username: '4.9E+11', password: 'failing-row-secret-1' },
        { username: 'x', password: 'failing-row-secret-2', totp: 'not base32 failing-row-totp' },
        { username: 'y', password: '1.5E+10' },
      ]),
    );
    responses.push(JSON.stringify(rotation));
    expect(rotation.counts).toEqual({ updated: 40, created: 0, failed: 3 });
    const dry = await postImport(t, user, csvFile([{ username: 'z', password: 'dry-run-secret' }]), {
      query: '?wait=true&dry_run=true',
    });
    responses.push(dry.body);
    const inline = await t.app.inject({
      method: 'POST',
      url: '/api/credential-passwords/passwords',
      headers: bearer(user),
      payload: {
        updates: [
          { entry_id: job.rows[0]!.entry_id, auth_password: 'inline-secret-ok' },
          { entry_id: 1_999_999, auth_password: 'inline-secret-unknown' },
        ],
      },
    });
    expect(inline.statusCode).toBe(422);
    responses.push(inline.body);
    const rejected = await postImport(t, user, `nonsense,header\n1,2\n`);
    responses.push(rejected.body);
    for (const url of [
      `/api/credential-passwords/imports/${rotation.id}`,
      `/api/credential-passwords/imports/${rotation.id}/results.csv`,
      `/api/credential-passwords/small-set-entries`,
      `/api/credential-passwords/bulk-sets`,
    ]) {
      responses.push((await t.app.inject({ method: 'GET', url, headers: bearer(user) })).body);
    }
    const audit = JSON.stringify(await auditOf(t, user.accountId));

    const allSecrets = [
      ...secrets,
      ...rotated,
      ...totps,
      'failing-row-secret-1',
      'failing-row-secret-2',
      'failing-row-totp',
      '1.5E+10',
      'dry-run-secret',
      'inline-secret-ok',
      'inline-secret-unknown',
    ];
    const everything = responses.join('\n') + audit;
    for (const s of allSecrets) expect(everything, s).not.toContain(s);

    // At rest: the database holds ciphertext only.
    let stored: Buffer;
    if (dialect === 'sqlite') {
      await sql`select 1`.execute(t.ctx.db.kysely);
      const path = t.testDb.url.slice('sqlite:'.length);
      const dir = dirname(path);
      stored = Buffer.concat(
        readdirSync(dir)
          .filter((f) => f.startsWith('test.db'))
          .map((f) => readFileSync(join(dir, f))),
      );
      expect(readdirSync(dir)).toContain('test.db-wal');
    } else {
      const { rows } = await sql<{ dump: string }>`
        select string_agg(t::text, E'\n') as dump from (
          select row_to_json(e)::text as t from credential_entries e union all
          select row_to_json(j)::text from import_jobs j union all
          select row_to_json(r)::text from import_job_rows r union all
          select row_to_json(a)::text from audit_events a union all
          select row_to_json(s)::text from credential_sets s) x`.execute(t.ctx.db.kysely);
      stored = Buffer.from(rows[0]!.dump, 'utf8');
    }
    expect(stored.includes(Buffer.from('5000'))).toBe(true); // the scan does see the data
    for (const s of allSecrets) expect(stored.includes(Buffer.from(s, 'utf8')), s).toBe(false);
  });
});
