import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

// Reauth tokens and rate-limit counters (migration 2026_12_07_120000).

export async function insertReauthToken(
  db: Kysely<Database>,
  t: { tokenHash: string; sessionHash: string; userId: number; accountId: number; now: Date; expiresAt: Date },
): Promise<void> {
  const k = db;
  // Expired tokens are useless; clear them on the way so the table stays small.
  await k.deleteFrom('reauth_tokens').where('expires_at', '<=', t.now.toISOString()).execute();
  await k
    .insertInto('reauth_tokens')
    .values({
      token_hash: t.tokenHash,
      session_hash: t.sessionHash,
      user_id: t.userId,
      account_id: t.accountId,
      created_at: t.now.toISOString(),
      expires_at: t.expiresAt.toISOString(),
    })
    .execute();
}

/**
 * Uses up a reauth token: true when it existed for that session and user and had not expired.
 * One DELETE decides, so two servers given the same token cannot both accept it.
 */
export async function consumeReauthToken(
  db: Kysely<Database>,
  t: { tokenHash: string; sessionHash: string; userId: number; accountId: number; now: Date },
): Promise<boolean> {
  const result = await db
    .deleteFrom('reauth_tokens')
    .where('token_hash', '=', t.tokenHash)
    .where('session_hash', '=', t.sessionHash)
    .where('user_id', '=', t.userId)
    .where('account_id', '=', t.accountId)
    .where('expires_at', '>', t.now.toISOString())
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/**
 * Counts one hit against a fixed window and returns the count so far and when the window started.
 * One statement (an upsert) on both backends, so concurrent servers never lose a hit.
 */
export async function hitRateLimit(
  db: Kysely<Database>,
  key: string,
  now: Date,
  windowMs: number,
): Promise<{ hits: number; windowStartedAt: Date }> {
  const nowIso = now.toISOString();
  const staleBefore = new Date(now.getTime() - windowMs).toISOString();
  const row = await db
    .insertInto('rate_limit_counters')
    .values({ key, hits: 1, window_started_at: nowIso })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet((eb) => ({
        hits: eb
          .case()
          .when('rate_limit_counters.window_started_at', '<=', staleBefore)
          .then(1)
          .else(eb('rate_limit_counters.hits', '+', 1))
          .end(),
        window_started_at: eb
          .case()
          .when('rate_limit_counters.window_started_at', '<=', staleBefore)
          .then(nowIso)
          .else(eb.ref('rate_limit_counters.window_started_at'))
          .end(),
      })),
    )
    .returning(['hits', 'window_started_at'])
    .executeTakeFirstOrThrow();
  return { hits: Number(row.hits), windowStartedAt: new Date(row.window_started_at) };
}
