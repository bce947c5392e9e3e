import { hostname } from 'node:os';
import type { Db } from '../../db/connect.ts';
import { failJob, isJobLockFree, listUnfinishedJobs, type ImportJobRecord } from '../../db/import-jobs.repository.ts';
import { nowIso } from '../../db/time.ts';
import { shutdownHooks } from '../../http/lifecycle.ts';

// Which import jobs are alive. A job runs in the process that accepted it; if that process dies,
// the job row still says `running`, and whoever finds it (a GET, a server start) marks it failed.
//
// How a dead runner is recognised:
// - PostgreSQL: the runner holds a session advisory lock named after the job for the job's whole
//   life, taken before the job row exists. A killed process's connection closes and the lock goes
//   with it, so "running and the lock is free" means "no runner", on any host, at once.
// - SQLite (one machine by nature): the owner column names host, pid and instance. A job owned by
//   this process but not in its registry, or by a pid that no longer exists, has no runner. A
//   heartbeat older than STALE_MS is the last resort (a pid reused by another program).

export const ORPHANED_JOB_ERROR =
  'The server process running this import stopped (it was killed or crashed) before the import finished. Nothing of it was applied; import the file again.';
export const SHUTDOWN_JOB_ERROR =
  'The server shut down before the import finished. Nothing of it was applied; import the file again.';

const STALE_MS = 10 * 60 * 1000;

interface RunningJob {
  done: Promise<unknown>;
  abort: AbortController;
  /** Rows decided so far; the database may lag behind it (SQLite commits progress in phases). */
  processedRows: number;
}

const running = new Map<string, RunningJob>();

/** The owner column's value for jobs this process runs. */
export function ownerTag(instanceId: string): string {
  return `${hostname()}#${process.pid}#${instanceId}`;
}

export function registerRunningJob(jobId: string, abort: AbortController): RunningJob {
  const entry: RunningJob = { done: Promise.resolve(), abort, processedRows: 0 };
  running.set(jobId, entry);
  ensureShutdownHook();
  return entry;
}

export function unregisterRunningJob(jobId: string): void {
  running.delete(jobId);
}

export function localJob(jobId: string): RunningJob | undefined {
  return running.get(jobId);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when nobody runs this unfinished job any more. */
export async function isOrphaned(db: Db, job: ImportJobRecord): Promise<boolean> {
  if (job.status !== 'queued' && job.status !== 'running') return false;
  if (running.has(job.id)) return false;
  if (db.dialect === 'postgres') return isJobLockFree(db.kysely, job.id);
  const stale = Date.now() - Date.parse(job.heartbeatAt ?? job.createdAt) > STALE_MS;
  const [host, pidText] = (job.owner ?? '').split('#');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return stale;
  if (pid === process.pid) return true;
  return !pidAlive(pid) || stale;
}

/** Marks the job failed when its runner is gone; returns whether it did. */
export async function failIfOrphaned(db: Db, job: ImportJobRecord): Promise<boolean> {
  if (!(await isOrphaned(db, job))) return false;
  return failJob(db.kysely, job.id, ORPHANED_JOB_ERROR, nowIso());
}

/** Marks every job whose runner died as failed (at server start); returns how many. */
export async function sweepOrphanedJobs(db: Db): Promise<number> {
  let failed = 0;
  for (const job of await listUnfinishedJobs(db.kysely)) {
    if (await failIfOrphaned(db, job)) failed++;
  }
  return failed;
}

let hookAdded = false;

function ensureShutdownHook(): void {
  if (hookAdded) return;
  hookAdded = true;
  // On SIGTERM: let running imports finish until the deadline, then stop the rest; each rolls
  // back and marks its job failed, so nothing is left half applied or `running`.
  shutdownHooks.push(async (deadline) => {
    const all = () => Promise.allSettled([...running.values()].map((j) => j.done));
    const left = deadline - Date.now();
    if (left > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all(), new Promise((r) => (timer = setTimeout(r, left)))]);
      clearTimeout(timer);
    }
    for (const job of running.values()) job.abort.abort();
    await all();
  });
}
