import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateEntryFields } from '../../src/domain/entry-validation.ts';
import { createTestApp, json, loginCookie, seedUser, type SeededUser, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/databases.ts';
import {
  as,
  auditEvents,
  createEntry,
  createSet,
  entryBody,
  expectNoSecrets,
  PASSWORD,
  seedTestUsingSet,
  storedEntry,
  TOTP,
  type Call,
} from './support.ts';

describe.each(DIALECTS)('SIP Credentials: credential sets on %s', (dialect) => {
  let t: TestApp;
  let user: SeededUser;
  let call: Call;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    user = await seedUser(t);
    call = as(t, user);
  });
  afterAll(async () => t?.close());

  describe('create', () => {
    it('creates a set with trimmed, de-duplicated, case-preserving tags and answers 201 with its location', async () => {
      const res = await call('POST', '/api/credential-sets', {
        name: '  Berlin office  ',
        tags: [' Prod ', 'prod', 'EU', '', 'eu', 'Team A'],
      });
      expect(res.statusCode).toBe(201);
      const set = json(res);
      expect(set).toMatchObject({ name: 'Berlin office', tags: ['EU', 'Prod', 'Team A'], entry_count: 0 });
      expect(typeof set.id).toBe('number');
      expect(res.headers.location).toBe(`/api/credential-sets/${set.id}`);
      expect(Object.keys(set).sort()).toEqual(['created_at', 'entry_count', 'id', 'name', 'tags', 'updated_at']);
      const again = json(await call('GET', `/api/credential-sets/${set.id}`));
      expect(again).toEqual(set);
    });

    it('creates a set with its single extension in one call (Create Credentials), storing the secrets encrypted', async () => {
      const res = await call('POST', '/api/credential-sets', {
        name: 'Extension 2001',
        tags: ['quick'],
        entries: [entryBody({ username: '2001', auth_username: '2001', totp_secret: 'jbsw y3dp ehpk 3pxp' })],
      });
      expect(res.statusCode, res.body).toBe(201);
      expectNoSecrets(res);
      const set = json(res);
      expect(set.entry_count).toBe(1);
      const entries = await call('GET', `/api/credential-sets/${set.id}/entries`);
      expectNoSecrets(entries);
      const [entry] = json(entries).items;
      expect(entry).toMatchObject({ multi_credential_pool_id: set.id, username: '2001', has_totp: true });
      const row = await storedEntry(t, entry.id);
      expect(row.password_enc).not.toContain(PASSWORD);
      expect(t.ctx.cipher.decrypt(row.password_enc, user.accountId)).toBe(PASSWORD);
      expect(t.ctx.cipher.decrypt(row.totp_enc!, user.accountId)).toBe(TOTP);
    });

    it('refuses the whole request when one entry is invalid, naming the entry and the column', async () => {
      const before = json(await call('GET', '/api/credential-sets')).total;
      const res = await call('POST', '/api/credential-sets', {
        name: 'Two entries',
        entries: [entryBody(), entryBody({ username: '1002', auth_password: '   ' })],
      });
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(json(res).detail).toBe('Entries[1]: missing value for auth_password.');
      expect(json(res).field).toBe('auth_password');
      expect(json(await call('GET', '/api/credential-sets')).total).toBe(before);
    });

    it.each([
      [{ name: '   ' }, 422, /Give the credential set a name/],
      [{ name: 'a\tb' }, 422, /control character/],
      [{ name: 'x'.repeat(201) }, 422, /longer than 200 characters/],
      [{ name: 'ok', tags: ['x'.repeat(51)] }, 422, /longer than 50 characters/],
      [{ name: 'ok', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 422, /at most 20 tags/],
      [{}, 400, /Add the field "name"/],
      [{ name: 'ok', colour: 'red' }, 400, /Remove the unknown field\(s\) "colour"/],
      [{ name: 7 }, 400, /Fix "name": give the name as a string/],
      [{ name: 'ok', tags: 'prod' }, 400, /list of strings/],
    ])('refuses %j with %i and a sentence saying what to fix', async (body, status, detail) => {
      const res = await call('POST', '/api/credential-sets', body);
      expect(res.statusCode).toBe(status);
      expect(json(res).detail).toMatch(detail);
    });
  });

  describe('list', () => {
    let other: SeededUser;
    let list: Call;
    beforeAll(async () => {
      other = await seedUser(t);
      list = as(t, other);
      const a = await createSet(list, { name: 'Alpha', tags: ['prod', 'EU'] });
      await createEntry(list, a.id, { username: '100', domain: 'alpha.example.net' });
      await createEntry(list, a.id, { username: '101', domain: 'alpha.example.net' });
      const b = await createSet(list, { name: 'bravo', tags: ['Staging'] });
      await createEntry(list, b.id, { username: '4711', domain: 'voip.carrier.test' });
      await createSet(list, { name: 'Charlie 50%_off', tags: ['prod'] });
      for (let i = 0; i < 4; i++) await createSet(list, { name: `Zulu ${i}` });
    });

    it('lists the sets by name with tags and entry counts, paginated', async () => {
      const res = await list('GET', '/api/credential-sets?page=1&page_size=3');
      expect(res.statusCode).toBe(200);
      const body = json(res);
      expect(body).toMatchObject({ page: 1, page_size: 3, total: 7 });
      expect(body.items.map((s: any) => [s.name, s.tags, s.entry_count])).toEqual([
        ['Alpha', ['EU', 'prod'], 2],
        ['bravo', ['Staging'], 1],
        ['Charlie 50%_off', ['prod'], 0],
      ]);
      const last = json(await list('GET', '/api/credential-sets?page=3&page_size=3'));
      expect(last.items.map((s: any) => s.name)).toEqual(['Zulu 3']);
      const beyond = json(await list('GET', '/api/credential-sets?page=9&page_size=3'));
      expect(beyond).toMatchObject({ total: 7, items: [] });
    });

    it.each([
      ['set name, any case', 'ALPH', ['Alpha']],
      ['tag', 'stag', ['bravo']],
      ['username', '4711', ['bravo']],
      ['domain', 'example.net', ['Alpha']],
      ['LIKE characters taken literally', '50%_', ['Charlie 50%_off']],
      ['nothing', 'no-such-thing', []],
    ])('searches by %s', async (_what, q, names) => {
      const body = json(await list('GET', `/api/credential-sets?q=${encodeURIComponent(q)}`));
      expect(body.items.map((s: any) => s.name)).toEqual(names);
      expect(body.total).toBe(names.length);
    });

    it('filters by tag, case-insensitively; several tags must all match', async () => {
      const one = json(await list('GET', '/api/credential-sets?tag=PROD'));
      expect(one.items.map((s: any) => s.name)).toEqual(['Alpha', 'Charlie 50%_off']);
      const both = json(await list('GET', '/api/credential-sets?tag=prod&tag=eu'));
      expect(both.items.map((s: any) => s.name)).toEqual(['Alpha']);
      const withSearch = json(await list('GET', '/api/credential-sets?tag=prod&q=charlie'));
      expect(withSearch.items.map((s: any) => s.name)).toEqual(['Charlie 50%_off']);
    });

    it('lists the tags in use with how many sets carry each', async () => {
      const body = json(await list('GET', '/api/credential-set-tags'));
      expect(body.items).toEqual([
        { tag: 'EU', set_count: 1 },
        { tag: 'prod', set_count: 2 },
        { tag: 'Staging', set_count: 1 },
      ]);
    });

    it.each([
      ['page=0', /"page": give a whole number of 1 or more/],
      ['page=abc', /"page"/],
      ['page_size=101', /"page_size": give a whole number from 1 to 100/],
      ['page_size=0', /"page_size"/],
      ['pagesize=10', /Remove the unknown field\(s\) "pagesize"/],
    ])('refuses the query %s with 400', async (query, detail) => {
      const res = await list('GET', `/api/credential-sets?${query}`);
      expect(res.statusCode).toBe(400);
      expect(json(res).detail).toMatch(detail);
    });
  });

  describe('rename and tags', () => {
    it('renames a set and records set.renamed with the old and the new name', async () => {
      const set = await createSet(call, { name: 'Old name' });
      const res = await call('PATCH', `/api/credential-sets/${set.id}`, { name: ' New name ' });
      expect(res.statusCode).toBe(200);
      expect(json(res)).toMatchObject({ id: set.id, name: 'New name' });
      expect(json(res).updated_at >= set.updated_at).toBe(true);
      const [event] = (await auditEvents(t, user.accountId, 'set.renamed')).filter(
        (e) => e.subject === `credential_set:${set.id}`,
      );
      expect(event!.details).toMatchObject({ set_id: set.id, from: 'Old name', to: 'New name' });
      expect(event!.actor).toBe(user.email);
    });

    it('replaces the tags and records what was added and removed', async () => {
      const set = await createSet(call, { name: 'Tagged', tags: ['a', 'b'] });
      const res = await call('PATCH', `/api/credential-sets/${set.id}`, { tags: ['b', ' C ', 'c'] });
      expect(res.statusCode).toBe(200);
      expect(json(res).tags).toEqual(['b', 'C']);
      const events = (await auditEvents(t, user.accountId, 'set.tags_changed')).filter(
        (e) => e.subject === `credential_set:${set.id}`,
      );
      expect(events.map((e) => e.details)).toEqual([
        { set_id: set.id, added: ['C'], removed: ['a'], tags: ['b', 'C'] },
      ]);
      const cleared = await call('PATCH', `/api/credential-sets/${set.id}`, { tags: [] });
      expect(json(cleared).tags).toEqual([]);
    });

    it('records nothing when nothing changes', async () => {
      const set = await createSet(call, { name: 'Same', tags: ['x'] });
      const before = (await auditEvents(t, user.accountId)).length;
      const res = await call('PATCH', `/api/credential-sets/${set.id}`, { name: 'Same', tags: ['x'] });
      expect(res.statusCode).toBe(200);
      expect((await auditEvents(t, user.accountId)).length).toBe(before);
    });

    it('refuses an empty change, an unknown field and a blank name', async () => {
      const set = await createSet(call, { name: 'Keep' });
      const empty = await call('PATCH', `/api/credential-sets/${set.id}`, {});
      expect(empty.statusCode).toBe(400);
      expect(json(empty).detail).toMatch(/give a new name, new tags, or both/);
      const unknown = await call('PATCH', `/api/credential-sets/${set.id}`, { entry_count: 3 });
      expect(unknown.statusCode).toBe(400);
      const blank = await call('PATCH', `/api/credential-sets/${set.id}`, { name: '' });
      expect(blank.statusCode).toBe(422);
      expect(json(await call('GET', `/api/credential-sets/${set.id}`)).name).toBe('Keep');
    });
  });

  describe('clone', () => {
    it('copies the set, its tags and its entries under a new name, with secrets encrypted afresh', async () => {
      const set = await createSet(call, { name: 'Original', tags: ['prod'] });
      const e1 = await createEntry(call, set.id, { totp_secret: TOTP });
      const e2 = await createEntry(call, set.id, { username: '1002', auth_password: 'other pass ü' });
      const res = await call('POST', `/api/credential-sets/${set.id}/clone`, { name: 'Original copy' });
      expect(res.statusCode).toBe(201);
      expectNoSecrets(res, 'other pass ü');
      const clone = json(res);
      expect(clone).toMatchObject({ name: 'Original copy', tags: ['prod'], entry_count: 2 });
      expect(clone.id).not.toBe(set.id);
      expect(res.headers.location).toBe(`/api/credential-sets/${clone.id}`);

      const copies = json(await call('GET', `/api/credential-sets/${clone.id}/entries`)).items;
      expect(copies.map((e: any) => [e.username, e.has_totp])).toEqual([
        ['1001', true],
        ['1002', false],
      ]);
      for (const [orig, copy, password] of [
        [e1, copies[0], PASSWORD],
        [e2, copies[1], 'other pass ü'],
      ] as const) {
        const a = await storedEntry(t, orig.id);
        const b = await storedEntry(t, copy.id);
        expect(b.password_enc).not.toBe(a.password_enc);
        expect(t.ctx.cipher.decrypt(b.password_enc, user.accountId)).toBe(password);
      }
      const [a1, b1] = [await storedEntry(t, e1.id), await storedEntry(t, copies[0].id)];
      expect(b1.totp_enc).not.toBe(a1.totp_enc);
      expect(t.ctx.cipher.decrypt(b1.totp_enc!, user.accountId)).toBe(TOTP);

      const [event] = (await auditEvents(t, user.accountId, 'set.cloned')).filter(
        (e) => e.subject === `credential_set:${clone.id}`,
      );
      expect(event!.details).toMatchObject({ set_id: clone.id, source_set_id: set.id, entry_count: 2 });
      expect(JSON.stringify(event)).not.toContain(PASSWORD);

      // The original is untouched.
      expect(json(await call('GET', `/api/credential-sets/${set.id}`))).toMatchObject({
        name: 'Original',
        entry_count: 2,
      });
    });

    it('names the copy after the original when no name is given', async () => {
      const set = await createSet(call, { name: 'Lonely' });
      const res = await call('POST', `/api/credential-sets/${set.id}/clone`);
      expect(res.statusCode).toBe(201);
      expect(json(res).name).toBe('Lonely (copy)');
    });

    it('refuses a blank name and an unknown field', async () => {
      const set = await createSet(call, { name: 'Src' });
      expect((await call('POST', `/api/credential-sets/${set.id}/clone`, { name: ' ' })).statusCode).toBe(422);
      expect((await call('POST', `/api/credential-sets/${set.id}/clone`, { title: 'x' })).statusCode).toBe(400);
    });
  });

  describe('plan limit', () => {
    it('counts create and clone against max_sets and names the limit in the 422', async () => {
      const small = await seedUser(t, { maxSets: 2 });
      const c = as(t, small);
      const first = await createSet(c, { name: 'One', entries: [entryBody()] });
      await createSet(c, { name: 'Two' });

      const create = await c('POST', '/api/credential-sets', { name: 'Three' });
      expect(create.statusCode).toBe(422);
      expect(json(create)).toMatchObject({ title: 'Plan limit reached', max_sets: 2, set_count: 2 });
      expect(json(create).detail).toMatch(/plan allows 2 credential sets/);

      const clone = await c('POST', `/api/credential-sets/${first.id}/clone`, { name: 'Copy' });
      expect(clone.statusCode).toBe(422);
      expect(json(clone).detail).toMatch(/plan allows 2 credential sets/);
      expect(json(await c('GET', '/api/credential-sets')).total).toBe(2);

      // Deleting one makes room again.
      expect((await c('DELETE', `/api/credential-sets/${first.id}`)).statusCode).toBe(200);
      expect((await c('POST', '/api/credential-sets', { name: 'Three' })).statusCode).toBe(201);
    });

    it('lets concurrent creates never exceed the limit', async () => {
      const small = await seedUser(t, { maxSets: 3 });
      const c = as(t, small);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => c('POST', '/api/credential-sets', { name: `Race ${i}` })),
      );
      expect(results.filter((r) => r.statusCode === 201)).toHaveLength(3);
      expect(results.filter((r) => r.statusCode === 422)).toHaveLength(5);
      expect(json(await c('GET', '/api/credential-sets')).total).toBe(3);
    });
  });

  describe('delete', () => {
    it('deletes a set with its entries, says how many went and records set.deleted without secrets', async () => {
      const set = await createSet(call, { name: 'Doomed', tags: ['old'] });
      await createEntry(call, set.id);
      await createEntry(call, set.id, { username: '1002', totp_secret: TOTP });
      await createEntry(call, set.id, { username: '1003' });
      const res = await call('DELETE', `/api/credential-sets/${set.id}`);
      expect(res.statusCode).toBe(200);
      expect(json(res)).toEqual({ id: set.id, deleted_entries: 3 });
      expect((await call('GET', `/api/credential-sets/${set.id}`)).statusCode).toBe(404);
      const left = await t.ctx.db.kysely
        .selectFrom('credential_entries')
        .select('id')
        .where('set_id', '=', set.id)
        .execute();
      expect(left).toEqual([]);
      const [event] = (await auditEvents(t, user.accountId, 'set.deleted')).filter(
        (e) => e.subject === `credential_set:${set.id}`,
      );
      expect(event!.details).toEqual({ set_id: set.id, name: 'Doomed', tags: ['old'], entry_count: 3 });
      expect(JSON.stringify(event)).not.toContain(PASSWORD);
      expect(JSON.stringify(event)).not.toContain(TOTP);
      expect((await call('DELETE', `/api/credential-sets/${set.id}`)).statusCode).toBe(404);
    });

    it('refuses to delete a set a test configuration uses, naming the test and its project', async () => {
      const set = await createSet(call, { name: 'In use' });
      await createEntry(call, set.id);
      await seedTestUsingSet(t, user.accountId, set.id, { project: 'Carrier A', test: 'Register smoke' });
      const res = await call('DELETE', `/api/credential-sets/${set.id}`);
      expect(res.statusCode).toBe(409);
      const body = json(res);
      expect(body.detail).toBe(
        'The credential set "In use" is used by the test "Register smoke" in project "Carrier A"; choose another credential set for that test under Projects, then delete it.',
      );
      expect(body.tests).toEqual([expect.objectContaining({ test_name: 'Register smoke', project_name: 'Carrier A' })]);
      expect(json(await call('GET', `/api/credential-sets/${set.id}`)).entry_count).toBe(1);
      expect(await auditEvents(t, user.accountId, 'set.deleted')).not.toContainEqual(
        expect.objectContaining({ subject: `credential_set:${set.id}` }),
      );
    });

    it('is refused by the database too (the foreign key), not only by the app', async () => {
      const set = await createSet(call, { name: 'Guarded' });
      await seedTestUsingSet(t, user.accountId, set.id, { project: 'P', test: 'T' });
      await expect(t.ctx.db.kysely.deleteFrom('credential_sets').where('id', '=', set.id).execute()).rejects.toThrow();
    });
  });

  describe('entries', () => {
    let setId: number;
    beforeAll(async () => {
      setId = (await createSet(call, { name: 'Entries' })).id;
    });

    it('creates an entry and answers without any secret, with has_totp', async () => {
      const res = await call('POST', `/api/credential-sets/${setId}/entries`, entryBody({ totp_secret: TOTP }));
      expect(res.statusCode).toBe(201);
      expectNoSecrets(res);
      const entry = json(res);
      expect(Object.keys(entry).sort()).toEqual([
        'auth_username',
        'created_at',
        'display_name',
        'domain',
        'has_totp',
        'id',
        'multi_credential_pool_id',
        'updated_at',
        'username',
      ]);
      expect(entry).toMatchObject({ multi_credential_pool_id: setId, username: '1001', has_totp: true });
      expect(res.headers.location).toBe(`/api/credential-sets/${setId}/entries/${entry.id}`);
      const got = await call('GET', `/api/credential-sets/${setId}/entries/${entry.id}`);
      expectNoSecrets(got);
      expect(json(got)).toEqual(entry);
      const [event] = (await auditEvents(t, user.accountId, 'entry.created')).filter(
        (e) => e.subject === `credential_entry:${entry.id}`,
      );
      expect(event!.details).toEqual({ set_id: setId, set_name: 'Entries', entry_id: entry.id, has_totp: true });
    });

    it('requires auth_password on create', async () => {
      const { auth_password: _p, ...withoutPassword } = entryBody();
      const missing = await call('POST', `/api/credential-sets/${setId}/entries`, withoutPassword);
      expect(missing.statusCode).toBe(400);
      expect(json(missing).detail).toMatch(/Add the field "auth_password"/);
      const blank = await call('POST', `/api/credential-sets/${setId}/entries`, entryBody({ auth_password: '  ' }));
      expect(blank.statusCode).toBe(422);
      expect(json(blank).detail).toBe('Missing value for auth_password.');
    });

    it.each([
      ['username', { username: ' ' }],
      ['domain', { domain: 'sip example.com' }],
      ['display_name', { display_name: 'a\nb' }],
      ['auth_username', { auth_username: '4.9E+11' }],
      ['auth_password', { auth_password: 'pass\tword' }],
      ['totp_secret', { totp_secret: 'not base32!' }],
      ['username', { username: 'u'.repeat(256) }],
    ])('fails %s exactly as the CSV import does', async (column, over) => {
      const body = entryBody(over);
      const expected = validateEntryFields(body);
      expect(expected.kind).toBe('invalid');
      const res = await call('POST', `/api/credential-sets/${setId}/entries`, body);
      expect(res.statusCode).toBe(422);
      const problem = json(res);
      expect(problem.field).toBe(column);
      if (expected.kind === 'invalid') {
        expect(problem.detail.toLowerCase()).toBe(`${expected.message}.`.toLowerCase());
      }
      expectNoSecrets(res, 'pass\tword', 'not base32!');
    });

    it('stores trimmed text and the password verbatim', async () => {
      const entry = await createEntry(call, setId, {
        username: ' 0049301 ',
        auth_username: ' +4930 ',
        auth_password: '  spaced  ',
      });
      expect(entry).toMatchObject({ username: '0049301', auth_username: '+4930' });
      expect(t.ctx.cipher.decrypt((await storedEntry(t, entry.id)).password_enc, user.accountId)).toBe('  spaced  ');
    });

    it('lists entries paginated and searchable', async () => {
      const s = (await createSet(call, { name: 'Paged' })).id;
      for (let i = 0; i < 5; i++) await createEntry(call, s, { username: `30${i}`, display_name: `Desk ${i}` });
      const page = json(await call('GET', `/api/credential-sets/${s}/entries?page=2&page_size=2`));
      expect(page).toMatchObject({ page: 2, page_size: 2, total: 5 });
      expect(page.items.map((e: any) => e.username)).toEqual(['302', '303']);
      const found = json(await call('GET', `/api/credential-sets/${s}/entries?q=desk%204`));
      expect(found.items.map((e: any) => e.username)).toEqual(['304']);
      expect((await call('GET', `/api/credential-sets/${s}/entries?page_size=500`)).statusCode).toBe(400);
    });

    it('changes fields, replaces the password and never returns it; audit names columns, not values', async () => {
      const entry = await createEntry(call, setId, { username: '5001' });
      const before = await storedEntry(t, entry.id);
      const res = await call('PATCH', `/api/credential-sets/${setId}/entries/${entry.id}`, {
        display_name: 'Reception',
        auth_password: 'brand new pw',
      });
      expect(res.statusCode).toBe(200);
      expectNoSecrets(res, 'brand new pw');
      expect(json(res)).toMatchObject({ id: entry.id, display_name: 'Reception', username: '5001', has_totp: false });
      const after = await storedEntry(t, entry.id);
      expect(after.password_enc).not.toBe(before.password_enc);
      expect(t.ctx.cipher.decrypt(after.password_enc, user.accountId)).toBe('brand new pw');
      const [event] = (await auditEvents(t, user.accountId, 'entry.updated')).filter(
        (e) => e.subject === `credential_entry:${entry.id}`,
      );
      expect(event!.details).toEqual({
        set_id: setId,
        set_name: 'Entries',
        entry_id: entry.id,
        changed: ['display_name', 'auth_password'],
      });
      expect(JSON.stringify(event)).not.toContain('Reception');
      expect(JSON.stringify(event)).not.toContain('brand new pw');
    });

    it('sets and clears the TOTP secret (null and "" both clear)', async () => {
      const entry = await createEntry(call, setId, { username: '6001' });
      const url = `/api/credential-sets/${setId}/entries/${entry.id}`;
      const set = await call('PATCH', url, { totp_secret: TOTP.toLowerCase() });
      expect(json(set).has_totp).toBe(true);
      expectNoSecrets(set, TOTP.toLowerCase());
      expect(t.ctx.cipher.decrypt((await storedEntry(t, entry.id)).totp_enc!, user.accountId)).toBe(TOTP);
      expect(json(await call('PATCH', url, { totp_secret: null })).has_totp).toBe(false);
      await call('PATCH', url, { totp_secret: TOTP });
      expect(json(await call('PATCH', url, { totp_secret: '' })).has_totp).toBe(false);
      expect((await storedEntry(t, entry.id)).totp_enc).toBeNull();
      const events = (await auditEvents(t, user.accountId, 'entry.updated')).filter(
        (e) => e.subject === `credential_entry:${entry.id}`,
      );
      expect(events.map((e) => e.details.totp)).toEqual(['set', 'removed', 'set', 'removed']);
    });

    it('keeps the password when none is given, refuses a blank one, and records nothing for no change', async () => {
      const entry = await createEntry(call, setId, { username: '7001' });
      const url = `/api/credential-sets/${setId}/entries/${entry.id}`;
      const stored = await storedEntry(t, entry.id);
      const blank = await call('PATCH', url, { auth_password: '' });
      expect(blank.statusCode).toBe(422);
      expect(json(blank).detail).toBe('Missing value for auth_password.');
      const count = (await auditEvents(t, user.accountId)).length;
      const same = await call('PATCH', url, { username: '7001' });
      expect(same.statusCode).toBe(200);
      expect((await auditEvents(t, user.accountId)).length).toBe(count);
      expect((await storedEntry(t, entry.id)).password_enc).toBe(stored.password_enc);
      expect((await call('PATCH', url, {})).statusCode).toBe(400);
      expect((await call('PATCH', url, { password: 'x' })).statusCode).toBe(400);
      expect((await call('PATCH', url, { domain: 'has space.example' })).statusCode).toBe(422);
    });

    it('deletes an entry (204), records entry.deleted, and the set counts one fewer', async () => {
      const s = (await createSet(call, { name: 'Del entries' })).id;
      const keep = await createEntry(call, s);
      const gone = await createEntry(call, s, { username: '1002' });
      const res = await call('DELETE', `/api/credential-sets/${s}/entries/${gone.id}`);
      expect(res.statusCode).toBe(204);
      expect((await call('GET', `/api/credential-sets/${s}/entries/${gone.id}`)).statusCode).toBe(404);
      expect((await call('DELETE', `/api/credential-sets/${s}/entries/${gone.id}`)).statusCode).toBe(404);
      expect(json(await call('GET', `/api/credential-sets/${s}`)).entry_count).toBe(1);
      expect((await call('GET', `/api/credential-sets/${s}/entries/${keep.id}`)).statusCode).toBe(200);
      const [event] = (await auditEvents(t, user.accountId, 'entry.deleted')).filter(
        (e) => e.subject === `credential_entry:${gone.id}`,
      );
      expect(event!.details).toEqual({ set_id: s, set_name: 'Del entries', entry_id: gone.id });
    });

    it('treats an entry of another set as missing under this set', async () => {
      const s1 = (await createSet(call, { name: 'S1' })).id;
      const s2 = (await createSet(call, { name: 'S2' })).id;
      const e = await createEntry(call, s1);
      for (const [method, payload] of [['GET'], ['PATCH', { username: 'x' }], ['DELETE']] as const) {
        const res = await call(method, `/api/credential-sets/${s2}/entries/${e.id}`, payload);
        expect(res.statusCode).toBe(404);
      }
      expect(json(await call('GET', `/api/credential-sets/${s1}/entries/${e.id}`)).username).toBe('1001');
    });
  });

  describe('ids and auth', () => {
    it.each(['0', '-1', 'abc', '1.5', '99999999999', '2147483648'])('answers 404 for the set id %s', async (id) => {
      const res = await call('GET', `/api/credential-sets/${id}`);
      expect(res.statusCode).toBe(404);
      expect(json(res).title).toBe('Credential set not found');
    });

    it('needs authentication on every route', async () => {
      const routes: Array<[string, string]> = [
        ['GET', '/api/credential-sets'],
        ['POST', '/api/credential-sets'],
        ['GET', '/api/credential-set-tags'],
        ['GET', '/api/credential-sets/1'],
        ['PATCH', '/api/credential-sets/1'],
        ['DELETE', '/api/credential-sets/1'],
        ['POST', '/api/credential-sets/1/clone'],
        ['GET', '/api/credential-sets/1/entries'],
        ['POST', '/api/credential-sets/1/entries'],
        ['GET', '/api/credential-sets/1/entries/1'],
        ['PATCH', '/api/credential-sets/1/entries/1'],
        ['DELETE', '/api/credential-sets/1/entries/1'],
      ];
      for (const [method, url] of routes) {
        const res = await t.app.inject({ method: method as 'GET', url });
        expect(res.statusCode, `${method} ${url}`).toBe(401);
      }
    });

    it('accepts the session cookie, and a cookie write only with the X-CSRF-Token header', async () => {
      const session = await loginCookie(t, user);
      const without = await t.app.inject({
        method: 'POST',
        url: '/api/credential-sets',
        headers: { cookie: session.cookie },
        payload: { name: 'Via cookie' },
      });
      expect(without.statusCode).toBe(403);
      const withToken = await t.app.inject({
        method: 'POST',
        url: '/api/credential-sets',
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrf },
        payload: { name: 'Via cookie' },
      });
      expect(withToken.statusCode).toBe(201);
      const list = await t.app.inject({
        method: 'GET',
        url: '/api/credential-sets?q=via',
        headers: { cookie: session.cookie },
      });
      expect(json(list).items.map((s: any) => s.name)).toEqual(['Via cookie']);
    });
  });
});
