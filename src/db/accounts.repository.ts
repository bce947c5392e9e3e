import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { nowIso } from './time.ts';

// Accounts, users, sessions, API tokens and login failures.

export interface Account {
  id: number;
  name: string;
  maxSets: number;
}

export interface UserRecord {
  id: number;
  accountId: number;
  email: string;
  passwordHash: string;
}

export interface Principal {
  userId: number;
  accountId: number;
  email: string;
}

export async function insertAccount(db: Kysely<Database>, name: string, maxSets: number): Promise<Account> {
  const row = await db
    .insertInto('accounts')
    .values({ name, max_sets: maxSets, created_at: nowIso() })
    .returning(['id', 'name', 'max_sets'])
    .executeTakeFirstOrThrow();
  return { id: row.id, name: row.name, maxSets: row.max_sets };
}

export async function findAccount(db: Kysely<Database>, id: number): Promise<Account | undefined> {
  const row = await db
    .selectFrom('accounts')
    .select(['id', 'name', 'max_sets'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { id: row.id, name: row.name, maxSets: row.max_sets };
}

export async function countAccounts(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertUser(
  db: Kysely<Database>,
  accountId: number,
  email: string,
  passwordHash: string,
): Promise<number> {
  const row = await db
    .insertInto('users')
    .values({ account_id: accountId, email, password_hash: passwordHash, created_at: nowIso() })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function findUserByEmail(db: Kysely<Database>, email: string): Promise<UserRecord | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'account_id', 'email', 'password_hash'])
    .where('email', '=', email)
    .executeTakeFirst();
  return row && { id: row.id, accountId: row.account_id, email: row.email, passwordHash: row.password_hash };
}

export async function findUserById(db: Kysely<Database>, id: number): Promise<UserRecord | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'account_id', 'email', 'password_hash'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { id: row.id, accountId: row.account_id, email: row.email, passwordHash: row.password_hash };
}

export async function insertSession(
  db: Kysely<Database>,
  s: { idHash: string; userId: number; accountId: number; csrfToken: string; expiresAt: string },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id: s.idHash,
      user_id: s.userId,
      account_id: s.accountId,
      csrf_token: s.csrfToken,
      created_at: nowIso(),
      expires_at: s.expiresAt,
    })
    .execute();
}

export async function findSession(
  db: Kysely<Database>,
  idHash: string,
  now: string,
): Promise<(Principal & { csrfToken: string }) | undefined> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.user_id', 'sessions.account_id', 'sessions.csrf_token', 'users.email'])
    .where('sessions.id', '=', idHash)
    .where('sessions.expires_at', '>', now)
    .executeTakeFirst();
  return row && { userId: row.user_id, accountId: row.account_id, email: row.email, csrfToken: row.csrf_token };
}

export async function deleteSession(db: Kysely<Database>, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', idHash).execute();
}

export async function deleteExpiredSessions(db: Kysely<Database>, now: string): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
}

export async function insertApiToken(
  db: Kysely<Database>,
  t: { userId: number; accountId: number; name: string; tokenHash: string },
): Promise<number> {
  const row = await db
    .insertInto('api_tokens')
    .values({
      user_id: t.userId,
      account_id: t.accountId,
      name: t.name,
      token_hash: t.tokenHash,
      created_at: nowIso(),
      last_used_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function findApiToken(db: Kysely<Database>, tokenHash: string): Promise<Principal | undefined> {
  const row = await db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['api_tokens.user_id', 'api_tokens.account_id', 'users.email'])
    .where('api_tokens.token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row && { userId: row.user_id, accountId: row.account_id, email: row.email };
}

/** Failed logins per key inside the current window; the window restarts when it has passed. */
export async function recordLoginFailure(
  db: Kysely<Database>,
  key: string,
  now: Date,
  windowMs: number,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('login_failures').selectAll().where('key', '=', key).executeTakeFirst();
    const fresh = !row || now.getTime() - Date.parse(row.window_started_at) > windowMs;
    const failures = fresh ? 1 : row.failures + 1;
    if (!row) {
      await trx.insertInto('login_failures').values({ key, failures, window_started_at: now.toISOString() }).execute();
    } else {
      await trx
        .updateTable('login_failures')
        .set({ failures, window_started_at: fresh ? now.toISOString() : row.window_started_at })
        .where('key', '=', key)
        .execute();
    }
    return failures;
  });
}

export async function loginFailures(db: Kysely<Database>, key: string, now: Date, windowMs: number): Promise<number> {
  const row = await db.selectFrom('login_failures').selectAll().where('key', '=', key).executeTakeFirst();
  if (!row || now.getTime() - Date.parse(row.window_started_at) > windowMs) return 0;
  return row.failures;
}

export async function clearLoginFailures(db: Kysely<Database>, key: string): Promise<void> {
  await db.deleteFrom('login_failures').where('key', '=', key).execute();
}
