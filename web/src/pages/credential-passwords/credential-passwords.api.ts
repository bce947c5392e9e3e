import { apiJson } from '../../api/http-client.ts';

// Shapes of /api/credential-passwords (shared/spec/api.md). None of them carries a password or a
// TOTP secret: those only ever travel in CSV downloads.

export type ImportAction = 'updated' | 'created' | 'failed';
export type ImportJobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface ImportJobRow {
  row: number;
  action: ImportAction;
  multi_credential_pool_id: number | null;
  entry_id: number | null;
  username: string;
  domain?: string;
  message: string;
  warnings: string[];
}

export interface ImportJob {
  id: string;
  status: ImportJobStatus;
  error: string | null;
  dry_run?: boolean;
  delimiter?: string;
  total_rows: number;
  processed_rows: number;
  counts: Record<ImportAction, number>;
  rows: ImportJobRow[];
}

export interface Page<T> {
  page: number;
  page_size: number;
  total: number;
  items: T[];
}

export interface BulkSet {
  multi_credential_pool_id: number;
  name: string;
  entry_count: number;
}

export interface SmallSetEntry {
  multi_credential_pool_id: number;
  set_name: string;
  entry_id: number;
  username: string;
  domain: string;
  display_name: string;
  auth_username: string;
  has_totp: boolean;
}

export const SMALL_SET_FILTER_FIELDS = ['set_name', 'username', 'domain', 'display_name', 'auth_username'] as const;
export type SmallSetFilterField = (typeof SMALL_SET_FILTER_FIELDS)[number];
export type SmallSetFilters = Record<SmallSetFilterField, string>;

/** What the user gives the import: a file (sent as its raw bytes) or pasted text (sent as JSON). */
export type ImportSource = { kind: 'file'; file: File } | { kind: 'paste'; text: string };

/**
 * The content as sent. The browser keeps it (the server keeps no copy of the passwords it was sent)
 * so that "Download failed rows" can give the user's own rows back. A file too big to be a valid
 * import is streamed as it is and not held: the server rejects it anyway.
 */
export type ImportBody =
  { kind: 'file'; name: string; bytes: ArrayBuffer | null; file: File } | { kind: 'paste'; text: string };

const HOLD_LIMIT_BYTES = 64 * 1024 * 1024;

export async function readImportBody(source: ImportSource): Promise<ImportBody> {
  if (source.kind === 'paste') return source;
  const bytes = source.file.size <= HOLD_LIMIT_BYTES ? await source.file.arrayBuffer() : null;
  return { kind: 'file', name: source.file.name, bytes, file: source.file };
}

/** The text of what was sent, or null when the browser did not hold it. */
export function importBodyText(body: ImportBody): string | null {
  if (body.kind === 'paste') return body.text;
  return body.bytes ? new TextDecoder('utf-8').decode(body.bytes) : null;
}

export const IMPORT_ROW_LIMIT = 20_000;

export const importJobsKey = (id: string) => ['credential-passwords', 'import-job', id] as const;
export const bulkSetsKey = (page: number) => ['credential-passwords', 'bulk-sets', page] as const;
export const smallSetEntriesKey = (page: number, filters: SmallSetFilters) =>
  ['credential-passwords', 'small-set-entries', page, filters] as const;

/** Starts an import (or, with dryRun, a check of the file that applies nothing) and returns its job. */
export function startImport(body: ImportBody, options: { dryRun: boolean; idempotencyKey: string }) {
  const path = `/api/credential-passwords/imports${options.dryRun ? '?dry_run=true' : ''}`;
  const headers = { 'Idempotency-Key': options.idempotencyKey };
  if (body.kind === 'file') {
    return apiJson<ImportJob>(path, {
      method: 'POST',
      body: body.bytes ?? body.file,
      contentType: 'text/csv',
      headers,
    });
  }
  return apiJson<ImportJob>(path, { method: 'POST', json: { csv: body.text }, headers });
}

export function fetchImportJob(id: string) {
  return apiJson<ImportJob>(`/api/credential-passwords/imports/${encodeURIComponent(id)}`);
}

export function isFinished(job: ImportJob | undefined): boolean {
  return job?.status === 'succeeded' || job?.status === 'failed';
}

export function fetchBulkSets(page: number) {
  return apiJson<Page<BulkSet>>(`/api/credential-passwords/bulk-sets?page=${page}`);
}

export function fetchSmallSetEntries(page: number, filters: SmallSetFilters) {
  const params = new URLSearchParams({ page: String(page) });
  for (const field of SMALL_SET_FILTER_FIELDS) {
    const value = filters[field].trim();
    if (value) params.set(field, value);
  }
  return apiJson<Page<SmallSetEntry>>(`/api/credential-passwords/small-set-entries?${params.toString()}`);
}

export function savePasswords(updates: { entry_id: number; auth_password: string }[]) {
  return apiJson<{ updated: number }>('/api/credential-passwords/passwords', { method: 'POST', json: { updates } });
}

export const downloadPaths = {
  sample: '/api/credential-passwords/sample.csv',
  exportAll: '/api/credential-passwords/export.csv',
  setExport: (setId: number) => `/api/credential-sets/${setId}/export.csv`,
  importResults: (jobId: string) => `/api/credential-passwords/imports/${encodeURIComponent(jobId)}/results.csv`,
};
