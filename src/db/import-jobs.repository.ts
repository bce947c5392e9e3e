import { sql } from 'kysely';
import type { Db } from './connect.ts';
import { isPostgres, type Conn } from './credential-entries.repository.ts';
import type { ImportJobTable } from './schema.ts';

// Import jobs and their per-row results. Jobs live in the database, so any server process
// answers for any job; the process that runs a job proves it is alive (see jobOwnerAlive).

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';
export type JobPhase = 'queued' | 'loading' | 'applying' | 'reporting' | 'done';
export type RowAction = 'updated' | 'created' | 'failed';

export interface ImportJobRecord {
  id: string;
  accountId: number;
  userId: number | null;
  status: JobStatus;
  dryRun: boolean;
  delimiter: string;
  totalRows: number;
  processedRows: number;
  counts: { updated: number; created: number; failed: number };
  error: string | null;
  owner: string | null;
  phase: JobPhase | null;
  heartbeatAt: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface JobRowRecord {
  row: number;
  action: RowAction;
  setId: number | null;
  entryId: number | null;
  username: string;
  domain: string;
  message: string;
  warnings: string[];
}

function toRecord(r: ImportJobTable): ImportJobRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    userId: r.user_id,
    status: r.status,
    dryRun: Boolean(r.dry_run),
    delimiter: r.delimiter,
    totalRows: r.total_rows,
    processedRows: r.processed_rows,
    counts: { updated: r.updated_count, created: r.created_count, failed: r.failed_count },
    error: r.error,
    owner: r.owner,
    phase: r.phase as JobPhase | null,
    heartbeatAt: r.heartbeat_at,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

/**
 * Runs `fn` on one connection reserved for it (SQLite has only one; PostgreSQL takes one from the
 * pool), so session state such as an advisory lock or an open transaction stays with the work.
 */
export async function withReservedConnection<T>(db: Db, fn: (conn: Conn) => Promise<T>): Promise<T> {
  return db.kysely.connection().execute(fn);
}

/**
 * One transaction on a reserved connection. SQLite begins IMMEDIATE, so the write lock is taken
 * before anything is read and the plan cannot go stale; PostgreSQL locks rows as it reads them.
 */
export async function inTransaction<T>(conn: Conn, fn: (tx: Conn) => Promise<T>): Promise<T> {
  await sql`${sql.raw(isPostgres(conn) ? 'begin' : 'begin immediate')}`.execute(conn);
  try {
    const result = await fn(conn);
    await sql`commit`.execute(conn);
    return result;
  } catch (error) {
    await sql`rollback`.execute(conn).catch(() => undefined);
    throw error;
  }
}

// PostgreSQL advisory locks: namespace 0x5343 ("SC") for import jobs, keyed by a hash of the job id.
const LOCK_NAMESPACE = 0x5343;

/**
 * Holds a session-level advisory lock named after the job on this connection while `fn` runs.
 * PostgreSQL releases it when the connection ends, so a killed process frees it at once: a job
 * whose lock is free and that is still `running` has no one running it.
 */
export async function withJobLock<T>(conn: Conn, jobId: string, fn: () => Promise<T>): Promise<T> {
  if (!isPostgres(conn)) return fn();
  await sql`select pg_advisory_lock(${LOCK_NAMESPACE}, hashtext(${jobId}))`.execute(conn);
  try {
    return await fn();
  } finally {
    await sql`select pg_advisory_unlock(${LOCK_NAMESPACE}, hashtext(${jobId}))`.execute(conn).catch(() => undefined);
  }
}

/** PostgreSQL only: true when no session holds the job's lock (its runner is gone). */
export async function isJobLockFree(conn: Conn, jobId: string): Promise<boolean> {
  const { rows } = await sql<{ free: boolean }>`
    select case when pg_try_advisory_lock(${LOCK_NAMESPACE}, hashtext(${jobId}))
                then pg_advisory_unlock(${LOCK_NAMESPACE}, hashtext(${jobId}))
                else false end as free`.execute(conn);
  return rows[0]?.free === true;
}

export interface NewJob {
  id: string;
  accountId: number;
  userId: number | null;
  dryRun: boolean;
  idempotencyKey: string | null;
  delimiter: string;
  totalRows: number;
  owner: string;
  now: string;
}

/**
 * Inserts a queued job. With an idempotency key already used by the account, inserts nothing
 * and returns the first job instead (the unique constraint decides, so racing requests agree).
 */
export async function insertJob(conn: Conn, job: NewJob): Promise<{ inserted: boolean; job: ImportJobRecord }> {
  const row = await conn
    .insertInto('import_jobs')
    .values({
      id: job.id,
      account_id: job.accountId,
      user_id: job.userId,
      status: 'queued',
      dry_run: job.dryRun ? 1 : 0,
      idempotency_key: job.idempotencyKey,
      delimiter: job.delimiter,
      total_rows: job.totalRows,
      processed_rows: 0,
      updated_count: 0,
      created_count: 0,
      failed_count: 0,
      error: null,
      owner: job.owner,
      created_at: job.now,
      started_at: null,
      finished_at: null,
      heartbeat_at: job.now,
      phase: 'queued',
    })
    .onConflict((oc) => oc.columns(['account_id', 'idempotency_key']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (row) return { inserted: true, job: toRecord(row) };
  const first = job.idempotencyKey === null ? undefined : await findJobByKey(conn, job.accountId, job.idempotencyKey);
  if (!first) throw new Error('import job insert conflicted but no job holds the key');
  return { inserted: false, job: first };
}

export async function findJob(conn: Conn, accountId: number, jobId: string): Promise<ImportJobRecord | undefined> {
  const row = await conn
    .selectFrom('import_jobs')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', jobId)
    .executeTakeFirst();
  return row && toRecord(row);
}

export async function findJobByKey(conn: Conn, accountId: number, key: string): Promise<ImportJobRecord | undefined> {
  const row = await conn
    .selectFrom('import_jobs')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
  return row && toRecord(row);
}

/** Jobs not finished, of every account: candidates for the orphan check at start. */
export async function listUnfinishedJobs(conn: Conn): Promise<ImportJobRecord[]> {
  const rows = await conn.selectFrom('import_jobs').selectAll().where('status', 'in', ['queued', 'running']).execute();
  return rows.map(toRecord);
}

export async function markJobRunning(conn: Conn, jobId: string, now: string): Promise<void> {
  await conn
    .updateTable('import_jobs')
    .set({ status: 'running', phase: 'loading', started_at: now, heartbeat_at: now })
    .where('id', '=', jobId)
    .where('status', '=', 'queued')
    .execute();
}

/** Progress and liveness, committed on its own (outside the import's transaction). */
export async function writeJobProgress(
  conn: Conn,
  jobId: string,
  progress: { processedRows?: number; phase?: JobPhase },
  now: string,
): Promise<void> {
  await conn
    .updateTable('import_jobs')
    .set({
      heartbeat_at: now,
      ...(progress.processedRows === undefined ? {} : { processed_rows: progress.processedRows }),
      ...(progress.phase === undefined ? {} : { phase: progress.phase }),
    })
    .where('id', '=', jobId)
    .where('status', '=', 'running')
    .execute();
}

/**
 * Marks the job succeeded with its counts, inside the import's transaction. False when the job
 * is no longer running (someone judged it dead): the caller must then roll back.
 */
export async function finishJob(
  tx: Conn,
  jobId: string,
  counts: { updated: number; created: number; failed: number },
  totalRows: number,
  now: string,
): Promise<boolean> {
  const result = await tx
    .updateTable('import_jobs')
    .set({
      status: 'succeeded',
      phase: 'done',
      processed_rows: totalRows,
      updated_count: counts.updated,
      created_count: counts.created,
      failed_count: counts.failed,
      finished_at: now,
      heartbeat_at: now,
    })
    .where('id', '=', jobId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Marks an unfinished job failed with a reason; false when it had finished already. */
export async function failJob(conn: Conn, jobId: string, error: string, now: string): Promise<boolean> {
  const result = await conn
    .updateTable('import_jobs')
    .set({ status: 'failed', phase: 'done', error, finished_at: now })
    .where('id', '=', jobId)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Writes the per-row results of a job (in its transaction). */
export async function insertJobRows(tx: Conn, jobId: string, rows: readonly JobRowRecord[]): Promise<void> {
  if (rows.length === 0) return;
  if (isPostgres(tx)) {
    await sql`
      insert into import_job_rows (job_id, row, action, set_id, entry_id, username, domain, message, warnings)
      select ${jobId}::text, v.row, v.action, v.set_id, v.entry_id, v.username, v.domain, v.message, v.warnings
      from unnest(${rows.map((r) => r.row)}::int[], ${rows.map((r) => r.action)}::text[],
                  ${rows.map((r) => r.setId)}::int[], ${rows.map((r) => r.entryId)}::int[],
                  ${rows.map((r) => r.username)}::text[], ${rows.map((r) => r.domain)}::text[],
                  ${rows.map((r) => r.message)}::text[], ${rows.map((r) => JSON.stringify(r.warnings))}::text[])
           as v(row, action, set_id, entry_id, username, domain, message, warnings)`.execute(tx);
    return;
  }
  // SQLite: the rows travel as one JSON parameter, unpacked by json_each (SQLite's unnest): no
  // bound-parameter limit to mind and no query tree of 180,000 values to build.
  const json = JSON.stringify(
    rows.map((r) => [r.row, r.action, r.setId, r.entryId, r.username, r.domain, r.message, JSON.stringify(r.warnings)]),
  );
  await sql`
    insert into import_job_rows (job_id, row, action, set_id, entry_id, username, domain, message, warnings)
    select ${jobId}, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6,
           value ->> 7
    from json_each(${json})`.execute(tx);
}

/** The per-row results of a job, by row number. */
export async function listJobRows(conn: Conn, jobId: string): Promise<JobRowRecord[]> {
  const rows = await conn
    .selectFrom('import_job_rows')
    .select(['row', 'action', 'set_id', 'entry_id', 'username', 'domain', 'message', 'warnings'])
    .where('job_id', '=', jobId)
    .orderBy('row')
    .execute();
  return rows.map((r) => ({
    row: r.row,
    action: r.action,
    setId: r.set_id,
    entryId: r.entry_id,
    username: r.username,
    domain: r.domain,
    message: r.message,
    warnings: JSON.parse(r.warnings) as string[],
  }));
}
