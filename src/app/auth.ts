import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../db/connect.ts';
import {
  clearLoginFailures,
  deleteSession,
  findApiToken,
  findSession,
  findUserByEmail,
  insertAccount,
  insertApiToken,
  insertSession,
  insertUser,
  loginFailures,
  recordLoginFailure,
  type Account,
  type Principal,
} from '../db/accounts.repository.ts';
import { AppError } from './errors.ts';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.ts';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_EMAIL = 5;
export const MAX_FAILURES_PER_CLIENT = 30;
export const MIN_PASSWORD_LENGTH = 10;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: 'Give a valid email address, like name@example.com.' }));

export function normalizeEmail(raw: string): string {
  const parsed = emailSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('invalid', 'Invalid email', `"${raw}" is not a valid email address.`);
  return parsed.data;
}

export async function createAccount(db: Db, name: string, maxSets = 100): Promise<Account> {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 200) {
    throw new AppError('invalid', 'Invalid account name', 'Give the account a name of 1 to 200 characters.');
  }
  if (!Number.isInteger(maxSets) || maxSets < 0) {
    throw new AppError('invalid', 'Invalid plan limit', '--max-sets must be a whole number of 0 or more.');
  }
  return insertAccount(db.kysely, trimmed, maxSets);
}

export async function createUser(db: Db, accountId: number, email: string, password: string): Promise<number> {
  const normalized = normalizeEmail(email);
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError(
      'invalid',
      'Password too short',
      `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters.`,
    );
  }
  const account = await db.kysely.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst();
  if (!account) throw new AppError('not_found', 'No such account', `There is no account ${accountId}.`);
  if (await findUserByEmail(db.kysely, normalized)) {
    throw new AppError('conflict', 'Email taken', `A user with the email ${normalized} exists already.`);
  }
  return insertUser(db.kysely, accountId, normalized, await hashPassword(password));
}

export interface NewSession {
  token: string;
  csrfToken: string;
  principal: Principal;
}

const LOGIN_REFUSED = new AppError(
  'unauthorized',
  'Login failed',
  'The email or password is wrong. Check both and try again.',
);

/**
 * Checks email and password and opens a session. A wrong password and an unknown email
 * get the same answer in the same time; too many failures for an email or a client get 429.
 */
export async function login(db: Db, email: string, password: string, clientKey: string): Promise<NewSession> {
  const normalized = email.trim().toLowerCase();
  const now = new Date();
  const emailKey = `email:${sha256(normalized)}`;
  const ipKey = `client:${clientKey}`;
  const [byEmail, byClient] = await Promise.all([
    loginFailures(db.kysely, emailKey, now, LOGIN_WINDOW_MS),
    loginFailures(db.kysely, ipKey, now, LOGIN_WINDOW_MS),
  ]);
  if (byEmail >= MAX_FAILURES_PER_EMAIL || byClient >= MAX_FAILURES_PER_CLIENT) {
    throw new AppError(
      'rate_limited',
      'Too many failed logins',
      'Too many failed logins. Wait 15 minutes before trying again, or ask a colleague to reset your password.',
      { retryAfterSeconds: Math.ceil(LOGIN_WINDOW_MS / 1000) },
    );
  }
  const user = await findUserByEmail(db.kysely, normalized);
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !ok) {
    await recordLoginFailure(db.kysely, emailKey, now, LOGIN_WINDOW_MS);
    await recordLoginFailure(db.kysely, ipKey, now, LOGIN_WINDOW_MS);
    throw LOGIN_REFUSED;
  }
  await clearLoginFailures(db.kysely, emailKey);
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  await insertSession(db.kysely, {
    idHash: sha256(token),
    userId: user.id,
    accountId: user.accountId,
    csrfToken,
    expiresAt: new Date(now.getTime() + SESSION_TTL_MS).toISOString(),
  });
  return { token, csrfToken, principal: { userId: user.id, accountId: user.accountId, email: user.email } };
}

export async function resolveSession(db: Db, token: string): Promise<(Principal & { csrfToken: string }) | undefined> {
  return findSession(db.kysely, sha256(token), new Date().toISOString());
}

export async function logout(db: Db, token: string): Promise<void> {
  await deleteSession(db.kysely, sha256(token));
}

export function csrfMatches(expected: string, given: string | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

const TOKEN_PREFIX = 'sipc_';

/** Creates an API token for the user with that email; only its hash is stored. */
export async function createApiToken(db: Db, email: string, name: string): Promise<{ id: number; token: string }> {
  const user = await findUserByEmail(db.kysely, normalizeEmail(email));
  if (!user) throw new AppError('not_found', 'No such user', `There is no user with the email ${email.trim()}.`);
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const id = await insertApiToken(db.kysely, {
    userId: user.id,
    accountId: user.accountId,
    name: name.trim() || 'api token',
    tokenHash: sha256(token),
  });
  return { id, token };
}

export async function resolveApiToken(db: Db, token: string): Promise<Principal | undefined> {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  return findApiToken(db.kysely, sha256(token));
}
