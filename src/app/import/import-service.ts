import { randomUUID } from 'node:crypto';
import { insertAuditEvent } from '../../db/audit.repository.ts';
import type { Db } from '../../db/connect.ts';
import {
  findOwnEntries,
  findOwnSetIds,
  insertEntries,
  insertSets,
  lockAccountPlan,
  updateEntries,
  type Conn,
  type EntryUpdateValues,
  type NewEntryValues,
  type SecretCodec,
} from '../../db/credential-entries.repository.ts';
import {
  failJob,
  findJob,
  findJobByKey,
  finishJob,
  inTransaction,
  insertJob,
  insertJobRows,
  listJobRows,
  markJobRunning,
  withJobLock,
  withReservedConnection,
  writeJobProgress,
  type ImportJobRecord,
  type JobPhase,
  type JobRowRecord,
} from '../../db/import-jobs.repository.ts';
import { nowIso } from '../../db/time.ts';
import { parseImportCsv, type ParsedRow } from '../../domain/csv-format.ts';
import { collectReferencedIds, planImport, type ImportPlan } from '../../domain/import-planner.ts';
import type { SecretCipher } from '../../crypto/secret-cipher.ts';
import { AppError } from '../errors.ts';
import { openBatchCodec, type BatchCodec } from '../../crypto/secret-batches.ts';
import {
  failIfOrphaned,
  localJob,
  ownerTag,
  registerRunningJob,
  SHUTDOWN_JOB_ERROR,
  unregisterRunningJob,
} from './job-liveness.ts';

// Import = parse → plan → apply → report.
// The file is parsed and checked as a whole first (a rejected file creates no job). The job row is
// then committed (queued), and the job runs on one reserved connection: one transaction loads the
// referenced sets and entries of the account, plans purely, applies the valid rows with batched
// statements, writes the per-row results and marks the job succeeded. A crash anywhere before the
// commit leaves the account as it was, and the job is later found `running` without a runner and
// marked failed (job-liveness.ts).
//
// Progress (processed_rows): PostgreSQL commits it from another pool connection after every chunk,
// so every server process sees it grow. SQLite has one writer and its readers see committed data
// only, so there the database shows phases (queued → running/loading → done) and the running
// process keeps the live count in memory.

/** A body larger than this cannot be a valid import (20,000 rows of ~3 KB each); 413. */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

const CHUNK_ROWS = 2000;

export interface ImportDeps {
  readonly db: Db;
  readonly cipher: SecretCipher;
  readonly instanceId: string;
  /** Where a job's internal failure is logged (the request's logger, so the request id goes with it). */
  readonly log?: { error(obj: object, msg: string): void };
}

export interface ImportActor {
  accountId: number;
  userId: number | null;
  /** The email of the user, or "cli". */
  actor: string;
}

export interface ImportRequest {
  csv: Uint8Array | string;
  dryRun: boolean;
  idempotencyKey: string | null;
  /** For the audit log only. */
  fileName?: string;
}

export interface StartedImport {
  job: ImportJobRecord;
  /** True when the idempotency key had been used: this is the first job, nothing new ran. */
  replayed: boolean;
}

class JobAborted extends Error {}
class JobLost extends Error {}

function byteLength(csv: Uint8Array | string): number {
  return typeof csv === 'string' ? Buffer.byteLength(csv, 'utf8') : csv.byteLength;
}

/**
 * Checks the file and starts its import job; resolves once the job row exists (queued), with the
 * job. A rejected file throws AppError 'unprocessable' (or 'too_large') and creates nothing.
 */
