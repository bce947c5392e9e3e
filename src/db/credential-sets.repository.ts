import { PostgresAdapter, sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { Database } from './schema.ts';

// Credential sets, their tags and their entries as SIP Credentials manages them one by one.
// Every function takes the account id and scopes every statement by it: another account's id
// finds nothing, exactly like an id that does not exist. Ciphertext goes in as opaque text and
// never comes out, except through the `reseal` callback of copyEntries (clone).

export interface CredentialSetRecord {
  id: number;
  name: string;
  tags: string[];
  entryCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface CredentialEntryRecord {
  id: number;
  setId: number;
  username: string;
  domain: string;
  displayName: string;
  authUsername: string;
  hasTotp: boolean;
  createdAt: string;
  updatedAt: string;
}

/** An entry as it is written: plain fields and the sealed (encrypted) secrets. */
export interface SealedEntry {
  username: string;
  domain: string;
  displayName: string;
  authUsername: string;
  passwordSealed: string;
  totpSealed: string | null;
}

export interface TestUsingSet {
  testId: number;
  testName: string;
  projectId: number;
  projectName: string;
}

export interface TagCount {
  tag: string;
  setCount: number;
}

type Db = Kysely<Database>;

/** `%text%` for LIKE, lower-cased, with LIKE's own characters escaped (used with ESCAPE '\'). */
function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function lowerLike(column: string, pattern: string): Expression<SqlBool> {
  return sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
}

function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

// SQLite gives 0/1 for a CASE expression, PostgreSQL an integer too; both end up a number.
const hasTotpExpr = sql<number>`case when totp_enc is null then 0 else 1 end`;

export async function countSets(db: Db, accountId: number): Promise<number> {
  const row = await db
    .selectFrom('credential_sets')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * The account's plan limit, read so that concurrent creators of sets in the same account wait for
 * each other (a row lock on PostgreSQL; SQLite runs one write transaction at a time anyway).
 * Call inside the transaction that then counts and inserts.
 */
export async function lockAccountPlan(trx: Db, accountId: number): Promise<number> {
  let q = trx.selectFrom('accounts').select('max_sets').where('id', '=', accountId);
  if (isPostgres(trx)) q = q.forUpdate();
  const row = await q.executeTakeFirstOrThrow();
  return row.max_sets;
}

export interface ListSetsQuery {
  /** Case-insensitive substring of the set name, a tag, an entry's username or domain. */
  q?: string;
  /** Tags the set must all have (case-insensitive). */
  tags?: readonly string[];
  limit: number;
  offset: number;
}

export async function listSets(
  db: Db,
  accountId: number,
  query: ListSetsQuery,
): Promise<{ total: number; items: CredentialSetRecord[] }> {
  let base = db.selectFrom('credential_sets as s').where('s.account_id', '=', accountId);
  if (query.q) {
    const p = containsPattern(query.q);
    base = base.where((eb) =>
      eb.or([
        lowerLike('s.name', p),
        eb.exists(
          eb
            .selectFrom('credential_set_tags as t')
            .select(sql`1`.as('one'))
            .whereRef('t.set_id', '=', 's.id')
            .where(lowerLike('t.tag', p)),
        ),
        eb.exists(
          eb
            .selectFrom('credential_entries as e')
            .select(sql`1`.as('one'))
            .whereRef('e.set_id', '=', 's.id')
            .where('e.account_id', '=', accountId)
            .where((eb2) => eb2.or([lowerLike('e.username', p), lowerLike('e.domain', p)])),
        ),
      ]),
    );
  }
  for (const tag of query.tags ?? []) {
    base = base.where((eb) =>
      eb.exists(
        eb
          .selectFrom('credential_set_tags as t')
          .select(sql`1`.as('one'))
          .whereRef('t.set_id', '=', 's.id')
          .where(sql<SqlBool>`lower(t.tag) = ${tag.toLowerCase()}`),
      ),
    );
  }
  const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await base
    // entry_count is kept current by triggers on credential_entries (migration 2026_12_08).
    .select(['s.id', 's.name', 's.created_at', 's.updated_at', 's.entry_count'])
    .orderBy(sql`lower(s.name)`)
    .orderBy('s.id')
    .limit(query.limit)
    .offset(query.offset)
    .execute();
  const tags = await tagsOf(
    db,
    accountId,
    rows.map((r) => r.id),
  );
  return {
    total: Number(n),
    items: rows.map((r) => ({
      id: r.id,
      name: r.name,
      tags: tags.get(r.id) ?? [],
      entryCount: Number(r.entry_count ?? 0),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    })),
  };
}

export async function findSet(db: Db, accountId: number, setId: number): Promise<CredentialSetRecord | undefined> {
  const row = await db
    .selectFrom('credential_sets as s')
    // entry_count is kept current by triggers on credential_entries (migration 2026_12_08).
    .select(['s.id', 's.name', 's.created_at', 's.updated_at', 's.entry_count'])
    .where('s.account_id', '=', accountId)
    .where('s.id', '=', setId)
    .executeTakeFirst();
  if (!row) return undefined;
  const tags = await tagsOf(db, accountId, [row.id]);
  return {
    id: row.id,
    name: row.name,
    tags: tags.get(row.id) ?? [],
    entryCount: Number(row.entry_count ?? 0),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

async function tagsOf(db: Db, accountId: number, setIds: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (setIds.length === 0) return out;
  const rows = await db
    .selectFrom('credential_set_tags')
    .select(['set_id', 'tag'])
    .where('account_id', '=', accountId)
    .where('set_id', 'in', setIds)
    .orderBy('set_id')
    .orderBy(sql`lower(tag)`)
    .orderBy('tag')
    .execute();
  for (const r of rows) {
    const list = out.get(r.set_id) ?? [];
    list.push(r.tag);
    out.set(r.set_id, list);
  }
  return out;
}

/** Every tag in use in the account, case-insensitively grouped, with how many sets carry it. */
export async function listTags(db: Db, accountId: number): Promise<TagCount[]> {
  const rows = await db
    .selectFrom('credential_set_tags')
    .select((eb) => [eb.fn.min('tag').as('tag'), eb.fn.countAll<number>().as('n')])
    .where('account_id', '=', accountId)
    .groupBy(sql`lower(tag)`)
    .orderBy(sql`lower(tag)`)
    .execute();
  return rows.map((r) => ({ tag: String(r.tag), setCount: Number(r.n) }));
}

export async function insertSet(
  db: Db,
  accountId: number,
  name: string,
  tags: readonly string[],
  now: string,
): Promise<number> {
  const row = await db
    .insertInto('credential_sets')
    .values({ account_id: accountId, name, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  await insertTags(db, accountId, row.id, tags);
  return row.id;
}

async function insertTags(db: Db, accountId: number, setId: number, tags: readonly string[]): Promise<void> {
  if (tags.length === 0) return;
  await db
    .insertInto('credential_set_tags')
    .values(tags.map((tag) => ({ set_id: setId, account_id: accountId, tag })))
    .execute();
}

export async function renameSet(db: Db, accountId: number, setId: number, name: string, now: string): Promise<void> {
  await db
    .updateTable('credential_sets')
    .set({ name, updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', setId)
    .execute();
}

export async function replaceTags(
  db: Db,
  accountId: number,
  setId: number,
  tags: readonly string[],
  now: string,
): Promise<void> {
  await db.deleteFrom('credential_set_tags').where('account_id', '=', accountId).where('set_id', '=', setId).execute();
  await insertTags(db, accountId, setId, tags);
  await touchSet(db, accountId, setId, now);
}

/** Marks a set changed (its entries or its tags changed). */
export async function touchSet(db: Db, accountId: number, setId: number, now: string): Promise<void> {
  await db
    .updateTable('credential_sets')
    .set({ updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', setId)
    .execute();
}

export async function countEntries(db: Db, accountId: number, setId: number): Promise<number> {
  const row = await db
    .selectFrom('credential_entries')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('set_id', '=', setId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Deletes the set; its entries and tags go with it (ON DELETE CASCADE). True when a row went. */
export async function deleteSet(db: Db, accountId: number, setId: number): Promise<boolean> {
  const result = await db
    .deleteFrom('credential_sets')
    .where('account_id', '=', accountId)
    .where('id', '=', setId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function testsUsingSet(db: Db, accountId: number, setId: number): Promise<TestUsingSet[]> {
  const rows = await db
    .selectFrom('test_configs as t')
    .innerJoin('projects as p', 'p.id', 't.project_id')
    .select(['t.id as test_id', 't.name as test_name', 'p.id as project_id', 'p.name as project_name'])
    .where('t.account_id', '=', accountId)
    .where('t.credential_set_id', '=', setId)
    .orderBy('p.name')
    .orderBy('t.name')
    .orderBy('t.id')
    .execute();
  return rows.map((r) => ({
    testId: r.test_id,
    testName: r.test_name,
    projectId: r.project_id,
    projectName: r.project_name,
  }));
}

/** True for the error a database raises when a foreign key refuses a delete (or insert). */
export function isForeignKeyViolation(error: unknown): boolean {
  const e = error as { code?: unknown } | null;
  return e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || e?.code === '23503';
}

const ENTRY_COLUMNS = [
  'id',
  'set_id',
  'username',
  'domain',
  'display_name',
  'auth_username',
  'created_at',
  'updated_at',
] as const;

function toEntry(r: {
  id: number;
  set_id: number;
  username: string;
  domain: string;
  display_name: string;
  auth_username: string;
  has_totp: number;
  created_at: string;
  updated_at: string;
}): CredentialEntryRecord {
  return {
    id: r.id,
    setId: r.set_id,
    username: r.username,
    domain: r.domain,
    displayName: r.display_name,
    authUsername: r.auth_username,
    hasTotp: Number(r.has_totp) === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface ListEntriesQuery {
  /** Case-insensitive substring of username, domain, display name or auth username. */
  q?: string;
  limit: number;
  offset: number;
}

export async function listEntries(
  db: Db,
  accountId: number,
  setId: number,
  query: ListEntriesQuery,
): Promise<{ total: number; items: CredentialEntryRecord[] }> {
  let base = db.selectFrom('credential_entries').where('account_id', '=', accountId).where('set_id', '=', setId);
  if (query.q) {
    const p = containsPattern(query.q);
    base = base.where((eb) =>
      eb.or([
        lowerLike('username', p),
        lowerLike('domain', p),
        lowerLike('display_name', p),
        lowerLike('auth_username', p),
      ]),
    );
  }
  const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await base
    .select([...ENTRY_COLUMNS, hasTotpExpr.as('has_totp')])
    .orderBy('id')
    .limit(query.limit)
    .offset(query.offset)
    .execute();
  return { total: Number(n), items: rows.map(toEntry) };
}

export async function findEntry(
  db: Db,
  accountId: number,
  setId: number,
  entryId: number,
): Promise<CredentialEntryRecord | undefined> {
  const row = await db
    .selectFrom('credential_entries')
    .select([...ENTRY_COLUMNS, hasTotpExpr.as('has_totp')])
    .where('account_id', '=', accountId)
    .where('set_id', '=', setId)
    .where('id', '=', entryId)
    .executeTakeFirst();
  return row && toEntry(row);
}

/** Inserts entries in batches (both databases cap the parameters of one statement); returns their ids. */
export async function insertEntries(
  db: Db,
  accountId: number,
  setId: number,
  entries: readonly SealedEntry[],
  now: string,
): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < entries.length; i += 500) {
    const rows = await db
      .insertInto('credential_entries')
      .values(
        entries.slice(i, i + 500).map((e) => ({
          account_id: accountId,
          set_id: setId,
          username: e.username,
          domain: e.domain,
          display_name: e.displayName,
          auth_username: e.authUsername,
          password_enc: e.passwordSealed,
          totp_enc: e.totpSealed,
          created_at: now,
          updated_at: now,
        })),
      )
      .returning('id')
      .execute();
    ids.push(...rows.map((r) => r.id));
  }
  return ids;
}

export interface EntryChange {
  username?: string;
  domain?: string;
  displayName?: string;
  authUsername?: string;
  passwordSealed?: string;
  /** null clears the TOTP secret; undefined keeps it. */
  totpSealed?: string | null;
}

export async function updateEntry(
  db: Db,
  accountId: number,
  setId: number,
  entryId: number,
  change: EntryChange,
  now: string,
): Promise<void> {
  await db
    .updateTable('credential_entries')
    .set({
      ...(change.username !== undefined && { username: change.username }),
      ...(change.domain !== undefined && { domain: change.domain }),
      ...(change.displayName !== undefined && { display_name: change.displayName }),
      ...(change.authUsername !== undefined && { auth_username: change.authUsername }),
      ...(change.passwordSealed !== undefined && { password_enc: change.passwordSealed }),
      ...(change.totpSealed !== undefined && { totp_enc: change.totpSealed }),
      updated_at: now,
    })
    .where('account_id', '=', accountId)
    .where('set_id', '=', setId)
    .where('id', '=', entryId)
    .execute();
}

export async function deleteEntry(db: Db, accountId: number, setId: number, entryId: number): Promise<boolean> {
  const result = await db
    .deleteFrom('credential_entries')
    .where('account_id', '=', accountId)
    .where('set_id', '=', setId)
    .where('id', '=', entryId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * Copies every entry of one set into another set of the same account, in id order. `reseal` gets
 * each stored secret and returns what to store in the copy (the clone decrypts and encrypts it
 * again, so no ciphertext and no nonce is shared). Returns how many entries were copied.
 */
export async function copyEntries(
  db: Db,
  accountId: number,
  fromSetId: number,
  toSetId: number,
  reseal: (sealed: string) => string,
  now: string,
): Promise<number> {
  let copied = 0;
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('credential_entries')
      .select(['id', 'username', 'domain', 'display_name', 'auth_username', 'password_enc', 'totp_enc'])
      .where('account_id', '=', accountId)
      .where('set_id', '=', fromSetId)
      .where('id', '>', after)
      .orderBy('id')
      .limit(1000)
      .execute();
    if (rows.length === 0) return copied;
    await insertEntries(
      db,
      accountId,
      toSetId,
      rows.map((r) => ({
        username: r.username,
        domain: r.domain,
        displayName: r.display_name,
        authUsername: r.auth_username,
        passwordSealed: reseal(r.password_enc),
        totpSealed: r.totp_enc === null ? null : reseal(r.totp_enc),
      })),
      now,
    );
    copied += rows.length;
    after = rows[rows.length - 1]!.id;
  }
}
