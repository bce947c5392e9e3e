import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { nowIso } from '../../src/db/time.ts';
import { bearer, json, type SeededUser, type TestApp } from '../support/app.ts';

// Small helpers for the SIP Credentials API tests: requests as a user, seeds, and the leak check.

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export function as(t: TestApp, user: SeededUser) {
  return (method: Method, url: string, payload?: unknown): Promise<LightMyRequestResponse> => {
    const opts: InjectOptions = { method, url, headers: bearer(user) };
    if (payload !== undefined) opts.payload = payload as InjectOptions['payload'];
    return t.app.inject(opts);
  };
}

export type Call = ReturnType<typeof as>;

export const PASSWORD = 'S3cret pass,"quoted"';
export const TOTP = 'JBSWY3DPEHPK3PXP';

export function entryBody(over: Record<string, unknown> = {}) {
  return {
    username: '1001',
    domain: 'sip.example.com',
    display_name: 'Front desk',
    auth_username: '1001',
    auth_password: PASSWORD,
    ...over,
  };
}

export async function createSet(call: Call, body: Record<string, unknown>): Promise<any> {
  const res = await call('POST', '/api/credential-sets', body);
  expect(res.statusCode, res.body).toBe(201);
  return json(res);
}

export async function createEntry(call: Call, setId: number, over: Record<string, unknown> = {}): Promise<any> {
  const res = await call('POST', `/api/credential-sets/${setId}/entries`, entryBody(over));
  expect(res.statusCode, res.body).toBe(201);
  return json(res);
}

const SECRET_KEYS = /"(auth_password|password|password_enc|totp_secret|totp_enc|totp)"\s*:/;

/** No response body may carry a secret: neither a value nor a field that could hold one. */
export function expectNoSecrets(res: LightMyRequestResponse, ...secrets: string[]): void {
  for (const s of [PASSWORD, TOTP, ...secrets]) {
    expect(res.body).not.toContain(s);
    expect(res.body).not.toContain(JSON.stringify(s).slice(1, -1));
  }
  expect(res.body).not.toMatch(SECRET_KEYS);
  expect(res.body).not.toMatch(/v1\.[0-9a-f]{8}\./);
}

/** A project with a registration test that uses the set (as the Projects page would make it). */
export async function seedTestUsingSet(
  t: TestApp,
  accountId: number,
  setId: number,
  names: { project: string; test: string },
): Promise<number> {
  const db = t.ctx.db.kysely;
  const now = nowIso();
  const project = await db
    .insertInto('projects')
    .values({ account_id: accountId, name: names.project, description: '', created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  const test = await db
    .insertInto('test_configs')
    .values({
      account_id: accountId,
      project_id: project.id,
      name: names.test,
      kind: 'registration',
      credential_set_id: setId,
      registrar_mode: 'dns',
      proxy: null,
      transport: 'udp',
      entries_to_try: 1,
      timeout_seconds: 5,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return test.id;
}

export async function auditEvents(t: TestApp, accountId: number, action?: string) {
  let q = t.ctx.db.kysely.selectFrom('audit_events').selectAll().where('account_id', '=', accountId);
  if (action) q = q.where('action', '=', action);
  const rows = await q.orderBy('id').execute();
  return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, any> }));
}

export async function storedEntry(t: TestApp, entryId: number) {
  return t.ctx.db.kysely
    .selectFrom('credential_entries')
    .selectAll()
    .where('id', '=', entryId)
    .executeTakeFirstOrThrow();
}
