import type { Kysely } from 'kysely';
import type { SecretCipher } from '../crypto/secret-cipher.ts';
import type { Db } from '../db/connect.ts';
import type { Database } from '../db/schema.ts';
import { insertAuditEvent } from '../db/audit.repository.ts';
import {
  copyEntries,
  countEntries,
  countSets,
  deleteEntry as deleteEntryRow,
  deleteSet as deleteSetRow,
  findEntry,
  findSet,
  insertEntries,
  insertSet,
  isForeignKeyViolation,
  listEntries as listEntryRows,
  listSets,
  listTags,
  lockAccountPlan,
  renameSet,
  replaceTags,
  testsUsingSet,
  touchSet,
  updateEntry as updateEntryRow,
  type CredentialEntryRecord,
  type CredentialSetRecord,
  type EntryChange,
  type SealedEntry,
  type TagCount,
  type TestUsingSet,
} from '../db/credential-sets.repository.ts';
import { nowIso } from '../db/time.ts';
import { findControlCharacter, validateEntryFields, type EntryFieldsInput } from '../domain/entry-validation.ts';
import { AppError } from './errors.ts';

// SIP Credentials: credential sets and their entries, one at a time. Field rules are the import's
// (validateEntryFields); the plan limit and account isolation are the same as well. Secrets are
// encrypted here on the way in and never come back out of these use-cases.

export type { CredentialEntryRecord, CredentialSetRecord, TagCount, TestUsingSet };

export interface CredentialSetDeps {
  readonly db: Db;
  readonly cipher: SecretCipher;
}

/** Who is acting: every use-case is scoped to this account. */
export interface Actor {
  accountId: number;
  userId: number | null;
  email: string;
}

export interface PageRequest {
  page: number;
  pageSize: number;
}

export interface PageOf<T> {
  page: number;
  pageSize: number;
  total: number;
  items: T[];
}

export const MAX_SET_NAME_LENGTH = 200;
export const MAX_TAG_LENGTH = 50;
export const MAX_TAGS_PER_SET = 20;
/** Entries a set can be created with in one request; more go through CSV import. */
export const MAX_ENTRIES_PER_CREATE = 1000;

// ---------------------------------------------------------------------------------------------
// Names and tags

/** Trims a set name and checks it, or fails with a sentence naming what to fix. */
export function normalizeSetName(raw: string, field = 'name'): string {
  const name = raw.trim();
  if (name === '') throw unprocessable('Invalid name', `Give the credential set a ${field}; it is empty.`, field);
  if (findControlCharacter(name) >= 0) {
    throw unprocessable(
      'Invalid name',
      `The ${field} contains a tab, line break or other control character; remove it.`,
      field,
    );
  }
  if ([...name].length > MAX_SET_NAME_LENGTH) {
    throw unprocessable(
      'Invalid name',
      `The ${field} is longer than ${MAX_SET_NAME_LENGTH} characters; shorten it.`,
      field,
    );
  }
  return name;
}

/**
 * Tags are free-form: each trimmed, blanks dropped, spelling kept as given, duplicates (ignoring
 * case) dropped after their first spelling.
 */
export function normalizeTags(raw: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const value of raw) {
    const tag = value.trim();
    if (tag === '') continue;
    if (findControlCharacter(tag) >= 0) {
      throw unprocessable(
        'Invalid tag',
        `The tag ${JSON.stringify(tag.slice(0, 60))} contains a tab, line break or other control character; remove it.`,
        'tags',
      );
    }
    if ([...tag].length > MAX_TAG_LENGTH) {
      throw unprocessable(
        'Invalid tag',
        `The tag ${JSON.stringify(`${tag.slice(0, 60)}…`)} is longer than ${MAX_TAG_LENGTH} characters; shorten it.`,
        'tags',
      );
    }
    const key = tag.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(tag);
  }
  if (out.length > MAX_TAGS_PER_SET) {
    throw unprocessable(
      'Too many tags',
      `A credential set can have at most ${MAX_TAGS_PER_SET} tags; this request gives ${out.length}. Remove some.`,
      'tags',
    );
  }
  return out;
}

function unprocessable(title: string, detail: string, field: string): AppError {
  return new AppError('unprocessable', title, detail, { field });
}

