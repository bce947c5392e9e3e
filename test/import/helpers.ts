import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { bearer, type SeededUser, type TestApp } from '../support/app.ts';

// Helpers shared by the import and export tests: build CSV files, import them through the API.

export const HEADER =
  'multi_credential_pool_id,entry_id,username,domain,display_name,auth_username,auth_password,totp_secret';

export interface CsvRowInput {
  pool?: string | number;
  entry?: string | number;
  username: string;
  domain?: string;
  display?: string;
  auth?: string;
  password: string;
  totp?: string;
}

function cell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function csvRow(r: CsvRowInput): string {
  return [
    String(r.pool ?? ''),
    String(r.entry ?? ''),
    r.username,
    r.domain ?? 'sip.example.com',
    r.display ?? `Ext ${r.username}`,
    r.auth ?? r.username,
    r.password,
    r.totp ?? '',
  ]
    .map(cell)
    .join(',');
}

export function csvFile(rows: CsvRowInput[], eol = '\r\n'): string {
  return [HEADER, ...rows.map(csvRow)].join(eol) + eol;
}

export interface JobJson {
  id: string;
  status: string;
  error: string | null;
  dry_run: boolean;
  delimiter: string;
  total_rows: number;
  processed_rows: number;
  counts: { updated: number; created: number; failed: number };
  rows: {
    row: number;
    action: string;
    multi_credential_pool_id: number | null;
    entry_id: number | null;
    username: string;
    message: string;
    warnings: string[];
  }[];
}

export async function postImport(
  t: TestApp,
  user: SeededUser,
  csv: string | Buffer,
  opts: { query?: string; headers?: Record<string, string> } = {},
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: `/api/credential-passwords/imports${opts.query ?? '?wait=true'}`,
    headers: { ...bearer(user), 'content-type': 'text/csv', ...opts.headers },
    payload: csv,
  });
}

/** Imports with ?wait=true and expects the job to have succeeded. */
export async function importCsv(t: TestApp, user: SeededUser, csv: string, query = '?wait=true'): Promise<JobJson> {
  const res = await postImport(t, user, csv, { query });
  expect(res.statusCode, res.body).toBe(200);
  const job = res.json() as JobJson;
  expect(job.status).toBe('succeeded');
  return job;
}

export async function exportAll(t: TestApp, user: SeededUser): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'GET', url: '/api/credential-passwords/export.csv', headers: bearer(user) });
}

/** Every entry of the account as the database holds it (ciphertext included): for "nothing changed" checks. */
export async function snapshotAccount(t: TestApp, accountId: number): Promise<unknown> {
  const k = t.ctx.db.kysely;
  const sets = await k
    .selectFrom('credential_sets')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
  const entries = await k
    .selectFrom('credential_entries')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
  return { sets, entries };
}

export async function auditOf(t: TestApp, accountId: number) {
  return t.ctx.db.kysely
    .selectFrom('audit_events')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
}
