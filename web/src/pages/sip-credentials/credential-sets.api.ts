import type { QueryClient } from '@tanstack/react-query';
import { apiJson } from '../../api/http-client.ts';

// Shapes of /api/credential-sets (docs/api-credential-sets.md). None carries a password or a TOTP
// secret: the browser can send a new one, never read one back.

export interface Page<T> {
  page: number;
  page_size: number;
  total: number;
  items: T[];
}

export interface CredentialSet {
  id: number;
  name: string;
  tags: string[];
  entry_count: number;
  created_at: string;
  updated_at: string;
}

export interface CredentialEntry {
  id: number;
  multi_credential_pool_id: number;
  username: string;
  domain: string;
  display_name: string;
  auth_username: string;
  has_totp: boolean;
  created_at: string;
  updated_at: string;
}

export interface TagCount {
  tag: string;
  set_count: number;
}

/** What a new entry is made of; the password is required, the TOTP secret optional. */
export interface NewEntry {
  username: string;
  domain: string;
  display_name: string;
  auth_username: string;
  auth_password: string;
  totp_secret?: string | null;
}

/** A change to an entry: absent fields stay; totp_secret null removes the TOTP secret. */
export type EntryChange = Partial<Omit<NewEntry, 'totp_secret'>> & { totp_secret?: string | null };

export interface SetListParams {
  page: number;
  q: string;
  tag: string | null;
}

export const SET_PAGE_SIZE = 20;
export const ENTRY_PAGE_SIZE = 25;

const base = '/api/credential-sets';

// Everything under this key is refetched after a change to sets or entries.
export const credentialSetsKeys = {
  all: ['credential-sets'] as const,
  list: (params: SetListParams) => ['credential-sets', 'list', params] as const,
  detail: (id: number) => ['credential-sets', 'detail', id] as const,
  entries: (id: number, page: number, q: string) => ['credential-sets', 'entries', id, page, q] as const,
  tags: ['credential-sets', 'tags'] as const,
};

/** After any change: this page's lists, and the Credential Passwords page, which shows the same sets. */
export function invalidateCredentialData(queryClient: QueryClient): Promise<unknown> {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: credentialSetsKeys.all }),
    queryClient.invalidateQueries({ queryKey: ['credential-passwords'] }),
  ]);
}

export function fetchSets(params: SetListParams) {
  const search = new URLSearchParams({ page: String(params.page), page_size: String(SET_PAGE_SIZE) });
  if (params.q.trim()) search.set('q', params.q.trim());
  if (params.tag) search.set('tag', params.tag);
  return apiJson<Page<CredentialSet>>(`${base}?${search.toString()}`);
}

export function fetchTags() {
  return apiJson<{ items: TagCount[] }>('/api/credential-set-tags');
}

export function fetchSet(id: number) {
  return apiJson<CredentialSet>(`${base}/${id}`);
}

export function createSet(body: { name: string; tags: string[]; entries?: NewEntry[] }) {
  return apiJson<CredentialSet>(base, { method: 'POST', json: body });
}

export function updateSet(id: number, change: { name?: string; tags?: string[] }) {
  return apiJson<CredentialSet>(`${base}/${id}`, { method: 'PATCH', json: change });
}

export function cloneSet(id: number, name: string) {
  return apiJson<CredentialSet>(`${base}/${id}/clone`, { method: 'POST', json: { name } });
}

export function deleteSet(id: number) {
  return apiJson<{ id: number; deleted_entries: number }>(`${base}/${id}`, { method: 'DELETE' });
}

export function fetchEntries(setId: number, page: number, q: string) {
  const search = new URLSearchParams({ page: String(page), page_size: String(ENTRY_PAGE_SIZE) });
  if (q.trim()) search.set('q', q.trim());
  return apiJson<Page<CredentialEntry>>(`${base}/${setId}/entries?${search.toString()}`);
}

export function createEntry(setId: number, entry: NewEntry) {
  return apiJson<CredentialEntry>(`${base}/${setId}/entries`, { method: 'POST', json: entry });
}

export function updateEntry(setId: number, entryId: number, change: EntryChange) {
  return apiJson<CredentialEntry>(`${base}/${setId}/entries/${entryId}`, { method: 'PATCH', json: change });
}

export function deleteEntry(setId: number, entryId: number) {
  return apiJson<null>(`${base}/${setId}/entries/${entryId}`, { method: 'DELETE' });
}

export function pageCount(page: Page<unknown> | undefined): number {
  return page ? Math.max(1, Math.ceil(page.total / page.page_size)) : 1;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateFormat.format(d);
}