// ---------------------------------------------------------------------------------------------
// Errors that must read the same for "missing" and "another account's"

export function setNotFound(setId: number | string): AppError {
  return new AppError(
    'not_found',
    'Credential set not found',
    `There is no credential set ${setId} in your account; check the id or reload the list.`,
  );
}

export function entryNotFound(setId: number, entryId: number | string): AppError {
  return new AppError(
    'not_found',
    'Entry not found',
    `There is no entry ${entryId} in credential set ${setId} of your account; check the ids or reload the list.`,
  );
}

// ---------------------------------------------------------------------------------------------
// Entries: validation shared with the import

/** Capitalises an import row message into a sentence for a problem's detail. */
function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function entryInvalid(column: string, message: string, where?: string): AppError {
  const detail = where ? `${where}: ${message}` : message;
  return new AppError('unprocessable', 'Invalid entry', sentence(detail), { field: column });
}

/** Validates a new entry with the import's rules (a password is required) and seals its secrets. */
function sealNewEntry(cipher: SecretCipher, accountId: number, input: EntryFieldsInput, where?: string): SealedEntry {
  const checked = validateEntryFields(input);
  if (checked.kind === 'invalid') throw entryInvalid(checked.column, checked.message, where);
  const f = checked.fields;
  return {
    username: f.username,
    domain: f.domain,
    displayName: f.displayName,
    authUsername: f.authUsername,
    passwordSealed: cipher.encrypt(f.password, accountId),
    totpSealed: f.totpSecret === null ? null : cipher.encrypt(f.totpSecret, accountId),
  };
}

// ---------------------------------------------------------------------------------------------
// Sets

function pageOf<T>(req: PageRequest, result: { total: number; items: T[] }): PageOf<T> {
  return { page: req.page, pageSize: req.pageSize, total: result.total, items: result.items };
}

export async function listCredentialSets(
  deps: CredentialSetDeps,
  actor: Actor,
  query: PageRequest & { q?: string; tags?: string[] },
): Promise<PageOf<CredentialSetRecord>> {
  const q = query.q?.trim() || undefined;
  const tags = (query.tags ?? []).map((t) => t.trim()).filter((t) => t !== '');
  const result = await listSets(deps.db.kysely, actor.accountId, {
    q,
    tags,
    limit: query.pageSize,
    offset: (query.page - 1) * query.pageSize,
  });
  return pageOf(query, result);
}

export async function listCredentialSetTags(deps: CredentialSetDeps, actor: Actor): Promise<TagCount[]> {
  return listTags(deps.db.kysely, actor.accountId);
}

export async function getCredentialSet(
  deps: CredentialSetDeps,
  actor: Actor,
  setId: number,
): Promise<CredentialSetRecord> {
  const set = await findSet(deps.db.kysely, actor.accountId, setId);
  if (!set) throw setNotFound(setId);
  return set;
}

/** Checks, inside the creating transaction, that `adding` more sets fit the account's plan. */
async function assertPlanAllows(trx: Kysely<Database>, accountId: number, adding: number): Promise<void> {
  const maxSets = await lockAccountPlan(trx, accountId);
  const current = await countSets(trx, accountId);
  if (current + adding > maxSets) {
    throw new AppError(
      'unprocessable',
      'Plan limit reached',
      `Your plan allows ${maxSets} credential ${maxSets === 1 ? 'set' : 'sets'} and the account has ${current}; delete sets you no longer use, or ask for a higher limit.`,
      { max_sets: maxSets, set_count: current },
    );
  }
}

function audit(trx: Kysely<Database>, actor: Actor, action: string, subject: string, details: Record<string, unknown>) {
  return insertAuditEvent(trx, {
    accountId: actor.accountId,
    userId: actor.userId,
    actor: actor.email,
    action,
    subject,
    details,
  });
}

const setSubject = (id: number) => `credential_set:${id}`;
const entrySubject = (id: number) => `credential_entry:${id}`;

export interface NewCredentialSet {
  name: string;
  tags?: string[];
  /** Entries to create with the set (the "Create Credentials" form sends one). */
  entries?: EntryFieldsInput[];
}