export async function startImport(deps: ImportDeps, who: ImportActor, req: ImportRequest): Promise<StartedImport> {
  if (req.idempotencyKey !== null) {
    const first = await findJobByKey(deps.db.kysely, who.accountId, req.idempotencyKey);
    if (first) return { job: first, replayed: true };
  }
  if (byteLength(req.csv) > MAX_IMPORT_BYTES) {
    throw new AppError(
      'too_large',
      'File too large',
      `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB, more than any import of at most 20,000 rows can be. Split it into several files.`,
    );
  }
  const parsed = parseImportCsv(req.csv);
  if (parsed.kind === 'rejected') {
    await insertAuditEvent(deps.db.kysely, {
      accountId: who.accountId,
      userId: who.userId,
      actor: who.actor,
      action: 'credential_passwords.import_failed',
      subject: 'import',
      details: { status: 'rejected', reason: parsed.reason, dry_run: req.dryRun, ...fileNameOf(req) },
    });
    throw new AppError('unprocessable', 'File rejected', `Nothing was imported. ${parsed.detail}`, {
      reason: parsed.reason,
    });
  }

  const jobId = randomUUID();
  const abort = new AbortController();
  const local = registerRunningJob(jobId, abort);
  let announce!: (v: StartedImport) => void;
  let refuse!: (e: unknown) => void;
  const announced = new Promise<StartedImport>((resolve, reject) => {
    announce = resolve;
    refuse = reject;
  });

  local.done = withReservedConnection(deps.db, (conn) =>
    withJobLock(conn, jobId, async () => {
      const now = nowIso();
      const { inserted, job } = await insertJob(conn, {
        id: jobId,
        accountId: who.accountId,
        userId: who.userId,
        dryRun: req.dryRun,
        idempotencyKey: req.idempotencyKey,
        delimiter: parsed.delimiter,
        totalRows: parsed.rows.length,
        owner: ownerTag(deps.instanceId),
        now,
      });
      announce({ job, replayed: !inserted });
      if (!inserted) return;
      await markJobRunning(conn, jobId, nowIso());
      try {
        await inTransaction(conn, (tx) => runJob(deps, who, req, job, parsed.rows, tx, abort.signal));
      } catch (error) {
        const aborted = error instanceof JobAborted;
        const lost = error instanceof JobLost;
        const message = aborted
          ? SHUTDOWN_JOB_ERROR
          : `The import stopped because of an internal error (job ${jobId}). Nothing of it was applied; import the file again, and report the job id if it happens again.`;
        if (!lost) {
          await failJob(conn, jobId, message, nowIso());
          await insertAuditEvent(conn, {
            accountId: who.accountId,
            userId: who.userId,
            actor: who.actor,
            action: 'credential_passwords.import_failed',
            subject: `import_job:${jobId}`,
            details: { job_id: jobId, status: 'failed', dry_run: req.dryRun, total_rows: parsed.rows.length },
          });
        }
        if (!aborted && !lost) throw error;
      }
    }),
  )
    .catch((error: unknown) => {
      refuse(error);
      // The job row says failed (or was never written); nothing to rethrow to a poller.
      if (error instanceof JobAborted) return;
      if (deps.log) deps.log.error({ err: error, jobId }, 'import job failed');
      else
        process.stderr.write(`import job ${jobId} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    })
    .finally(() => unregisterRunningJob(jobId));

  return announced;
}

function fileNameOf(req: ImportRequest): { file_name?: string } {
  return req.fileName ? { file_name: req.fileName.slice(0, 200) } : {};
}

/** Progress that other processes can see: PostgreSQL writes it on another pool connection. */
function progressReporter(deps: ImportDeps, jobId: string) {
  const local = localJob(jobId);
  let chain: Promise<void> = Promise.resolve();
  const pg = deps.db.dialect === 'postgres';
  return {
    report(p: { processedRows?: number; phase?: JobPhase }) {
      if (local && p.processedRows !== undefined) local.processedRows = p.processedRows;
      // On SQLite the one connection is ours until commit: nothing else could write meanwhile.
      if (!pg) return;
      chain = chain.then(() => writeJobProgress(deps.db.kysely, jobId, p, nowIso()).catch(() => undefined));
    },
    /** Waits for the progress writes, so none lands after the job's final update. */
    settle: () => chain,
  };
}

async function runJob(
  deps: ImportDeps,
  who: ImportActor,
  req: ImportRequest,
  job: ImportJobRecord,
  rows: ParsedRow[],
  tx: Conn,
  signal: AbortSignal,
): Promise<void> {
  const codec = openBatchCodec(deps.cipher);
  // The worker boots while the account is read (a few tens of ms on a cold start).
  if (rows.length >= 1000) codec.warm();
  try {
    await applyJob(deps, who, req, job, rows, tx, signal, codec);
  } finally {
    codec.close();
  }
}

async function applyJob(
  deps: ImportDeps,
  who: ImportActor,
  req: ImportRequest,
  job: ImportJobRecord,
  rows: ParsedRow[],
  tx: Conn,
  signal: AbortSignal,
  codec: BatchCodec,
): Promise<void> {
  const accountId = who.accountId;
  const progress = progressReporter(deps, job.id);
  const checkAbort = () => {
    if (signal.aborted) throw new JobAborted();
  };

  const plan = await planAgainstAccount(tx, codec, accountId, rows, job.createdAt);
  checkAbort();
  progress.report({ phase: 'applying', processedRows: 0 });

  const now = nowIso();
  const setIdOfGroup = new Map<string, number>();
  if (!req.dryRun && plan.newSets.length > 0) {
    const ids = await insertSets(
      tx,
      accountId,
      plan.newSets.map((s) => s.name),
      now,
    );
    plan.newSets.forEach((s, i) => setIdOfGroup.set(s.group, ids[i]!));
  }

  const results: JobRowRecord[] = new Array<JobRowRecord>(plan.rows.length);
  for (let start = 0; start < plan.rows.length; start += CHUNK_ROWS) {
    const end = Math.min(start + CHUNK_ROWS, plan.rows.length);
    const creates: NewEntryValues[] = [];
    const createdAt: number[] = [];
    const updates: EntryUpdateValues[] = [];
    for (let i = start; i < end; i++) {
      const p = plan.rows[i]!;
      if (p.action === 'failed') {
        results[i] = {
          row: p.row,
          action: 'failed',
          setId: p.setId,
          entryId: p.entryId,
          username: p.username,
          domain: p.domain,
          message: p.message,
          warnings: p.warnings,
        };
      } else if (p.action === 'updated') {
        if (p.changed) updates.push({ entryId: p.entryId, fields: p.fields });
        results[i] = {
          row: p.row,
          action: 'updated',
          setId: p.setId,
          entryId: p.entryId,
          username: p.username,
          domain: p.domain,
          message: p.message,
          warnings: p.warnings,
        };
      } else {
        const setId = p.target.kind === 'existing' ? p.target.setId : (setIdOfGroup.get(p.target.group) ?? null);
        if (setId !== null) {
          creates.push({ setId, fields: p.fields });
          createdAt.push(i);
        }
        results[i] = {
          row: p.row,
          action: 'created',
          setId,
          entryId: null,
          username: p.username,
          domain: p.domain,
          message: p.message,
          warnings: p.warnings,
        };
      }
    }
    if (!req.dryRun) {
      const ids = await insertEntries(tx, codec, accountId, creates, now);
      createdAt.forEach((rowIndex, j) => (results[rowIndex]!.entryId = ids[j]!));
      await updateEntries(tx, codec, accountId, updates, now);
    }
    checkAbort();
    progress.report({ processedRows: end });
  }

  progress.report({ phase: 'reporting' });
  await progress.settle();
  await insertJobRows(tx, job.id, results);
  await insertAuditEvent(tx, {
    accountId,
    userId: who.userId,
    actor: who.actor,
    action: req.dryRun ? 'credential_passwords.import_dry_run' : 'credential_passwords.import',
    subject: `import_job:${job.id}`,
    details: {
      job_id: job.id,
      dry_run: req.dryRun,
      status: 'succeeded',
      total_rows: rows.length,
      counts: plan.counts,
      new_sets: req.dryRun ? 0 : plan.newSets.length,
      delimiter: job.delimiter,
      ...fileNameOf(req),
    },
  });
  checkAbort();
  if (!(await finishJob(tx, job.id, plan.counts, rows.length, nowIso()))) throw new JobLost();
}

/** Loads only what the file refers to (of this account) and plans the import against it. */
async function planAgainstAccount(
  tx: Conn,
  codec: SecretCodec,
  accountId: number,
  rows: ParsedRow[],
  importedAt: string,
): Promise<ImportPlan> {
  const plan = await lockAccountPlan(tx, accountId);
  if (!plan) throw new Error(`account ${accountId} does not exist`);
  const { setIds, entryIds } = collectReferencedIds(rows);
  const [existingSetIds, entries] = [
    await findOwnSetIds(tx, accountId, setIds),
    await findOwnEntries(tx, codec, accountId, entryIds),
  ];
  return planImport(rows, { existingSetIds, entries, setCount: plan.setCount, maxSets: plan.maxSets }, { importedAt });
}

/** The account's job with its live progress; a job whose runner died is marked failed first. */
export async function getImportJob(deps: ImportDeps, accountId: number, jobId: string): Promise<ImportJobRecord> {
  let job = await findJob(deps.db.kysely, accountId, jobId);
  if (!job) throw jobNotFound(jobId);
  if ((job.status === 'queued' || job.status === 'running') && (await failIfOrphaned(deps.db, job))) {
    job = (await findJob(deps.db.kysely, accountId, jobId))!;
  }
  const local = localJob(jobId);
  if (local && job.status === 'running' && local.processedRows > job.processedRows) {
    job = { ...job, processedRows: local.processedRows };
  }
  return job;
}

/** The job once it has finished (or died): awaits it when it runs here, else polls the database. */
export async function waitForImportJob(
  deps: ImportDeps,
  accountId: number,
  jobId: string,
  timeoutMs = 15 * 60 * 1000,
): Promise<ImportJobRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const local = localJob(jobId);
    if (local) await local.done;
    const job = await getImportJob(deps, accountId, jobId);
    if (job.status === 'succeeded' || job.status === 'failed' || Date.now() > deadline) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function listImportJobRows(deps: ImportDeps, job: ImportJobRecord): Promise<JobRowRecord[]> {
  return job.status === 'succeeded' ? listJobRows(deps.db.kysely, job.id) : [];
}

function jobNotFound(jobId: string): AppError {
  return new AppError(
    'not_found',
    'No such import',
    `There is no import job ${JSON.stringify(jobId.slice(0, 64))} in your account; check the id from the import's Location header.`,
  );
}
