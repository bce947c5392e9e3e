import { PostgresAdapter, type Kysely } from 'kysely';

// Projects hold test configurations; a registration test uses one credential set.
// Runs and their per-entry results are kept so users can compare earlier runs.
export async function up(db: Kysely<any>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  const id = pg ? 'serial' : 'integer';
  const pk = (c: any) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement());

  await db.schema
    .createTable('projects')
    .addColumn('id', id, pk)
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('projects_account_idx').on('projects').columns(['account_id', 'id']).execute();

  await db.schema
    .createTable('test_configs')
    .addColumn('id', id, pk)
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('registration'))
    // A set in use cannot be deleted: the database refuses too, not only the app.
    .addColumn('credential_set_id', 'integer', (c) => c.references('credential_sets.id').onDelete('restrict'))
    .addColumn('registrar_mode', 'text', (c) => c.notNull().defaultTo('dns'))
    .addColumn('proxy', 'text')
    .addColumn('transport', 'text', (c) => c.notNull().defaultTo('udp'))
    .addColumn('entries_to_try', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('timeout_seconds', 'integer', (c) => c.notNull().defaultTo(5))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('test_configs_project_idx')
    .on('test_configs')
    .columns(['account_id', 'project_id'])
    .execute();
  await db.schema.createIndex('test_configs_set_idx').on('test_configs').columns(['credential_set_id']).execute();

  await db.schema
    .createTable('registration_runs')
    .addColumn('id', id, pk)
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('test_id', 'integer', (c) => c.references('test_configs.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('done', 'integer', (c) => c.notNull())
    .addColumn('passed', 'integer', (c) => c.notNull())
    .addColumn('failed', 'integer', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema
    .createIndex('registration_runs_test_idx')
    .on('registration_runs')
    .columns(['account_id', 'test_id', 'id'])
    .execute();

  await db.schema
    .createTable('registration_results')
    .addColumn('run_id', 'integer', (c) => c.notNull().references('registration_runs.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('entry_id', 'integer', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registration_results_pk', ['run_id', 'position'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['registration_results', 'registration_runs', 'test_configs', 'projects']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