/** Creates a set, its tags and any entries in one transaction; counts against the plan limit. */
export async function createCredentialSet(
  deps: CredentialSetDeps,
  actor: Actor,
  input: NewCredentialSet,
): Promise<CredentialSetRecord> {
  const name = normalizeSetName(input.name);
  const tags = normalizeTags(input.tags ?? []);
  const rawEntries = input.entries ?? [];
  if (rawEntries.length > MAX_ENTRIES_PER_CREATE) {
    throw new AppError(
      'unprocessable',
      'Too many entries',
      `Create a set with at most ${MAX_ENTRIES_PER_CREATE} entries at once; import larger sets as CSV under Account → Credential Passwords.`,
      { field: 'entries' },
    );
  }
  const sealed = rawEntries.map((e, i) =>
    sealNewEntry(deps.cipher, actor.accountId, e, rawEntries.length === 1 ? undefined : `entries[${i}]`),
  );
  const setId = await deps.db.kysely.transaction().execute(async (trx) => {
    await assertPlanAllows(trx, actor.accountId, 1);
    const now = nowIso();
    const id = await insertSet(trx, actor.accountId, name, tags, now);
    const entryIds = await insertEntries(trx, actor.accountId, id, sealed, now);
    await audit(trx, actor, 'set.created', setSubject(id), {
      set_id: id,
      name,
      tags,
      entry_count: entryIds.length,
    });
    return id;
  });
  return getCredentialSet(deps, actor, setId);
}

export interface CredentialSetChange {
  name?: string;
  tags?: string[];
}

export async function updateCredentialSet(
  deps: CredentialSetDeps,
  actor: Actor,
  setId: number,
  change: CredentialSetChange,
): Promise<CredentialSetRecord> {
  const name = change.name === undefined ? undefined : normalizeSetName(change.name);
  const tags = change.tags === undefined ? undefined : normalizeTags(change.tags);
  await deps.db.kysely.transaction().execute(async (trx) => {
    const before = await findSet(trx, actor.accountId, setId);
    if (!before) throw setNotFound(setId);
    const now = nowIso();
    if (name !== undefined && name !== before.name) {
      await renameSet(trx, actor.accountId, setId, name, now);
      await audit(trx, actor, 'set.renamed', setSubject(setId), { set_id: setId, from: before.name, to: name });
    }
    if (tags !== undefined) {
      const had = new Set(before.tags);
      const has = new Set(tags);
      const added = tags.filter((t) => !had.has(t));
      const removed = before.tags.filter((t) => !has.has(t));
      if (added.length > 0 || removed.length > 0) {
        await replaceTags(trx, actor.accountId, setId, tags, now);
        await audit(trx, actor, 'set.tags_changed', setSubject(setId), { set_id: setId, added, removed, tags });
      }
    }
  });
  return getCredentialSet(deps, actor, setId);
}

/**
 * Copies a set with its tags and entries under a new name. Secrets are decrypted and encrypted
 * again (fresh nonces), so the copy shares no ciphertext with the original. Counts against the plan.
 */
export async function cloneCredentialSet(
  deps: CredentialSetDeps,
  actor: Actor,
  setId: number,
  newName?: string,
): Promise<CredentialSetRecord> {
  const given = newName === undefined ? undefined : normalizeSetName(newName);
  const { accountId } = actor;
  const cloneId = await deps.db.kysely.transaction().execute(async (trx) => {
    const source = await findSet(trx, accountId, setId);
    if (!source) throw setNotFound(setId);
    await assertPlanAllows(trx, accountId, 1);
    const name = given ?? defaultCloneName(source.name);
    const now = nowIso();
    const id = await insertSet(trx, accountId, name, source.tags, now);
    const reseal = (sealed: string) => deps.cipher.encrypt(deps.cipher.decrypt(sealed, accountId), accountId);
    const copied = await copyEntries(trx, accountId, setId, id, reseal, now);
    await audit(trx, actor, 'set.cloned', setSubject(id), {
      set_id: id,
      source_set_id: setId,
      name,
      tags: source.tags,
      entry_count: copied,
    });
    return id;
  });
  return getCredentialSet(deps, actor, cloneId);
}

