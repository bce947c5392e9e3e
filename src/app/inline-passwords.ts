import { insertAuditEvent } from '../db/audit.repository.ts';
import type { Db } from '../db/connect.ts';
import {
  findOwnEntryIds,
  listBulkSets,
  listSmallSetEntries,
  updatePasswords,
  type EntryFilter,
  type EntryFilterColumn,
  type SecretCodec,
} from '../db/credential-entries.repository.ts';
import { inTransaction, withReservedConnection } from '../db/import-jobs.repository.ts';
import { nowIso } from '../db/time.ts';
import {
  controlCharacterMessage,
  findControlCharacter,
  MAX_PASSWORD_LENGTH,
  missingValueMessage,
} from '../domain/entry-validation.ts';
import { wildcardToLike } from '../domain/wildcard.ts';
import { AppError } from './errors.ts';

// The Credential Passwords page's lists and its inline editor for small sets.

/** A set with more than this many entries is a bulk set (exported, not edited inline). */
export const SMALL_SET_MAX_ENTRIES = 5;
export const BULK_SETS_PAGE_SIZE = 5;
export const SMALL_SET_ENTRIES_PAGE_SIZE = 10;
/** At most this many passwords per inline save (the page saves one page of 10 at a time). */
export const MAX_INLINE_UPDATES = 1000;

export interface PasswordsDeps {
  readonly db: Db;
  readonly cipher: SecretCodec;
}

export interface PasswordsActor {
  accountId: number;
  userId: number | null;
  actor: string;
}

export interface BulkSetsPage {
  page: number;
  page_size: number;
  total: number;
  items: { multi_credential_pool_id: number; name: string; entry_count: number }[];
}

export async function listBulkSetsPage(db: Db, accountId: number, page: number): Promise<BulkSetsPage> {
  const size = BULK_SETS_PAGE_SIZE;
  const result = await listBulkSets(db.kysely, accountId, SMALL_SET_MAX_ENTRIES, size, (page - 1) * size);
  return {
    page,
    page_size: size,
    total: result.total,
    items: result.items.map((s) => ({ multi_credential_pool_id: s.setId, name: s.name, entry_count: s.entryCount })),
  };
}

export type SmallSetFilters = Partial<Record<EntryFilterColumn, string>>;

export interface SmallSetEntriesPage {
  page: number;
  page_size: number;
  total: number;
  items: {
    multi_credential_pool_id: number;
    set_name: string;
    entry_id: number;
    username: string;
    domain: string;
    display_name: string;
    auth_username: string;
    has_totp: boolean;
  }[];
}

/** Turns the page's filters into comparisons: `*` is a wildcard, no `*` means the exact value. */
export function toEntryFilters(filters: SmallSetFilters): EntryFilter[] {
  const out: EntryFilter[] = [];
  for (const [column, raw] of Object.entries(filters) as [EntryFilterColumn, string | undefined][]) {
    const value = raw?.trim() ?? '';
    if (value === '') continue;
    out.push(value.includes('*') ? { column, like: wildcardToLike(value).pattern } : { column, exact: value });
  }
  return out;
}

export async function listSmallSetEntriesPage(
  db: Db,
  accountId: number,
  page: number,
  filters: SmallSetFilters,
): Promise<SmallSetEntriesPage> {
  const size = SMALL_SET_ENTRIES_PAGE_SIZE;
  const result = await listSmallSetEntries(
    db.kysely,
    accountId,
    SMALL_SET_MAX_ENTRIES,
    toEntryFilters(filters),
    size,
    (page - 1) * size,
  );
  return {
    page,
    page_size: size,
    total: result.total,
    items: result.items.map((e) => ({
      multi_credential_pool_id: e.setId,
      set_name: e.setName,
      entry_id: e.entryId,
      username: e.username,
      domain: e.domain,
      display_name: e.displayName,
      auth_username: e.authUsername,
      has_totp: e.hasTotp,
    })),
  };
}

export interface InlinePasswordUpdate {
  entry_id: number;
  auth_password: string;
}

interface Problem {
  index: number;
  entry_id: number;
  field: 'entry_id' | 'auth_password';
  message: string;
}

function checkPassword(value: string): string | null {
  if (value.trim() === '') return missingValueMessage('auth_password');
  const control = findControlCharacter(value);
  if (control >= 0) return controlCharacterMessage('auth_password', value, control);
  if ([...value].length > MAX_PASSWORD_LENGTH) return `auth_password is longer than ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}

function reject(problems: Problem[]): AppError {
  const shown = problems.slice(0, 5).map((p) => `entry ${p.entry_id}: ${p.message}`);
  const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
  return new AppError(
    'unprocessable',
    'Passwords not saved',
    `No password was saved. Fix these and save again: ${shown.join('; ')}${more}.`,
    { errors: problems.map((p) => ({ index: p.index, entry_id: p.entry_id, field: p.field, message: p.message })) },
  );
}

/**
 * Inline save: sets the new passwords of entries of the account, all or nothing. A blank or
 * unusable password, a repeated entry, or an entry id that is not the account's (missing or
 * another account's, indistinguishably) rejects the whole save with what to fix.
 */
export async function saveInlinePasswords(
  deps: PasswordsDeps,
  who: PasswordsActor,
  updates: readonly InlinePasswordUpdate[],
): Promise<{ updated: number }> {
  if (updates.length === 0) {
    throw new AppError('unprocessable', 'Nothing to save', 'Type a new password for at least one entry, then save.');
  }
  if (updates.length > MAX_INLINE_UPDATES) {
    throw new AppError(
      'unprocessable',
      'Too many passwords',
      `Save at most ${MAX_INLINE_UPDATES} passwords at once; use CSV import for more.`,
    );
  }
  const problems: Problem[] = [];
  const seen = new Map<number, number>();
  updates.forEach((u, index) => {
    const message = checkPassword(u.auth_password);
    if (message !== null) problems.push({ index, entry_id: u.entry_id, field: 'auth_password', message });
    const first = seen.get(u.entry_id);
    if (first !== undefined) {
      problems.push({
        index,
        entry_id: u.entry_id,
        field: 'entry_id',
        message: `entry_id ${u.entry_id} appears twice (updates ${first} and ${index}); send one new password per entry`,
      });
    } else seen.set(u.entry_id, index);
  });

  const ids = [...seen.keys()];
  const now = nowIso();
  return withReservedConnection(deps.db, (conn) =>
    inTransaction(conn, async (tx) => {
      const own = await findOwnEntryIds(tx, who.accountId, ids);
      updates.forEach((u, index) => {
        if (!own.has(u.entry_id) && seen.get(u.entry_id) === index) {
          problems.push({
            index,
            entry_id: u.entry_id,
            field: 'entry_id',
            message: `entry_id ${u.entry_id} was not found in your account`,
          });
        }
      });
      if (problems.length > 0) throw reject(problems.sort((a, b) => a.index - b.index));
      const updated = await updatePasswords(
        tx,
        deps.cipher,
        who.accountId,
        updates.map((u) => ({ entryId: u.entry_id, password: u.auth_password })),
        now,
      );
      await insertAuditEvent(tx, {
        accountId: who.accountId,
        userId: who.userId,
        actor: who.actor,
        action: 'credential_passwords.passwords_saved',
        subject: 'credential_entries',
        details: { updated, entry_ids: ids },
      });
      return { updated };
    }),
  );
}
