import { sql } from 'kysely';
import type { Db } from '../db/connect.ts';
import { countAccounts, type Account } from '../db/accounts.repository.ts';
import { createAccount, createUser } from './auth.ts';
import { generatePassword } from './passwords.ts';

export const FIRST_EMAIL = 'admin@sipcreds.local';
// Any fixed number: the key of the advisory lock that serialises first starts on PostgreSQL.
const BOOTSTRAP_LOCK = 7_274_273;

/**
 * On an empty database, creates a first account and user with a generated password, so a new user
 * can log in at once; returns them, or undefined when the database has an account already. Several
 * servers starting together on one empty PostgreSQL take turns (an advisory lock): one creates it.
 */
export async function bootstrapFirstUser(
  db: Db,
): Promise<{ account: Account; email: string; password: string } | undefined> {
  const password = generatePassword();
  return db.kysely.transaction().execute(async (trx) => {
    if (db.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`.execute(trx);
    if ((await countAccounts(trx)) > 0) return undefined;
    const scoped = { ...db, kysely: trx };
    const account = await createAccount(scoped, 'My account', 100);
    await createUser(scoped, account.id, FIRST_EMAIL, password);
    return { account, email: FIRST_EMAIL, password };
  });
}
