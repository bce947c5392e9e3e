import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Import jobs say which phase they are in and prove they are alive (`heartbeat_at`), so a job left
// `running` by a process that died is found and marked failed.
// Credential sets carry their entry count, kept by triggers whoever writes the entries, so the
// Credential Passwords page can split sets into bulk (> 5 entries) and small (≤ 5) without
// counting 100,000 entries on every page view.
export async function up(db: Kysely<any>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;

  await db.schema.alterTable('import_jobs').addColumn('heartbeat_at', 'text').execute();
  await db.schema.alterTable('import_jobs').addColumn('phase', 'text').execute();
  await db.schema
    .alterTable('credential_sets')
    .addColumn('entry_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`update credential_sets set entry_count =
      (select count(*) from credential_entries e where e.set_id = credential_sets.id)`.execute(db);
  await db.schema
    .createIndex('credential_sets_account_count_idx')
    .on('credential_sets')
    .columns(['account_id', 'entry_count', 'id'])
    .execute();

  if (pg) {
    // Statement-level triggers with transition tables: one UPDATE per statement, not per row,
    // so a 20,000-row import pays for one aggregate.
    await sql`create function credential_entries_count_insert() returns trigger language plpgsql as $$
      begin
        update credential_sets s set entry_count = s.entry_count + d.n
          from (select set_id, count(*) as n from new_rows group by set_id) d where s.id = d.set_id;
        return null;
      end $$`.execute(db);
    await sql`create trigger credential_entries_count_insert after insert on credential_entries
      referencing new table as new_rows for each statement
      execute function credential_entries_count_insert()`.execute(db);
    await sql`create function credential_entries_count_delete() returns trigger language plpgsql as $$
      begin
        update credential_sets s set entry_count = s.entry_count - d.n
          from (select set_id, count(*) as n from old_rows group by set_id) d where s.id = d.set_id;
        return null;
      end $$`.execute(db);
    await sql`create trigger credential_entries_count_delete after delete on credential_entries
      referencing old table as old_rows for each statement
      execute function credential_entries_count_delete()`.execute(db);
    await sql`create function credential_entries_count_move() returns trigger language plpgsql as $$
      begin
        update credential_sets set entry_count = entry_count - 1 where id = old.set_id;
        update credential_sets set entry_count = entry_count + 1 where id = new.set_id;
        return null;
      end $$`.execute(db);
    await sql`create trigger credential_entries_count_move after update of set_id on credential_entries
      for each row when (old.set_id is distinct from new.set_id)
      execute function credential_entries_count_move()`.execute(db);
  } else {
    await sql`create trigger credential_entries_count_insert after insert on credential_entries begin
      update credential_sets set entry_count = entry_count + 1 where id = new.set_id;
    end`.execute(db);
    await sql`create trigger credential_entries_count_delete after delete on credential_entries begin
      update credential_sets set entry_count = entry_count - 1 where id = old.set_id;
    end`.execute(db);
    await sql`create trigger credential_entries_count_move after update of set_id on credential_entries
      when old.set_id <> new.set_id begin
      update credential_sets set entry_count = entry_count - 1 where id = old.set_id;
      update credential_sets set entry_count = entry_count + 1 where id = new.set_id;
    end`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  for (const t of [
    'credential_entries_count_insert',
    'credential_entries_count_delete',
    'credential_entries_count_move',
  ]) {
    await sql`drop trigger if exists ${sql.raw(t)}${sql.raw(pg ? ' on credential_entries' : '')}`.execute(db);
    if (pg) await sql`drop function if exists ${sql.raw(t)}()`.execute(db);
  }
  await db.schema.dropIndex('credential_sets_account_count_idx').ifExists().execute();
  await db.schema.alterTable('credential_sets').dropColumn('entry_count').execute();
  await db.schema.alterTable('import_jobs').dropColumn('phase').execute();
  await db.schema.alterTable('import_jobs').dropColumn('heartbeat_at').execute();
}
