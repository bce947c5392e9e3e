import { PostgresAdapter, sql, type Kysely, type RawBuilder } from 'kysely';
import type { ExportRecord } from '../domain/csv-format.ts';
import type { EntryFields, EntrySnapshot } from '../domain/import-planner.ts';
import type { Db } from './connect.ts';
import type { Database } from './schema.ts';

// Credential entries as the Credential Passwords page uses them: the account's state an import
// is planned against, the batched writes that apply it, the streamed exports and the page lists.
// Every statement is scoped by the account. Ciphertext never leaves this file: secrets come in
// and go out as plaintext through the codec, and are encrypted with a fresh nonce per write.

// What encrypts and decrypts secrets: the SecretCipher, or a batch codec of it for large jobs.
import type { SecretCodec } from '../crypto/secret-batches.ts';
export type { SecretCodec };

async function encryptAll(codec: SecretCodec, accountId: number, items: (string | null)[]): Promise<(string | null)[]> {
  if (codec.encryptMany) return codec.encryptMany(accountId, items);
  return items.map((p) => (p === null ? null : codec.encrypt(p, accountId)));
}

async function decryptAll(codec: SecretCodec, accountId: number, items: (string | null)[]): Promise<(string | null)[]> {
  if (codec.decryptMany) return codec.decryptMany(accountId, items);
  return items.map((t) => (t === null ? null : codec.decrypt(t, accountId)));
}

/** Passwords then TOTP secrets of the rows, encrypted in one batch. */
async function encryptSecrets(
  codec: SecretCodec,
  accountId: number,
  rows: readonly { fields: EntryFields }[],
): Promise<{ passwords: string[]; totps: (string | null)[] }> {
  const items: (string | null)[] = rows.map((r) => r.fields.password);
  for (const r of rows) items.push(r.fields.totpSecret);
  const out = await encryptAll(codec, accountId, items);
  return { passwords: out.slice(0, rows.length) as string[], totps: out.slice(rows.length) };
}

/** A query handle: the pool, a reserved connection or a transaction. */
export type Conn = Kysely<Database>;

export function isPostgres(conn: Conn): boolean {
  return conn.getExecutor().adapter instanceof PostgresAdapter;
}

// SQLite binds at most 32766 parameters per statement; ten per entry row stays far below.
const SQLITE_ROWS_PER_STATEMENT = 1000;

/** `column IN (ids)` for any number of ids: an array parameter on PostgreSQL, json_each on SQLite. */
function idIn(conn: Conn, column: string, ids: readonly number[]): RawBuilder<boolean> {
  const ref = sql.ref(column);
  return isPostgres(conn)
    ? sql<boolean>`${ref} = any(${[...ids]}::int[])`
    : sql<boolean>`${ref} in (select value from json_each(${JSON.stringify(ids)}))`;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Locks the account's plan for this transaction (a row lock on PostgreSQL, so concurrent imports
 * and set creations of one account take turns) and returns its limit and current set count.
 */
export async function lockAccountPlan(
  conn: Conn,
  accountId: number,
): Promise<{ maxSets: number; setCount: number } | undefined> {
  let q = conn.selectFrom('accounts').select('max_sets').where('id', '=', accountId);
  if (isPostgres(conn)) q = q.forUpdate();
  const account = await q.executeTakeFirst();
  if (!account) return undefined;
  const { n } = await conn
    .selectFrom('credential_sets')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return { maxSets: account.max_sets, setCount: Number(n) };
}

/** The ids among `ids` that are sets of the account. */
export async function findOwnSetIds(conn: Conn, accountId: number, ids: readonly number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await conn
    .selectFrom('credential_sets')
    .select('id')
    .where('account_id', '=', accountId)
    .where(idIn(conn, 'id', ids))
    .execute();
  return new Set(rows.map((r) => r.id));
}

