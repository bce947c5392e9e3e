import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, seedUser, type SeededUser, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/databases.ts';
import { auditOf, csvFile, exportAll, importCsv, snapshotAccount, type CsvRowInput } from './helpers.ts';

describe.each(DIALECTS)('bulk sets, small-set entries and the inline save (%s)', (dialect) => {
  let t: TestApp;
  let user: SeededUser;
  const bulkSets: number[] = [];
  const smallSets: number[] = [];

  beforeAll(async () => {
    t = await createTestApp(dialect);
    user = await seedUser(t);
    // 7 bulk sets (6..12 entries) and 3 small sets (5, 1 and 3 entries), each its own import group.
    const rows: CsvRowInput[] = [];
    for (let s = 0; s < 7; s++) {
      for (let e = 0; e < 6 + s; e++) rows.push({ pool: `bulk${s}`, username: `b${s}-${e}`, password: 'p' });
    }
    const small: [string, CsvRowInput[]][] = [
      [
        'small0',
        [
          { username: '1001', display: 'Reception Desk', password: 'p', totp: 'JBSWY3DPEHPK3PXP' },
          { username: '1002', display: 'reception backup', password: 'p' },
          { username: '+4930123456', domain: 'Sip.Example.COM', display: 'Berlin', password: 'p' },
          { username: '1004', display: '100%_literal', password: 'p' },
          { username: '1005', auth: 'AUTH-1005', display: 'Five', password: 'p' },
        ],
      ],
      ['small1', [{ username: 'Müller', domain: 'other.example.net', display: 'Solo', password: 'p' }]],
      [
        'small2',
        [
          { username: '2001', password: 'p', display: 'Two' },
          { username: '2002', password: 'p', display: 'Two' },
          { username: '2003', password: 'p', display: 'Two' },
        ],
      ],
    ];
    for (const [pool, list] of small) rows.push(...list.map((r) => ({ ...r, pool })));
    const job = await importCsv(t, user, csvFile(rows));
    const setOf = (pool: string) => job.rows.find((r, i) => rows[i]!.pool === pool)!.multi_credential_pool_id!;
    for (let s = 0; s < 7; s++) bulkSets.push(setOf(`bulk${s}`));
    for (let s = 0; s < 3; s++) smallSets.push(setOf(`small${s}`));
  });
  afterAll(async () => {
    await t?.close();
  });

  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: bearer(user) });

  it('bulk-sets: sets with more than 5 entries, 5 per page, in the shape of api.md', async () => {
    const page1 = await get('/api/credential-passwords/bulk-sets');
    expect(page1.statusCode).toBe(200);
    const body = page1.json();
    expect(body).toMatchObject({ page: 1, page_size: 5, total: 7 });
    expect(body.items).toHaveLength(5);
    expect(Object.keys(body.items[0]).sort()).toEqual(['entry_count', 'multi_credential_pool_id', 'name']);
    expect(body.items.map((i: { multi_credential_pool_id: number }) => i.multi_credential_pool_id)).toEqual(
      bulkSets.slice(0, 5),
    );
    expect(body.items[0].entry_count).toBe(6);
    expect(body.items[0].name).toMatch(/^Imported /);
    const page2 = (await get('/api/credential-passwords/bulk-sets?page=2')).json();
    expect(page2).toMatchObject({ page: 2, page_size: 5, total: 7 });
    expect(page2.items.map((i: { entry_count: number }) => i.entry_count)).toEqual([11, 12]);
    expect((await get('/api/credential-passwords/bulk-sets?page=3')).json().items).toEqual([]);
    expect((await get('/api/credential-passwords/bulk-sets?page=0')).statusCode).toBe(400);
    expect((await get('/api/credential-passwords/bulk-sets?page=x')).statusCode).toBe(400);
  });

  it('small-set-entries: entries of sets with at most 5 entries, 10 per page, in the shape of api.md', async () => {
    const res = await get('/api/credential-passwords/small-set-entries');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ page: 1, page_size: 10, total: 9 });
    expect(body.items).toHaveLength(9);
    expect(body.items[0]).toEqual({
      multi_credential_pool_id: smallSets[0],
      set_name: expect.stringMatching(/^Imported /),
      entry_id: expect.any(Number),
      username: '1001',
      domain: 'sip.example.com',
      display_name: 'Reception Desk',
      auth_username: '1001',
      has_totp: true,
    });
    expect(body.items[1].has_totp).toBe(false);
    expect(JSON.stringify(body)).not.toMatch(/auth_password|totp_secret/);
    const ids = body.items.map((i: { multi_credential_pool_id: number; entry_id: number }) => [
      i.multi_credential_pool_id,
      i.entry_id,
    ]);
    expect(ids).toEqual([...ids].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
  });

  const usernames = async (query: string) => {
    const res = await get(`/api/credential-passwords/small-set-entries?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { total: number; items: { username: string }[] };
    expect(body.total).toBe(body.items.length);
    return body.items.map((i) => i.username);
  };

  it('filters match case-insensitively; without * the whole value must match', async () => {
    expect(await usernames('display_name=reception')).toEqual([]);
    expect(await usernames('display_name=RECEPTION%20DESK')).toEqual(['1001']);
    expect(await usernames('domain=sip.example.com')).toEqual([
      '1001',
      '1002',
      '+4930123456',
      '1004',
      '1005',
      '2001',
      '2002',
      '2003',
    ]);
    expect(await usernames('domain=OTHER.example.NET')).toEqual(['Müller']);
    expect(await usernames('auth_username=auth-1005')).toEqual(['1005']);
    expect(await usernames('username=%2B4930123456')).toEqual(['+4930123456']);
  });

  it('* is a wildcard anywhere; % and _ are literal', async () => {
    expect(await usernames('display_name=recep*')).toEqual(['1001', '1002']);
    expect(await usernames('display_name=*BACKUP')).toEqual(['1002']);
    expect(await usernames('username=10*4')).toEqual(['1004']);
    expect(await usernames('username=*')).toHaveLength(9);
    expect(await usernames('display_name=100%25_literal')).toEqual(['1004']);
    expect(await usernames('display_name=1_0*')).toEqual([]);
    expect(await usernames('username=2*&display_name=two')).toEqual(['2001', '2002', '2003']);
  });

  it('set_name filters by the set; filters combine; the total counts every match across pages', async () => {
    const sets = (await get('/api/credential-passwords/small-set-entries')).json().items as {
      set_name: string;
      multi_credential_pool_id: number;
    }[];
    const name = sets.find((s) => s.multi_credential_pool_id === smallSets[2])!.set_name;
    expect(await usernames(`set_name=${encodeURIComponent(name.toUpperCase())}`)).toEqual(['2001', '2002', '2003']);
    expect(await usernames(`set_name=${encodeURIComponent(name)}&username=2002`)).toEqual(['2002']);
    const page2 = (await get('/api/credential-passwords/small-set-entries?page=2&username=*')).json();
    expect(page2).toMatchObject({ page: 2, total: 9, items: [] });
    expect((await get('/api/credential-passwords/small-set-entries?page=-1')).statusCode).toBe(400);
  });

  it('sets move between the lists as their entry count crosses 5', async () => {
    await importCsv(t, user, csvFile([{ pool: smallSets[2]!, username: '2004', password: 'p' }]));
    await importCsv(t, user, csvFile([{ pool: smallSets[2]!, username: '2005', password: 'p' }]));
    expect((await get('/api/credential-passwords/bulk-sets')).json().total).toBe(7);
    await importCsv(t, user, csvFile([{ pool: smallSets[2]!, username: '2006', password: 'p' }]));
    expect((await get('/api/credential-passwords/bulk-sets')).json().total).toBe(8);
    expect((await get('/api/credential-passwords/small-set-entries')).json().total).toBe(6);
  });

  describe('POST /api/credential-passwords/passwords (inline save)', () => {
    const save = (updates: unknown) =>
      t.app.inject({
        method: 'POST',
        url: '/api/credential-passwords/passwords',
        headers: bearer(user),
        payload: { updates },
      });

    async function entryIdOf(username: string): Promise<number> {
      const res = await get(`/api/credential-passwords/small-set-entries?username=${encodeURIComponent(username)}`);
      return (res.json() as { items: { entry_id: number }[] }).items[0]!.entry_id;
    }

    it('saves the new passwords, and only the passwords, and answers {updated: N}', async () => {
      const a = await entryIdOf('1001');
      const b = await entryIdOf('1002');
      const res = await save([
        { entry_id: a, auth_password: 'Inline "new", 1' },
        { entry_id: b, auth_password: ' spaced ' },
      ]);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ updated: 2 });
      const rows = parse((await exportAll(t, user)).body, { bom: true }) as string[][];
      const byEntry = new Map(rows.slice(1).map((r) => [Number(r[1]), r]));
      expect(byEntry.get(a)![6]).toBe('Inline "new", 1');
      expect(byEntry.get(a)![7]).toBe('JBSWY3DPEHPK3PXP');
      expect(byEntry.get(b)![6]).toBe(' spaced ');
      const audit = (await auditOf(t, user.accountId)).filter(
        (e) => e.action === 'credential_passwords.passwords_saved',
      );
      expect(audit).toHaveLength(1);
      expect(JSON.parse(audit[0]!.details)).toEqual({ updated: 2, entry_ids: [a, b] });
      expect(audit[0]!.details).not.toContain('Inline');
    });

    it('is all or nothing: a blank password or an unknown id is 422 naming what to fix, and nothing is saved', async () => {
      const a = await entryIdOf('1004');
      const before = await snapshotAccount(t, user.accountId);
      const blank = await save([
        { entry_id: a, auth_password: 'fine' },
        { entry_id: await entryIdOf('1005'), auth_password: '   ' },
      ]);
      expect(blank.statusCode).toBe(422);
      expect(blank.json().detail).toMatch(/missing value for auth_password/);
      expect(blank.json().errors).toEqual([
        expect.objectContaining({ index: 1, field: 'auth_password', message: 'missing value for auth_password' }),
      ]);
      const unknown = await save([
        { entry_id: a, auth_password: 'fine' },
        { entry_id: 2_000_000_000, auth_password: 'x' },
      ]);
      expect(unknown.statusCode).toBe(422);
      expect(unknown.json().detail).toMatch(/entry_id 2000000000 was not found in your account/);
      const twice = await save([
        { entry_id: a, auth_password: 'one' },
        { entry_id: a, auth_password: 'two' },
      ]);
      expect(twice.statusCode).toBe(422);
      const control = await save([{ entry_id: a, auth_password: 'tab\there' }]);
      expect(control.statusCode).toBe(422);
      expect(control.json().detail).toMatch(/auth_password contains a tab/);
      expect(control.body).not.toContain('tab\\there');
      expect((await save([])).statusCode).toBe(422);
      expect((await save([{ entry_id: 'x', auth_password: 'p' }])).statusCode).toBe(400);
      expect(await snapshotAccount(t, user.accountId)).toEqual(before);
    });
  });
});
