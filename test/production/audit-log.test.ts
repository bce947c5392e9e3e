import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAuditEvent } from '../../src/app/audit-log.ts';
import { insertAuditEvent } from '../../src/db/audit.repository.ts';
import { bearer, createTestApp, json, loginCookie, seedUser, type SeededUser, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/databases.ts';

const SECRET_PASSWORD = 'Audit-Secret-Pa55word!';
const SECRET_TOTP = 'JBSWY3DPEHPK3PXPAUDITSECRET';

describe.each(DIALECTS)('audit log API on %s', (dialect) => {
  let t: TestApp;
  let ops: SeededUser;
  let other: SeededUser;
  let stranger: SeededUser;

  async function event(user: SeededUser, action: string, details: Record<string, unknown>, createdAt?: string) {
    await insertAuditEvent(t.ctx.db.kysely, {
      accountId: user.accountId,
      userId: user.userId,
      actor: user.email,
      action,
      subject: 'credential_passwords',
      details,
    });
    if (createdAt) {
      const last = await t.ctx.db.kysely
        .selectFrom('audit_events')
        .select('id')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();
      await t.ctx.db.kysely
        .updateTable('audit_events')
        .set({ created_at: createdAt })
        .where('id', '=', last.id)
        .execute();
    }
  }

  beforeAll(async () => {
    t = await createTestApp(dialect);
    ops = await seedUser(t, { name: 'Ops' });
    // A second user of the same account: the log shows both, the actor filter tells them apart.
    const { createUser, createApiToken } = await import('../../src/app/auth.ts');
    const email = `second-${ops.email}`;
    const userId = await createUser(t.ctx.db, ops.accountId, email, 'second-password-123');
    other = {
      ...ops,
      userId,
      email,
      password: 'second-password-123',
      token: (await createApiToken(t.ctx.db, email, 't')).token,
    };
    stranger = await seedUser(t, { name: 'Other account' });

    // 30 imports by ops, spread over days, then events of other kinds.
    for (let i = 0; i < 30; i += 1) {
      const day = String(1 + (i % 28)).padStart(2, '0');
      await event(
        ops,
        'import.completed',
        { job_id: `job-${i}`, total_rows: 120, counts: { updated: 100, created: 20, failed: 0 } },
        `2026-11-${day}T10:00:${String(i).padStart(2, '0')}.000Z`,
      );
    }
    await event(other, 'export.all', { entry_count: 1234, reauth: true });
    // A writer's mistake must not reach the page: secrets in details are dropped on the way out.
    await event(other, 'passwords.saved', {
      updated: 3,
      entry_ids: [1, 2, 3],
      auth_password: SECRET_PASSWORD,
      totp_secret: SECRET_TOTP,
      rows: [{ entry_id: 1, password: SECRET_PASSWORD }],
    });
    await event(stranger, 'export.all', { entry_count: 5 });
  });
  afterAll(async () => t?.close());

  it('lists the account’s events newest first, 25 per page, with the total', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/api/audit-events', headers: bearer(ops) });
    expect(first.statusCode).toBe(200);
    const body = json(first);
    expect(body).toMatchObject({ page: 1, page_size: 25, total: 32 });
    expect(body.items).toHaveLength(25);
    const ids = body.items.map((e: { id: number }) => e.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect(body.items[0].action).toBe('passwords.saved');

    const second = json(await t.app.inject({ method: 'GET', url: '/api/audit-events?page=2', headers: bearer(ops) }));
    expect(second.items).toHaveLength(7);
    expect(second.items[0].id).toBeLessThan(ids[ids.length - 1]);
    const beyond = json(await t.app.inject({ method: 'GET', url: '/api/audit-events?page=9', headers: bearer(ops) }));
    expect(beyond).toMatchObject({ page: 9, total: 32, items: [] });
  });

  it('tells each event as a sentence a person can read', async () => {
    const body = json(await t.app.inject({ method: 'GET', url: '/api/audit-events?page=2', headers: bearer(ops) }));
    expect(body.items[0].summary).toBe(`${ops.email} imported 120 rows: 100 updated, 20 created`);
    expect(body.items[0].action_label).toBe('Import');
    const top = json(await t.app.inject({ method: 'GET', url: '/api/audit-events', headers: bearer(ops) }));
    expect(top.items[0].summary).toBe(`${other.email} saved 3 passwords inline`);
    expect(top.items[1].summary).toBe(
      `${other.email} exported all credentials with Export All (1,234 entries), after re-entering their password`,
    );
  });

  it('filters by action, by user and by time', async () => {
    const byAction = json(
      await t.app.inject({ method: 'GET', url: '/api/audit-events?action=export.all', headers: bearer(ops) }),
    );
    expect(byAction.total).toBe(1);
    expect(byAction.items[0].actor).toBe(other.email);

    const byActor = json(
      await t.app.inject({
        method: 'GET',
        url: `/api/audit-events?actor=${encodeURIComponent(other.email.toUpperCase())}`,
        headers: bearer(ops),
      }),
    );
    expect(byActor.total).toBe(2);

    const november10to12 = json(
      await t.app.inject({
        method: 'GET',
        url: '/api/audit-events?action=import.completed&from=2026-11-10&to=2026-11-12',
        headers: bearer(ops),
      }),
    );
    // days 10, 11 and 12 (the whole of "to"): i = 9, 10, 11 — none of the later wrap-around days.
    expect(november10to12.items.map((e: { details: { job_id: string } }) => e.details.job_id).sort()).toEqual([
      'job-10',
      'job-11',
      'job-9',
    ]);

    const byTime = json(
      await t.app.inject({
        method: 'GET',
        url: `/api/audit-events?from=${encodeURIComponent('2026-11-28T10:00:00Z')}&to=${encodeURIComponent('2026-11-28T10:00:28Z')}`,
        headers: bearer(ops),
      }),
    );
    expect(byTime.total).toBe(1);

    const none = json(
      await t.app.inject({ method: 'GET', url: '/api/audit-events?action=nothing.like.it', headers: bearer(ops) }),
    );
    expect(none).toMatchObject({ total: 0, items: [] });
  });

  it('offers the actions and users that occur in the account as filter options', async () => {
    const body = json(await t.app.inject({ method: 'GET', url: '/api/audit-events/filters', headers: bearer(ops) }));
    expect(body.actors).toEqual([ops.email, other.email].sort());
    expect(body.actions).toEqual(
      expect.arrayContaining([
        { value: 'import.completed', label: 'Import' },
        { value: 'export.all', label: 'Export All' },
        { value: 'passwords.saved', label: 'Passwords saved inline' },
      ]),
    );
  });

  it('shows only the caller’s account: another account’s events are invisible', async () => {
    const mine = json(await t.app.inject({ method: 'GET', url: '/api/audit-events', headers: bearer(stranger) }));
    expect(mine.total).toBe(1);
    expect(mine.items[0].summary).toBe(`${stranger.email} exported all credentials with Export All (5 entries)`);
    const filtered = json(
      await t.app.inject({
        method: 'GET',
        url: `/api/audit-events?actor=${encodeURIComponent(ops.email)}`,
        headers: bearer(stranger),
      }),
    );
    expect(filtered.total).toBe(0);
    const facets = json(
      await t.app.inject({ method: 'GET', url: '/api/audit-events/filters', headers: bearer(stranger) }),
    );
    expect(facets.actors).toEqual([stranger.email]);
  });

  it('never returns a secret, even one a writer put into an event by mistake', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/audit-events', headers: bearer(ops) });
    expect(res.body).not.toContain(SECRET_PASSWORD);
    expect(res.body).not.toContain(SECRET_TOTP);
    const saved = json(res).items[0];
    expect(saved.details).toEqual({ updated: 3, entry_ids: [1, 2, 3], rows: [{ entry_id: 1 }] });
  });

  it('answers bad parameters with 400 and a sentence naming the fix', async () => {
    const cases: Array<[string, RegExp]> = [
      ['page=0', /page/],
      ['page=two', /page/],
      ['from=yesterday', /YYYY-MM-DD/],
      ['from=2026-12-02&to=2026-12-01', /before/],
      ['user=someone', /Remove the unknown field/],
    ];
    for (const [query, detail] of cases) {
      const res = await t.app.inject({ method: 'GET', url: `/api/audit-events?${query}`, headers: bearer(ops) });
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(json(res).detail, query).toMatch(detail);
    }
  });

  it('needs authentication, and works with the session cookie of the web UI', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/audit-events' })).statusCode).toBe(401);
    const session = await loginCookie(t, ops);
    const res = await t.app.inject({ method: 'GET', url: '/api/audit-events', headers: { cookie: session.cookie } });
    expect(res.statusCode).toBe(200);
  });

  it('records what SIP Credentials users do, as they do it', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/credential-sets',
      headers: bearer(ops),
      payload: {
        name: 'Lab trunk',
        entries: [
          {
            username: '1001',
            domain: 'sip.example.com',
            display_name: 'Desk',
            auth_username: '1001',
            auth_password: SECRET_PASSWORD,
          },
        ],
      },
    });
    expect(created.statusCode).toBe(201);
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/audit-events?action=set.created',
      headers: bearer(ops),
    });
    expect(json(res).items[0].summary).toBe(`${ops.email} created credential set “Lab trunk” with 1 entry`);
    expect(res.body).not.toContain(SECRET_PASSWORD);
  });
});