/** The ids among `ids` that are entries of the account. */
export async function findOwnEntryIds(conn: Conn, accountId: number, ids: readonly number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await conn
    .selectFrom('credential_entries')
    .select('id')
    .where('account_id', '=', accountId)
    .where(idIn(conn, 'id', ids))
    .execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * The account's entries among `ids`, secrets decrypted, for the planner's change detection. On
 * PostgreSQL the rows are locked until the transaction ends, so nobody edits them in between.
 */
export async function findOwnEntries(
  conn: Conn,
  codec: SecretCodec,
  accountId: number,
  ids: readonly number[],
): Promise<Map<number, EntrySnapshot>> {
  const out = new Map<number, EntrySnapshot>();
  if (ids.length === 0) return out;
  let q = conn
    .selectFrom('credential_entries')
    .select(['id', 'set_id', 'username', 'domain', 'display_name', 'auth_username', 'password_enc', 'totp_enc'])
    .where('account_id', '=', accountId)
    .where(idIn(conn, 'id', ids));
  if (isPostgres(conn)) q = q.forUpdate();
  const rows = await q.execute();
  const secrets = await decryptAll(codec, accountId, [
    ...rows.map((r) => r.password_enc),
    ...rows.map((r) => r.totp_enc),
  ]);
  rows.forEach((r, i) => {
    out.set(r.id, {
      id: r.id,
      setId: r.set_id,
      username: r.username,
      domain: r.domain,
      displayName: r.display_name,
      authUsername: r.auth_username,
      password: secrets[i]!,
      totpSecret: secrets[rows.length + i] ?? null,
    });
  });
  return out;
}

/** Inserts sets; returns their ids in the order of `names`. */
export async function insertSets(
  conn: Conn,
  accountId: number,
  names: readonly string[],
  now: string,
): Promise<number[]> {
  if (names.length === 0) return [];
  const ids: number[] = [];
  for (const part of chunks(names, SQLITE_ROWS_PER_STATEMENT)) {
    const rows = await conn
      .insertInto('credential_sets')
      .values(part.map((name) => ({ account_id: accountId, name, created_at: now, updated_at: now })))
      .returning('id')
      .execute();
    // RETURNING promises no order; ids grow in insertion order on both backends.
    ids.push(...rows.map((r) => r.id).sort((a, b) => a - b));
  }
  return ids;
}

export interface NewEntryValues {
  setId: number;
  fields: EntryFields;
}

/** Inserts entries in one batched statement per chunk; returns their ids in the order of `rows`. */
export async function insertEntries(
  conn: Conn,
  codec: SecretCodec,
  accountId: number,
  rows: readonly NewEntryValues[],
  now: string,
): Promise<number[]> {
  if (rows.length === 0) return [];
  let ids: number[];
  const { passwords, totps } = await encryptSecrets(codec, accountId, rows);
  if (isPostgres(conn)) {
    const setIds: number[] = [];
    const usernames: string[] = [];
    const domains: string[] = [];
    const displayNames: string[] = [];
    const authUsernames: string[] = [];
    for (const r of rows) {
      setIds.push(r.setId);
      usernames.push(r.fields.username);
      domains.push(r.fields.domain);
      displayNames.push(r.fields.displayName);
      authUsernames.push(r.fields.authUsername);
    }
    const result = await sql<{ id: number }>`
      insert into credential_entries
        (account_id, set_id, username, domain, display_name, auth_username, password_enc, totp_enc, created_at, updated_at)
      select ${accountId}::int, v.set_id, v.username, v.domain, v.display_name, v.auth_username, v.password_enc, v.totp_enc,
             ${now}::text, ${now}::text
      from unnest(${setIds}::int[], ${usernames}::text[], ${domains}::text[], ${displayNames}::text[],
                  ${authUsernames}::text[], ${passwords}::text[], ${totps}::text[])
           with ordinality as v(set_id, username, domain, display_name, auth_username, password_enc, totp_enc, ord)
      order by v.ord
      returning id`.execute(conn);
    ids = result.rows.map((r) => r.id);
  } else {
    ids = [];
    for (let start = 0; start < rows.length; start += SQLITE_ROWS_PER_STATEMENT) {
      const part = rows.slice(start, start + SQLITE_ROWS_PER_STATEMENT);
      const inserted = await conn
        .insertInto('credential_entries')
        .values(
          part.map((r, i) => ({
            account_id: accountId,
            set_id: r.setId,
            username: r.fields.username,
            domain: r.fields.domain,
            display_name: r.fields.displayName,
            auth_username: r.fields.authUsername,
            password_enc: passwords[start + i]!,
            totp_enc: totps[start + i] ?? null,
            created_at: now,
            updated_at: now,
          })),
        )
        .returning('id')
        .execute();
      ids.push(...inserted.map((r) => r.id));
    }
  }
  // RETURNING promises no order; ids grow in insertion order on both backends.
  return ids.sort((a, b) => a - b);
}

export interface EntryUpdateValues {
  entryId: number;
  fields: EntryFields;
}

/** Rewrites every column of the given entries of the account, batched. */
export async function updateEntries(
  conn: Conn,
  codec: SecretCodec,
  accountId: number,
  rows: readonly EntryUpdateValues[],
  now: string,
): Promise<void> {
  if (rows.length === 0) return;
  const { passwords, totps } = await encryptSecrets(codec, accountId, rows);
  if (isPostgres(conn)) {
    const ids: number[] = [];
    const usernames: string[] = [];
    const domains: string[] = [];
    const displayNames: string[] = [];
    const authUsernames: string[] = [];
    for (const r of rows) {
      ids.push(r.entryId);
      usernames.push(r.fields.username);
      domains.push(r.fields.domain);
      displayNames.push(r.fields.displayName);
      authUsernames.push(r.fields.authUsername);
    }
    await sql`
      update credential_entries as e set
        username = v.username, domain = v.domain, display_name = v.display_name, auth_username = v.auth_username,
        password_enc = v.password_enc, totp_enc = v.totp_enc, updated_at = ${now}::text
      from unnest(${ids}::int[], ${usernames}::text[], ${domains}::text[], ${displayNames}::text[],
                  ${authUsernames}::text[], ${passwords}::text[], ${totps}::text[])
           as v(id, username, domain, display_name, auth_username, password_enc, totp_enc)
      where e.id = v.id and e.account_id = ${accountId}::int`.execute(conn);
    return;
  }
  for (let start = 0; start < rows.length; start += SQLITE_ROWS_PER_STATEMENT) {
    const part = rows.slice(start, start + SQLITE_ROWS_PER_STATEMENT);
    const values = sql.join(
      part.map(
        (r, i) =>
          sql`(${r.entryId}, ${r.fields.username}, ${r.fields.domain}, ${r.fields.displayName}, ${r.fields.authUsername}, ${passwords[start + i]!}, ${totps[start + i] ?? null})`,
      ),
    );
    await sql`
      update credential_entries set
        username = v.column2, domain = v.column3, display_name = v.column4, auth_username = v.column5,
        password_enc = v.column6, totp_enc = v.column7, updated_at = ${now}
      from (values ${values}) as v
      where credential_entries.id = v.column1 and credential_entries.account_id = ${accountId}`.execute(conn);
  }
}

/** Sets new passwords on entries of the account; returns how many rows changed. */
export async function updatePasswords(
  conn: Conn,
  codec: SecretCodec,
  accountId: number,
  rows: readonly { entryId: number; password: string }[],
  now: string,
): Promise<number> {
  let changed = 0;
  if (isPostgres(conn)) {
    const result = await sql`
      update credential_entries as e set password_enc = v.password_enc, updated_at = ${now}::text
      from unnest(${rows.map((r) => r.entryId)}::int[], ${rows.map((r) => codec.encrypt(r.password, accountId))}::text[])
           as v(id, password_enc)
      where e.id = v.id and e.account_id = ${accountId}::int`.execute(conn);
    return Number(result.numAffectedRows ?? 0);
  }
  for (const part of chunks(rows, SQLITE_ROWS_PER_STATEMENT)) {
    const values = sql.join(part.map((r) => sql`(${r.entryId}, ${codec.encrypt(r.password, accountId)})`));
    const result = await sql`
      update credential_entries set password_enc = v.column2, updated_at = ${now}
      from (values ${values}) as v
      where credential_entries.id = v.column1 and credential_entries.account_id = ${accountId}`.execute(conn);
    changed += Number(result.numAffectedRows ?? 0);
  }
  return changed;
}

/** True when the set exists in the account (another account's set is as missing as no set). */
export async function setBelongsToAccount(conn: Conn, accountId: number, setId: number): Promise<boolean> {
  const row = await conn
    .selectFrom('credential_sets')
    .select('id')
    .where('account_id', '=', accountId)
    .where('id', '=', setId)
    .executeTakeFirst();
  return row !== undefined;
}

const EXPORT_PAGE = 2000;

/**
 * The account's entries (or one set's), secrets decrypted, sorted by set id then entry id, in
 * pages of at most EXPORT_PAGE, so memory stays flat whatever the account's size and secrets are
 * decrypted a batch at a time. PostgreSQL reads through a server-side cursor (Kysely `.stream()`
 * on pg-cursor: one consistent snapshot). SQLite has a single connection per process, and a cursor
 * would hold it for the whole download (a slow client would stall every other request), so SQLite
 * reads keyset pages and frees the connection between them.
 */
export async function* streamExportPages(
  db: Db,
  codec: SecretCodec,
  accountId: number,
  setId?: number,
): AsyncGenerator<ExportRecord[]> {
  const base = () => {
    let q = db.kysely
      .selectFrom('credential_entries')
      .select(['id', 'set_id', 'username', 'domain', 'display_name', 'auth_username', 'password_enc', 'totp_enc'])
      .where('account_id', '=', accountId);
    if (setId !== undefined) q = q.where('set_id', '=', setId);
    return q;
  };
  type Row = {
    id: number;
    set_id: number;
    username: string;
    domain: string;
    display_name: string;
    auth_username: string;
    password_enc: string;
    totp_enc: string | null;
  };
  const toRecords = async (page: Row[]): Promise<ExportRecord[]> => {
    const secrets = await decryptAll(codec, accountId, [
      ...page.map((r) => r.password_enc),
      ...page.map((r) => r.totp_enc),
    ]);
    return page.map((r, i) => ({
      setId: r.set_id,
      entryId: r.id,
      username: r.username,
      domain: r.domain,
      displayName: r.display_name,
      authUsername: r.auth_username,
      password: secrets[i]!,
      totpSecret: secrets[page.length + i] ?? null,
    }));
  };
  // Pages are pipelined: while one page's secrets are decrypted (in worker threads, when the codec
  // has them), the next page is read.
  async function* pages(): AsyncGenerator<Row[]> {
    if (db.dialect === 'postgres') {
      let page: Row[] = [];
      for await (const r of base().orderBy('set_id').orderBy('id').stream(EXPORT_PAGE)) {
        page.push(r);
        if (page.length === EXPORT_PAGE) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
      return;
    }
    let after: { setId: number; id: number } | null = null;
    for (;;) {
      let q = base();
      if (after !== null) {
        const { setId: s, id } = after;
        q = q.where((eb) => eb.or([eb('set_id', '>', s), eb.and([eb('set_id', '=', s), eb('id', '>', id)])]));
      }
      const page = await q.orderBy('set_id').orderBy('id').limit(EXPORT_PAGE).execute();
      const last = page[page.length - 1];
      if (last === undefined) return;
      yield page;
      if (page.length < EXPORT_PAGE) return;
      after = { setId: last.set_id, id: last.id };
    }
  }
  const source = pages();
  let next = await source.next();
  while (!next.done) {
    const decrypting = toRecords(next.value);
    // Read ahead while the secrets are decrypted; a failed decrypt must not leave the read dangling.
    const following = source.next();
    let records: ExportRecord[];
    try {
      records = await decrypting;
    } catch (error) {
      await following.catch(() => undefined);
      await source.return(undefined);
      throw error;
    }
    yield records;
    next = await following;
  }
}

export interface Page<T> {
  total: number;
  items: T[];
}

export interface BulkSetRow {
  setId: number;
  name: string;
  entryCount: number;
}

/** Sets with more than `threshold` entries, by id. */
export async function listBulkSets(
  conn: Conn,
  accountId: number,
  threshold: number,
  limit: number,
  offset: number,
): Promise<Page<BulkSetRow>> {
  const base = conn
    .selectFrom('credential_sets')
    .where('account_id', '=', accountId)
    .where('entry_count', '>', threshold);
  const [{ n }, rows] = await Promise.all([
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    base.select(['id', 'name', 'entry_count']).orderBy('id').limit(limit).offset(offset).execute(),
  ]);
  return {
    total: Number(n),
    items: rows.map((r) => ({ setId: r.id, name: r.name, entryCount: Number(r.entry_count) })),
  };
}

export type EntryFilterColumn = 'set_name' | 'username' | 'domain' | 'display_name' | 'auth_username';

/** One column filter: an exact value or a LIKE pattern, compared case-insensitively. */
export type EntryFilter = { column: EntryFilterColumn; exact: string } | { column: EntryFilterColumn; like: string };

export interface SmallSetEntryRow {
  setId: number;
  setName: string;
  entryId: number;
  username: string;
  domain: string;
  displayName: string;
  authUsername: string;
  hasTotp: boolean;
}

const FILTER_COLUMN: Record<EntryFilterColumn, string> = {
  set_name: 's.name',
  username: 'e.username',
  domain: 'e.domain',
  display_name: 'e.display_name',
  auth_username: 'e.auth_username',
};

function filterSql(pg: boolean, f: EntryFilter): RawBuilder<boolean> {
  const col = sql.ref(FILTER_COLUMN[f.column]);
  if ('exact' in f) return sql<boolean>`lower(${col}) = lower(${f.exact})`;
  // SQLite's LIKE ignores ASCII case by itself; PostgreSQL needs ILIKE.
  return pg ? sql<boolean>`${col} ilike ${f.like} escape '\\'` : sql<boolean>`${col} like ${f.like} escape '\\'`;
}

/** Entries of sets with at most `threshold` entries, by set id then entry id, filtered. */
export async function listSmallSetEntries(
  conn: Conn,
  accountId: number,
  threshold: number,
  filters: readonly EntryFilter[],
  limit: number,
  offset: number,
): Promise<Page<SmallSetEntryRow>> {
  const pg = isPostgres(conn);
  const db = conn;
  const setFilters = filters.filter((f) => f.column === 'set_name');
  const entryFilters = filters.filter((f) => f.column !== 'set_name');
  const joined = () => {
    let q = db
      .selectFrom('credential_sets as s')
      .innerJoin('credential_entries as e', 'e.set_id', 's.id')
      .where('s.account_id', '=', accountId)
      .where('s.entry_count', '<=', threshold)
      .where('e.account_id', '=', accountId);
    for (const f of filters) q = q.where(filterSql(pg, f));
    return q;
  };
  const countQuery = () => {
    if (entryFilters.length > 0) {
      return joined().select((eb) => eb.fn.countAll<number>().as('n'));
    }
    // Without entry filters the kept counts answer without touching the entries.
    let q = db
      .selectFrom('credential_sets as s')
      .where('s.account_id', '=', accountId)
      .where('s.entry_count', '<=', threshold);
    for (const f of setFilters) q = q.where(filterSql(pg, f));
    return q.select((eb) => eb.fn.coalesce(eb.fn.sum<number>('s.entry_count'), sql<number>`0`).as('n'));
  };
  type EntryRow = {
    set_id: number;
    set_name: string;
    entry_id: number;
    username: string;
    domain: string;
    display_name: string;
    auth_username: string;
    has_totp: number | boolean;
  };
  let n: number;
  let rows: EntryRow[];
  const countRows = async (q: RawBuilder<{ n: number }>) => (await q.execute(conn)).rows[0]?.n ?? 0;
  if (pg) {
    // PostgreSQL: look entries up set by set (a LATERAL subquery, fenced with
    // OFFSET 0 so the planner keeps it), touching only the small sets' entries. Left to itself the
    // planner scans every entry of the account and tests each one against the filters.
    const entryWhere = entryFilters.length
      ? sql.join(
          entryFilters.map((f) => filterSql(pg, f)),
          sql` and `,
        )
      : sql`true`;
    const setWhere = setFilters.length
      ? sql` and ${sql.join(
          setFilters.map((f) => filterSql(pg, f)),
          sql` and `,
        )}`
      : sql``;
    const from = sql`from credential_sets s
      cross join lateral (
        select e.id, e.username, e.domain, e.display_name, e.auth_username, e.totp_enc
        from credential_entries e
        where e.set_id = s.id and e.account_id = ${accountId} and ${entryWhere}
        offset 0
      ) e
      where s.account_id = ${accountId} and s.entry_count <= ${threshold}${setWhere}`;
    const columns = sql`s.id as set_id, s.name as set_name, e.id as entry_id, e.username, e.domain,
          e.display_name, e.auth_username, e.totp_enc is not null as has_totp`;
    if (entryFilters.length) {
      // Filtered: one pass gives the page and, through a window, the number of matches.
      const page = await sql<EntryRow & { total_rows: number }>`select ${columns}, count(*) over ()::int as total_rows
        ${from} order by s.id, e.id limit ${limit} offset ${offset}`.execute(conn);
      rows = page.rows;
      n = page.rows[0]?.total_rows ?? (offset === 0 ? 0 : await countRows(sql`select count(*)::int as n ${from}`));
    } else {
      const [counted, page] = await Promise.all([
        countQuery().executeTakeFirstOrThrow(),
        sql<EntryRow>`select ${columns} ${from} order by s.id, e.id limit ${limit} offset ${offset}`.execute(conn),
      ]);
      n = Number(counted.n);
      rows = page.rows;
    }
  } else {
    // SQLite: a window count would sort every match; two plain scans are cheaper here.
    const [counted, page] = await Promise.all([
      countQuery().executeTakeFirstOrThrow(),
      joined()
        .select([
          's.id as set_id',
          's.name as set_name',
          'e.id as entry_id',
          'e.username',
          'e.domain',
          'e.display_name',
          'e.auth_username',
          sql<number | boolean>`e.totp_enc is not null`.as('has_totp'),
        ])
        .orderBy('s.id')
        .orderBy('e.id')
        .limit(limit)
        .offset(offset)
        .execute(),
    ]);
    n = Number(counted.n);
    rows = page;
  }
  return {
    total: Number(n),
    items: rows.map((r) => ({
      setId: r.set_id,
      setName: r.set_name,
      entryId: r.entry_id,
      username: r.username,
      domain: r.domain,
      displayName: r.display_name,
      authUsername: r.auth_username,
      hasTotp: Boolean(r.has_totp),
    })),
  };
}
