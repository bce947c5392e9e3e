import type { Kysely } from 'kysely';

// Frozen in time: written against Kysely<any>, no app imports.
// reauth_tokens: proof that a signed-in user re-entered their password a moment ago (Export All asks
// for it). Only a hash of the token is stored, bound to the session it was issued to; single use.
// rate_limit_counters: fixed-window request counters per key (account and route group), in the
// database so that a limit holds across every server behind the load balancer.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('reauth_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('session_hash', 'text', (c) => c.notNull())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('account_id', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('reauth_tokens_expires_idx').on('reauth_tokens').column('expires_at').execute();

  await db.schema
    .createTable('rate_limit_counters')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .addColumn('window_started_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rate_limit_counters').ifExists().execute();
  await db.schema.dropTable('reauth_tokens').ifExists().execute();
}