function defaultCloneName(name: string): string {
  const candidate = `${name} (copy)`;
  return [...candidate].length <= MAX_SET_NAME_LENGTH
    ? candidate
    : `${[...name].slice(0, MAX_SET_NAME_LENGTH - 7).join('')} (copy)`;
}

function inUseError(setName: string, tests: TestUsingSet[]): AppError {
  const named = tests.map((t) => `"${t.testName}" in project "${t.projectName}"`);
  const list = named.length <= 3 ? named.join(', ') : `${named.slice(0, 3).join(', ')} and ${named.length - 3} more`;
  const which = tests.length === 1 ? 'test' : 'tests';
  return new AppError(
    'conflict',
    'Credential set in use',
    `The credential set "${setName}" is used by the ${which} ${list}; choose another credential set for ${tests.length === 1 ? 'that test' : 'those tests'} under Projects, then delete it.`,
    {
      tests: tests.map((t) => ({
        test_id: t.testId,
        test_name: t.testName,
        project_id: t.projectId,
        project_name: t.projectName,
      })),
    },
  );
}

/**
 * Deletes a set with all its entries and says how many went. A set a test configuration uses is
 * refused (409, naming the tests); the database's foreign key refuses it too, should a test take
 * the set between the check and the delete.
 */
export async function deleteCredentialSet(
  deps: CredentialSetDeps,
  actor: Actor,
  setId: number,
): Promise<{ deletedEntries: number }> {
  const { accountId } = actor;
  try {
    return await deps.db.kysely.transaction().execute(async (trx) => {
      const set = await findSet(trx, accountId, setId);
      if (!set) throw setNotFound(setId);
      const tests = await testsUsingSet(trx, accountId, setId);
      if (tests.length > 0) throw inUseError(set.name, tests);
      const deletedEntries = await countEntries(trx, accountId, setId);
      await deleteSetRow(trx, accountId, setId);
      await audit(trx, actor, 'set.deleted', setSubject(setId), {
        set_id: setId,
        name: set.name,
        tags: set.tags,
        entry_count: deletedEntries,
      });
      return { deletedEntries };
    });
  } catch (error) {
    if (!isForeignKeyViolation(error)) throw error;
    const set = await findSet(deps.db.kysely, accountId, setId);
    const tests = await testsUsingSet(deps.db.kysely, accountId, setId);
    if (!set) throw setNotFound(setId);
    throw inUseError(set.name, tests);
  }
}

// ---------------------------------------------------------------------------------------------
// Entries

async function requireSet(db: Kysely<Database>, accountId: number, setId: number): Promise<CredentialSetRecord> {
  const set = await findSet(db, accountId, setId);
  if (!set) throw setNotFound(setId);
  return set;
}

export async function listCredentialEntries(
  deps: CredentialSetDeps,
  actor: Actor,
  setId: number,
  query: PageRequest & { q?: string },
): Promise<PageOf<CredentialEntryRecord>> {
  await requireSet(deps.db.kysely, actor.accountId, setId);
  const result = await listEntryRows(deps.db.kysely, actor.accountId, setId, {
    q: query.q?.trim() || undefined,
    limit: query.pageSize,
    offset: (query.page - 1) * query.pageSize,
  });
  return pageOf(query, result);
}

export async function getCredentialEntry(
  deps: CredentialSetDeps,
  actor: Actor,
  setId: number,
  entryId: number,
): Promise<CredentialEntryRecord> {
  await requireSet(deps.db.kysely, actor.accountId, setId);
  const entry = await findEntry(deps.db.kysely, actor.accountId, setId, entryId);
  if (!entry) throw entryNotFound(setId, entryId);
  return entry;
}

