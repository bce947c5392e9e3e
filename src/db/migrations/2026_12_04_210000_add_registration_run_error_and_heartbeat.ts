import type { Kysely } from 'kysely';

// A run says why it failed (`error`), and a running run proves it is alive (`heartbeat_at`):
// a run whose heartbeat has stopped was left behind by a process that died, and is marked failed.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('registration_runs').addColumn('error', 'text').execute();
  await db.schema.alterTable('registration_runs').addColumn('heartbeat_at', 'text').execute();
  await db.schema
    .createIndex('registration_runs_status_idx')
    .on('registration_runs')
    .columns(['status', 'heartbeat_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('registration_runs_status_idx').ifExists().execute();
  await db.schema.alterTable('registration_runs').dropColumn('heartbeat_at').execute();
  await db.schema.alterTable('registration_runs').dropColumn('error').execute();
}
