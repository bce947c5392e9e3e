import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/connect.ts';
import {
  clearLoginFailures,
  findUserById,
  loginFailures,
  recordLoginFailure,
  type Principal,
} from '../db/accounts.repository.ts';
import { consumeReauthToken, insertReauthToken } from '../db/reauth-tokens.repository.ts';
import { recordReauthEvent } from './audit-log.ts';
import { LOGIN_WINDOW_MS, MAX_FAILURES_PER_CLIENT, MAX_FAILURES_PER_EMAIL } from './auth.ts';
import { AppError } from './errors.ts';
import { verifyPassword } from './passwords.ts';

// Re-authentication before a plaintext export, as password managers do: the signed-in user types
// their password again and gets a short-lived, single-use token bound to their session. Only its
// hash is stored, in the database, so whichever server answers the export accepts it once.

export const REAUTH_TTL_SECONDS = 120;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The key under which sessions are stored (sha256 of the cookie value). */
export const sessionHashOf = (sessionToken: string) => sha256(sessionToken);

/**
 * Checks the signed-in user's password again and issues a reauth token for this session.
 * Wrong passwords count against the same failure counters as logins (per email and per client),
 * so re-authentication cannot be used to guess a password faster than the login form.
 */
export async function reauthenticate(
  db: Db,
  principal: Principal,
  sessionToken: string,
  password: string,
  clientKey: string,
): Promise<{ token: string; expiresIn: number }> {
  const now = new Date();
  const user = await findUserById(db.kysely, principal.userId);
  if (!user || user.accountId !== principal.accountId) {
    throw new AppError('unauthorized', 'Unauthorized', 'Your session has ended. Log in again.');
  }
  // The same keys as login uses (src/app/auth.ts), so both share one failure count.
  const emailKey = `email:${sha256(user.email)}`;
  const clientKeyName = `client:${clientKey}`;
  const [byEmail, byClient] = await Promise.all([
    loginFailures(db.kysely, emailKey, now, LOGIN_WINDOW_MS),
    loginFailures(db.kysely, clientKeyName, now, LOGIN_WINDOW_MS),
  ]);
  if (byEmail >= MAX_FAILURES_PER_EMAIL || byClient >= MAX_FAILURES_PER_CLIENT) {
    throw new AppError(
      'rate_limited',
      'Too many wrong passwords',
      'Too many wrong passwords. Wait 15 minutes before trying again.',
      { retryAfterSeconds: Math.ceil(LOGIN_WINDOW_MS / 1000) },
    );
  }
  if (!(await verifyPassword(password, user.passwordHash))) {
    await recordLoginFailure(db.kysely, emailKey, now, LOGIN_WINDOW_MS);
    await recordLoginFailure(db.kysely, clientKeyName, now, LOGIN_WINDOW_MS);
    await recordReauthEvent(db, principal, false);
    // 403, not 401: the session is fine, only the confirmation failed (the UI must not log out).
    throw new AppError('forbidden', 'Wrong password', 'That is not your password. Type it again.', {
      reauth_failed: true,
    });
  }
  await clearLoginFailures(db.kysely, emailKey);
  const token = randomBytes(32).toString('base64url');
  await insertReauthToken(db.kysely, {
    tokenHash: sha256(token),
    sessionHash: sessionHashOf(sessionToken),
    userId: principal.userId,
    accountId: principal.accountId,
    now,
    expiresAt: new Date(now.getTime() + REAUTH_TTL_SECONDS * 1000),
  });
  await recordReauthEvent(db, principal, true);
  return { token, expiresIn: REAUTH_TTL_SECONDS };
}

/** Uses up a reauth token of this session and user; false when it is unknown, used or expired. */
export async function consumeReauth(
  db: Db,
  principal: Principal,
  sessionToken: string,
  reauthToken: string,
): Promise<boolean> {
  return consumeReauthToken(db.kysely, {
    tokenHash: sha256(reauthToken),
    sessionHash: sessionHashOf(sessionToken),
    userId: principal.userId,
    accountId: principal.accountId,
    now: new Date(),
  });
}