export async function createCredentialEntry(
  deps: CredentialSetDeps,
  actor: Actor,
  setId: number,
  input: EntryFieldsInput,
): Promise<CredentialEntryRecord> {
  const { accountId } = actor;
  // Validate after the set check, so an unknown set is a 404 whatever the body.
  await requireSet(deps.db.kysely, accountId, setId);
  const sealed = sealNewEntry(deps.cipher, accountId, input);
  const entryId = await deps.db.kysely.transaction().execute(async (trx) => {
    const set = await requireSet(trx, accountId, setId);
    const now = nowIso();
    const [id] = await insertEntries(trx, accountId, setId, [sealed], now);
    await touchSet(trx, accountId, setId, now);
    await audit(trx, actor, 'entry.created', entrySubject(id!), {
      set_id: setId,
      set_name: set.name,
      entry_id: id,
      has_totp: sealed.totpSealed !== null,
    });
    return id!;
  });
  return getCredentialEntry(deps, actor, setId, entryId);
}

/** What PATCH may change; absent fields stay as they are. */
export interface CredentialEntryChange {
  username?: string;
  domain?: string;
  display_name?: string;
  auth_username?: string;
  /** A new password; it cannot be cleared. */
  auth_password?: string;
  /** A new TOTP secret; null or "" removes it. */
  totp_secret?: string | null;
}

/**
 * Changes an entry. The result merged with what is stored must pass the import's validation; the
 * audit event names the changed columns, never their values.
 */
export async function updateCredentialEntry(
  deps: CredentialSetDeps,
  actor: Actor,
  setId: number,
  entryId: number,
  change: CredentialEntryChange,
): Promise<CredentialEntryRecord> {
  const { accountId } = actor;
  await deps.db.kysely.transaction().execute(async (trx) => {
    const set = await requireSet(trx, accountId, setId);
    const before = await findEntry(trx, accountId, setId, entryId);
    if (!before) throw entryNotFound(setId, entryId);
    const checked = validateEntryFields(
      {
        username: change.username ?? before.username,
        domain: change.domain ?? before.domain,
        display_name: change.display_name ?? before.displayName,
        auth_username: change.auth_username ?? before.authUsername,
        auth_password: change.auth_password,
        totp_secret: change.totp_secret,
      },
      // A password given must be a real one; an absent one keeps the stored password.
      { passwordRequired: change.auth_password !== undefined },
    );
    if (checked.kind === 'invalid') throw entryInvalid(checked.column, checked.message);
    const f = checked.fields;

    const update: EntryChange = {};
    const changed: string[] = [];
    const plain = [
      ['username', 'username', f.username, before.username],
      ['domain', 'domain', f.domain, before.domain],
      ['display_name', 'displayName', f.displayName, before.displayName],
      ['auth_username', 'authUsername', f.authUsername, before.authUsername],
    ] as const;
    for (const [column, key, after, was] of plain) {
      if (after === was) continue;
      update[key] = after;
      changed.push(column);
    }
    if (f.password !== null) {
      update.passwordSealed = deps.cipher.encrypt(f.password, accountId);
      changed.push('auth_password');
    }
    let totp: 'set' | 'removed' | undefined;
    if (change.totp_secret !== undefined) {
      if (f.totpSecret !== null) {
        update.totpSealed = deps.cipher.encrypt(f.totpSecret, accountId);
        totp = 'set';
        changed.push('totp_secret');
      } else if (before.hasTotp) {
        update.totpSealed = null;
        totp = 'removed';
        changed.push('totp_secret');
      }
    }
    if (changed.length === 0) return;
    const now = nowIso();
    await updateEntryRow(trx, accountId, setId, entryId, update, now);
    await touchSet(trx, accountId, setId, now);
    await audit(trx, actor, 'entry.updated', entrySubject(entryId), {
      set_id: setId,
      set_name: set.name,
      entry_id: entryId,
      changed,
      ...(totp && { totp }),
    });
  });
  return getCredentialEntry(deps, actor, setId, entryId);
}

export async function deleteCredentialEntry(
  deps: CredentialSetDeps,
  actor: Actor,
  setId: number,
  entryId: number,
): Promise<void> {
  const { accountId } = actor;
  await deps.db.kysely.transaction().execute(async (trx) => {
    const set = await requireSet(trx, accountId, setId);
    if (!(await deleteEntryRow(trx, accountId, setId, entryId))) throw entryNotFound(setId, entryId);
    await touchSet(trx, accountId, setId, nowIso());
    await audit(trx, actor, 'entry.deleted', entrySubject(entryId), {
      set_id: setId,
      set_name: set.name,
      entry_id: entryId,
    });
  });
}
