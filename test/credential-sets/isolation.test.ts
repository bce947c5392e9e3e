import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedUser, type SeededUser, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/databases.ts';
import { as, auditEvents, createEntry, createSet, entryBody, storedEntry, type Call, type Method } from './support.ts';

// Invariant 1: another account's id is indistinguishable from a missing one, and nothing a user
// does reads or writes another account's sets, entries, tags or audit trail.

describe.each(DIALECTS)('SIP Credentials: account isolation on %s', (dialect) => {
  let t: TestApp;
  let alice: SeededUser;
  let bob: SeededUser;
  let asAlice: Call;
  let asBob: Call;
  let aliceSet: any;
  let aliceEntry: any;
  let bobSet: any;
  let missingSetId: number;
  let missingEntryId: number;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    alice = await seedUser(t, { name: 'Alice Ltd', maxSets: 5 });
    bob = await seedUser(t, { name: 'Bob GmbH', maxSets: 5 });
    asAlice = as(t, alice);
    asBob = as(t, bob);
    aliceSet = await createSet(asAlice, { name: 'Alice secret set', tags: ['alice-only'] });
    aliceEntry = await createEntry(asAlice, aliceSet.id, { username: 'alice-ext', domain: 'alice.example' });
    bobSet = await createSet(asBob, { name: 'Bob set', tags: ['bob'] });
    await createEntry(asBob, bobSet.id, { username: 'bob-ext' });
    // Ids that exist nowhere, of the same number of digits as Alice's.
    missingSetId = aliceSet.id + 100000;
    missingEntryId = aliceEntry.id + 100000;
  });
  afterAll(async () => t?.close());

  /** The answer for Alice's id must equal the answer for a missing id once the ids are swapped. */
  function expectSameAsMissing(theirs: LightMyRequestResponse, missing: LightMyRequestResponse) {
    expect(theirs.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    // The ids differ in value, never in wording: compare with every number blanked out.
    const normalize = (r: LightMyRequestResponse) => r.body.replace(/\d+/g, 'N');
    expect(normalize(theirs)).toBe(normalize(missing));
    expect(theirs.headers['content-type']).toBe(missing.headers['content-type']);
    expect(theirs.body).not.toContain('Alice');
  }

  const setRoutes: Array<[Method, (id: number) => string, unknown?]> = [
    ['GET', (id) => `/api/credential-sets/${id}`],
    ['PATCH', (id) => `/api/credential-sets/${id}`, { name: 'Hijacked' }],
    ['PATCH', (id) => `/api/credential-sets/${id}`, { tags: ['pwned'] }],
    ['DELETE', (id) => `/api/credential-sets/${id}`],
    ['POST', (id) => `/api/credential-sets/${id}/clone`, { name: 'Stolen copy' }],
    ['GET', (id) => `/api/credential-sets/${id}/entries`],
    ['POST', (id) => `/api/credential-sets/${id}/entries`, entryBody({ username: 'intruder' })],
  ];

  it.each(setRoutes)("answers %s on another account's set exactly like a missing set", async (method, url, body) => {
    const theirs = await asBob(method, url(aliceSet.id), body);
    const missing = await asBob(method, url(missingSetId), body);
    expectSameAsMissing(theirs, missing);
  });

  const entryRoutes: Array<[Method, unknown?]> = [['GET'], ['PATCH', { auth_password: 'rotated-by-bob' }], ['DELETE']];

  it.each(entryRoutes)("answers %s on another account's entry exactly like a missing entry", async (method, body) => {
    // Through Alice's set id…
    const theirs = await asBob(method, `/api/credential-sets/${aliceSet.id}/entries/${aliceEntry.id}`, body);
    const missing = await asBob(method, `/api/credential-sets/${missingSetId}/entries/${missingEntryId}`, body);
    expectSameAsMissing(theirs, missing);
    // …and through Bob's own set id.
    const viaOwn = await asBob(method, `/api/credential-sets/${bobSet.id}/entries/${aliceEntry.id}`, body);
    const missingViaOwn = await asBob(method, `/api/credential-sets/${bobSet.id}/entries/${missingEntryId}`, body);
    expect(viaOwn.statusCode).toBe(404);
    expect(viaOwn.body.replace(/\d+/g, 'N')).toBe(missingViaOwn.body.replace(/\d+/g, 'N'));
  });

  it("left Alice's set, entry and secrets exactly as they were", async () => {
    const set = json(await asAlice('GET', `/api/credential-sets/${aliceSet.id}`));
    expect(set).toMatchObject({ name: 'Alice secret set', tags: ['alice-only'], entry_count: 1 });
    const entries = json(await asAlice('GET', `/api/credential-sets/${aliceSet.id}/entries`));
    expect(entries.items).toEqual([aliceEntry]);
    const stored = await storedEntry(t, aliceEntry.id);
    expect(t.ctx.cipher.decrypt(stored.password_enc, alice.accountId)).toBe(entryBody().auth_password);
    const names = await t.ctx.db.kysely
      .selectFrom('credential_sets')
      .select('name')
      .where('account_id', '=', alice.accountId)
      .execute();
    expect(names.map((n) => n.name)).toEqual(['Alice secret set']);
    expect(
      await t.ctx.db.kysely
        .selectFrom('credential_entries')
        .select('username')
        .where('username', '=', 'intruder')
        .execute(),
    ).toEqual([]);
  });

  it("lists, searches and filters only the caller's own sets and tags", async () => {
    const list = json(await asBob('GET', '/api/credential-sets'));
    expect(list.items.map((s: any) => s.name)).toEqual(['Bob set']);
    expect(list.total).toBe(1);
    for (const q of ['Alice', 'alice-only', 'alice-ext', 'alice.example']) {
      const found = json(await asBob('GET', `/api/credential-sets?q=${q}`));
      expect(found.total, q).toBe(0);
    }
    expect(json(await asBob('GET', '/api/credential-sets?tag=alice-only')).total).toBe(0);
    const tags = json(await asBob('GET', '/api/credential-set-tags'));
    expect(tags.items).toEqual([{ tag: 'bob', set_count: 1 }]);
  });

  it("counts only the caller's own sets against the plan limit", async () => {
    // Alice has 1 of 5; Bob's sets do not use up her plan.
    for (let i = 0; i < 3; i++) await createSet(asBob, { name: `Bob extra ${i}` });
    for (let i = 0; i < 4; i++) await createSet(asAlice, { name: `Alice extra ${i}` });
    const refused = await asAlice('POST', '/api/credential-sets', { name: 'one too many' });
    expect(refused.statusCode).toBe(422);
    expect(json(refused)).toMatchObject({ max_sets: 5, set_count: 5 });
  });

  it("writes audit events only into the acting account, and none for Bob's refused attempts on Alice's data", async () => {
    const bobSetIds = (
      await t.ctx.db.kysely.selectFrom('credential_sets').select('id').where('account_id', '=', bob.accountId).execute()
    ).map((r) => r.id);
    const bobEvents = await auditEvents(t, bob.accountId);
    expect(bobEvents.length).toBeGreaterThan(0);
    for (const e of bobEvents) {
      expect(bobSetIds).toContain(e.details.set_id);
      expect(e.actor).toBe(bob.email);
    }
    const aliceEvents = await auditEvents(t, alice.accountId);
    expect(aliceEvents.every((e) => e.actor === alice.email)).toBe(true);
  });
});