describe('audit sentences', () => {
  const who = 'ops@example.com';
  const say = (action: string, details: Record<string, unknown>, subject = '') =>
    describeAuditEvent({ actor: who, action, subject, details });

  it.each([
    [
      'import',
      { total_rows: 120, updated: 100, created: 20, failed: 0 },
      `${who} imported 120 rows: 100 updated, 20 created`,
    ],
    [
      'credential_passwords.imported',
      { total_rows: 3, counts: { updated: 1, created: 1, failed: 1 } },
      `${who} imported 3 rows: 1 updated, 1 created, 1 failed`,
    ],
    [
      'import.failed',
      { total_rows: 20000, error: 'database went away' },
      `${who} tried to import 20,000 rows; the import failed and nothing was applied (database went away)`,
    ],
    [
      'import',
      { total_rows: 4, dry_run: true, updated: 4 },
      `${who} checked a file of 4 rows without applying it: 4 updated`,
    ],
    [
      'credential_passwords.import',
      {
        job_id: 'j',
        dry_run: false,
        status: 'succeeded',
        total_rows: 120,
        counts: { updated: 100, created: 20, failed: 0 },
        file_name: 'rotated.csv',
      },
      `${who} imported 120 rows from rotated.csv: 100 updated, 20 created`,
    ],
    [
      'credential_passwords.import_dry_run',
      { total_rows: 2, dry_run: true, counts: { updated: 1, created: 0, failed: 1 } },
      `${who} checked a file of 2 rows without applying it: 1 updated, 1 failed`,
    ],
    [
      'credential_passwords.import_failed',
      { status: 'rejected', reason: 'bad_header', dry_run: false, file_name: 'x.csv' },
      `${who} tried to import x.csv; it was rejected (not the import header) and nothing was applied`,
    ],
    [
      'credential_passwords.import_failed',
      { job_id: 'j', status: 'failed', dry_run: false, total_rows: 5 },
      `${who} tried to import 5 rows; the import failed and nothing was applied`,
    ],
    [
      'credential_passwords.export_all',
      { scope: 'all', rows: 1234, completed: true, reauth: true },
      `${who} exported all credentials with Export All (1,234 entries), after re-entering their password`,
    ],
    [
      'credential_passwords.export_all',
      { scope: 'all', rows: 10, completed: false },
      `${who} started Export All, but the download stopped after 10 entries`,
    ],
    [
      'credential_passwords.export_set',
      { scope: 'set', set_id: 12, rows: 7, completed: true },
      `${who} exported credential set 12 (7 entries)`,
    ],
    ['credential_passwords.passwords_saved', { updated: 3, entry_ids: [1, 2, 3] }, `${who} saved 3 passwords inline`],
    ['export.set', { set_id: 12, name: 'Lab', entry_count: 7 }, `${who} exported credential set “Lab” (7 entries)`],
    ['export.all', { entry_count: 1 }, `${who} exported all credentials with Export All (1 entry)`],
    ['passwords.saved', { updated: 1 }, `${who} saved 1 password inline`],
    ['set.renamed', { set_id: 3, from: 'Old', to: 'New' }, `${who} renamed credential set “Old” to “New”`],
    [
      'set.cloned',
      { set_id: 4, source_set_id: 3, name: 'Copy', entry_count: 2 },
      `${who} cloned credential set 3 as “Copy” (2 entries)`,
    ],
    [
      'set.deleted',
      { set_id: 3, name: 'Old', entry_count: 5 },
      `${who} deleted credential set “Old” and its 5 entries`,
    ],
    [
      'entry.updated',
      { set_id: 3, entry_id: 9, changed: ['auth_password', 'totp_secret'], totp: 'removed' },
      `${who} changed auth_password, totp_secret of entry 9 in credential set 3 (TOTP removed)`,
    ],
    [
      'registration_run.started',
      { test_id: 2, entries: [1, 2] },
      `${who} started a registration run of 2 entries for test 2`,
    ],
    [
      'session.reauth',
      { purpose: 'a plaintext export' },
      `${who} re-entered their password to confirm a plaintext export`,
    ],
    ['something.new', {}, `${who} something new credential_set:1`],
  ])('%s', (action, details, sentence) => {
    expect(say(action, details, action === 'something.new' ? 'credential_set:1' : '')).toBe(sentence);
  });
});
