import { DecryptError, type SecretCipher } from '../crypto/secret-cipher.ts';
import type { Db } from '../db/connect.ts';
import { insertAuditEvent } from '../db/audit.repository.ts';
import {
  countRunningRuns,
  failStaleRuns,
  findRun,
  findTest,
  finishRun,
  latestRunsOf,
  listRunResults,
  listRuns as listRunRows,
  readEntriesForRegistration,
  readEntryForRegistration,
  recordRunResult,
  touchRuns,
  insertRun,
  type EntryForRegistration,
  type RunRecord,
  type RunResult,
  type TransportName,
} from '../db/projects.repository.ts';
import { nowIso } from '../db/time.ts';
import { AppError } from './errors.ts';
import { checkRegistrar, registrarOf, type Actor, type Registrar } from './projects.ts';
import { registerCheck, type RegistrationOutcome as SipOutcome } from '../sip/register.ts';
import { parseProxy, resolveDomain, resolveProxy, type Resolution } from '../sip/resolve.ts';

// Registration runs: a run reads the first N entries of a test's credential set once, when it starts
// (later changes do not affect it), registers each of them with a few at a time, and records every
// entry's final SIP status as it arrives. Runs live in the database, so any server can answer for them;
// a run whose process died stops sending heartbeats and is marked failed when it is found.

export type { RunRecord, RunResult };

export interface RegistrationDeps {
  readonly db: Db;
  readonly cipher: SecretCipher;
  /** This process, as the owner of the runs it works on. */
  readonly instanceId: string;
  /** The SIP check of one entry; the real client unless a test replaces it. */
  readonly register?: RegisterEntry;
}

export interface HowToRegister {
  registrar: Registrar;
  transport: TransportName;
  timeoutSeconds: number;
}

/**
 * What one entry's check gave: the SIP client's outcome; `no_dns` when the domain has no address,
 * `error` when the check itself broke.
 */
export type RegistrationOutcome = Omit<SipOutcome, 'kind'> & { kind: SipOutcome['kind'] | 'no_dns' | 'error' };

export type RegisterEntry = (entry: EntryForRegistration, how: HowToRegister) => Promise<RegistrationOutcome>;

export interface RunWithResults extends RunRecord {
  results: RunResult[];
}

/** How many entries of one run register at the same time. */
export const RUN_CONCURRENCY = 4;
/** How many runs one account may have going at once (each sends traffic to a registrar). */
export const MAX_RUNNING_PER_ACCOUNT = 3;
export const HEARTBEAT_MS = 5_000;
/** A running run without a heartbeat for this long was left behind by a process that died. */
export const STALE_AFTER_MS = 30_000;

const DIED =
  'The server running this check stopped before it finished; the entries without a result were not checked. Start the run again.';
const SHUT_DOWN =
  'The server shut down before this run finished; the entries without a result were not checked. Start the run again.';

// The runs this process works on, so their heartbeats go on and shutdown can wait for them.
const active = new Map<number, { db: Db; owner: string; done: Promise<void> }>();
let heartbeat: NodeJS.Timeout | undefined;

function track(runId: number, db: Db, owner: string, done: Promise<void>): void {
  active.set(runId, { db, owner, done });
  heartbeat ??= setInterval(() => void beat(), HEARTBEAT_MS);
  heartbeat.unref();
  void done.finally(() => {
    active.delete(runId);
    if (active.size === 0 && heartbeat) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
  });
}

async function beat(): Promise<void> {
  const byDb = new Map<Db, { owner: string; ids: number[] }>();
  for (const [id, run] of active) {
    const group = byDb.get(run.db) ?? { owner: run.owner, ids: [] };
    group.ids.push(id);
    byDb.set(run.db, group);
  }
  for (const [db, group] of byDb) {
    // A missed beat is harmless: the next one comes long before a run counts as stale.
    await touchRuns(db.kysely, group.ids, group.owner).catch(() => undefined);
  }
}

/**
 * Waits for this process's runs until the deadline; runs still going then are marked failed,
 * and their remaining results are dropped (a failed run takes no more results).
 */
export async function drainRuns(deadline: number): Promise<void> {
  const runs = [...active.entries()];
  if (runs.length === 0) return;
  const left = Math.max(0, deadline - Date.now());
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(runs.map(([, r]) => r.done)),
    new Promise<void>((done) => {
      timer = setTimeout(done, left);
    }),
  ]);
  clearTimeout(timer);
  for (const [id, run] of runs) {
    if (active.has(id)) {
      await finishRun(run.db.kysely, id, run.owner, { status: 'failed', error: SHUT_DOWN }).catch(() => undefined);
    }
  }
}

/** Marks the account's runs of dead processes failed (called whenever runs are read). */
async function failOrphans(db: Db, accountId: number): Promise<void> {
  const staleBefore = new Date(Date.now() - STALE_AFTER_MS).toISOString();
  await failStaleRuns(db.kysely, accountId, staleBefore, DIED);
}

function isSuccess(code: number | null): boolean {
  return code !== null && code >= 200 && code < 300;
}

// A bug in the check of one entry must not stop the others: it becomes that entry's result.
async function safeRegister(
  register: RegisterEntry,
  entry: EntryForRegistration,
  how: HowToRegister,
): Promise<RegistrationOutcome> {
  const started = Date.now();
  try {
    return await register(entry, how);
  } catch (e) {
    return {
      statusCode: null,
      reason: 'Check failed',
      durationMs: Date.now() - started,
      message: `The check of this entry broke on our side (${e instanceof Error ? e.message : String(e)}); try again, and report it if it happens again.`,
      kind: 'error',
    };
  }
}

// ---------- runs of a test

/**
 * Starts a run of a registration test. The credentials are read (and decrypted) once, here; the run
 * then goes on in the background. With `wait`, answers when it has finished.
 */
export async function startRun(
  deps: RegistrationDeps,
  actor: Actor,
  testId: number,
  opts: { wait?: boolean } = {},
): Promise<RunWithResults> {
  const { db } = deps;
  const test = await findTest(db.kysely, actor.accountId, testId);
  if (!test) throw new AppError('not_found', 'Test not found', `There is no test ${testId} in your account.`);
  if (!test.credentialSet) {
    throw new AppError(
      'unprocessable',
      'No credential set',
      'This test has no credential set yet: choose one in the test configuration, then run it.',
    );
  }
  const set = test.credentialSet;
  const aliveSince = new Date(Date.now() - STALE_AFTER_MS).toISOString();
  if ((await countRunningRuns(db.kysely, actor.accountId, aliveSince)) >= MAX_RUNNING_PER_ACCOUNT) {
    throw new AppError(
      'rate_limited',
      'Too many runs at once',
      `This account already has ${MAX_RUNNING_PER_ACCOUNT} runs going, the most it may; wait for one to finish and start this one again.`,
      { retryAfterSeconds: 5 },
    );
  }
  let snapshot: EntryForRegistration[];
  try {
    snapshot = await readEntriesForRegistration(
      db.kysely,
      (enc, accountId) => deps.cipher.decrypt(enc, accountId),
      actor.accountId,
      set.id,
      test.entriesToTry,
    );
  } catch (e) {
    if (e instanceof DecryptError) throw undecryptable();
    throw e;
  }
  if (snapshot.length === 0) {
    throw new AppError(
      'unprocessable',
      'Empty credential set',
      `The credential set "${set.name}" has no entries: add entries under SIP Credentials or choose another set.`,
    );
  }
  const how: HowToRegister = {
    registrar: registrarOf(test),
    transport: test.transport,
    timeoutSeconds: test.timeoutSeconds,
  };
  const settings = {
    credential_set_id: set.id,
    credential_set_name: set.name,
    registrar: how.registrar,
    transport: how.transport,
    entries_to_try: test.entriesToTry,
    timeout_seconds: how.timeoutSeconds,
  };
  const runId = await insertRun(db.kysely, {
    accountId: actor.accountId,
    testId,
    total: snapshot.length,
    settings,
    owner: deps.instanceId,
    createdBy: actor.name,
  });
  await insertAuditEvent(db.kysely, {
    accountId: actor.accountId,
    userId: actor.userId,
    actor: actor.name,
    action: 'registration_run.started',
    subject: `test ${testId}`,
    details: {
      run_id: runId,
      test_id: testId,
      credential_set_id: set.id,
      entries: snapshot.map((e) => e.entryId),
      registrar: how.registrar.mode === 'proxy' ? `proxy ${how.registrar.proxy}` : 'dns',
      transport: how.transport,
    },
  });
  const done = executeRun(deps, runId, snapshot, how);
  track(runId, db, deps.instanceId, done);
  if (opts.wait) await done;
  return getRun(deps, actor.accountId, runId);
}

function undecryptable(): AppError {
  return new AppError(
    'unavailable',
    'Passwords cannot be read',
    'The passwords of this credential set cannot be decrypted with the configured master keys; check SIPCREDS_MASTER_KEY (see `sipcreds keys`).',
  );
}

async function executeRun(
  deps: RegistrationDeps,
  runId: number,
  snapshot: EntryForRegistration[],
  how: HowToRegister,
): Promise<void> {
  const { db, instanceId } = deps;
  const register = deps.register ?? registerEntry;
  let next = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped && next < snapshot.length) {
      const position = next + 1;
      const entry = snapshot[next++]!;
      const outcome = await safeRegister(register, entry, how);
      if (stopped) return;
      const kept = await recordRunResult(db.kysely, runId, instanceId, {
        position,
        entryId: entry.entryId,
        username: entry.username,
        domain: entry.domain,
        outcome: outcome.kind,
        statusCode: outcome.statusCode,
        reason: outcome.reason,
        durationMs: outcome.durationMs,
        message: outcome.message,
        finishedAt: nowIso(),
      });
      // The run was deleted with its test, or marked failed (shutdown): no more work for it.
      if (!kept) stopped = true;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(RUN_CONCURRENCY, snapshot.length) }, worker));
    if (!stopped) await finishRun(db.kysely, runId, instanceId, { status: 'succeeded', error: null });
  } catch (e) {
    stopped = true;
    const why = e instanceof Error ? e.message : String(e);
    await finishRun(db.kysely, runId, instanceId, {
      status: 'failed',
      error: `The run stopped because the database refused a write (${why}); start it again.`,
    }).catch(() => undefined);
  } finally {
    // The plaintext passwords go with the snapshot.
    snapshot.length = 0;
  }
}

export async function getRun(deps: RegistrationDeps, accountId: number, runId: number): Promise<RunWithResults> {
  await failOrphans(deps.db, accountId);
  const run = await findRun(deps.db.kysely, accountId, runId);
  if (!run) throw new AppError('not_found', 'Run not found', `There is no run ${runId} in your account.`);
  return { ...run, results: await listRunResults(deps.db.kysely, runId) };
}

export async function listRuns(
  deps: RegistrationDeps,
  accountId: number,
  testId: number,
  page: { limit: number; offset: number },
): Promise<{ total: number; items: RunRecord[] }> {
  if (!(await findTest(deps.db.kysely, accountId, testId))) {
    throw new AppError('not_found', 'Test not found', `There is no test ${testId} in your account.`);
  }
  await failOrphans(deps.db, accountId);
  return listRunRows(deps.db.kysely, accountId, testId, page);
}

/** The latest run of each test, for lists. */
export async function latestRuns(deps: RegistrationDeps, accountId: number, testIds: number[]) {
  await failOrphans(deps.db, accountId);
  return latestRunsOf(deps.db.kysely, accountId, testIds);
}

// ---------- one entry, checked now (Import results' Verify registration, `sipcreds verify`)

export interface CheckRequest {
  entryId: number;
  /** host:port; without it the entry's domain is resolved as RFC 3263 says. */
  proxy?: string;
  transport?: TransportName;
  timeoutSeconds?: number;
}

export interface CheckResult {
  entryId: number;
  statusCode: number | null;
  reason: string;
  durationMs: number;
  message: string;
  kind: string;
  passed: boolean;
}

/** Registers one entry of the account now and says what the registrar answered. */
export async function checkEntry(deps: RegistrationDeps, actor: Actor, req: CheckRequest): Promise<CheckResult> {
  let entry: EntryForRegistration | undefined;
  try {
    entry = await readEntryForRegistration(
      deps.db.kysely,
      (enc, accountId) => deps.cipher.decrypt(enc, accountId),
      actor.accountId,
      req.entryId,
    );
  } catch (e) {
    if (e instanceof DecryptError) throw undecryptable();
    throw e;
  }
  if (!entry) {
    throw new AppError('not_found', 'Entry not found', `There is no credential entry ${req.entryId} in your account.`);
  }
  const how: HowToRegister = {
    registrar: checkRegistrar(req.proxy ? { mode: 'proxy', proxy: req.proxy } : { mode: 'dns' }),
    transport: req.transport ?? 'udp',
    timeoutSeconds: req.timeoutSeconds ?? 5,
  };
  const outcome = await safeRegister(deps.register ?? registerEntry, entry, how);
  await insertAuditEvent(deps.db.kysely, {
    accountId: actor.accountId,
    userId: actor.userId,
    actor: actor.name,
    action: 'registration_check',
    subject: `entry ${entry.entryId}`,
    details: {
      entry_id: entry.entryId,
      registrar: how.registrar.mode === 'proxy' ? `proxy ${how.registrar.proxy}` : 'dns',
      transport: how.transport,
      status_code: outcome.statusCode,
      reason: outcome.reason,
    },
  });
  return {
    entryId: entry.entryId,
    statusCode: outcome.statusCode,
    reason: outcome.reason,
    durationMs: outcome.durationMs,
    message: outcome.message,
    kind: outcome.kind,
    passed: isSuccess(outcome.statusCode),
  };
}

// ---------- the SIP client, reached the way the test says

/** How many of a domain's addresses (RFC 3263 order) are tried when the earlier ones do not answer. */
const MAX_TARGETS = 3;

/**
 * Registers one entry through the registrar the settings name: an explicit proxy, or the entry's
 * domain resolved as RFC 3263 says. When an address does not answer (timeout, network error), the
 * next one is tried, as RFC 3263 §4.3 asks; a SIP answer of any kind is final.
 */
export async function registerEntry(entry: EntryForRegistration, how: HowToRegister): Promise<RegistrationOutcome> {
  const started = Date.now();
  let resolution: Resolution;
  if (how.registrar.mode === 'proxy') {
    const proxy = parseProxy(how.registrar.proxy);
    if (proxy.kind === 'invalid') return noTarget('Invalid proxy', proxy.message, 'invalid', started);
    resolution = await resolveProxy(proxy, how.transport);
  } else {
    resolution = await resolveDomain(entry.domain, how.transport);
  }
  if (resolution.kind === 'invalid') return noTarget('Invalid domain', resolution.message, 'invalid', started);
  if (resolution.kind === 'no_dns') return noTarget('No DNS answer', resolution.message, 'no_dns', started);
  // Time taken = the DNS look-ups plus each attempt up to its REGISTER's answer (not the unregister).
  let durationMs = Date.now() - started;
  let outcome: RegistrationOutcome | undefined;
  for (const target of resolution.targets.slice(0, MAX_TARGETS)) {
    outcome = await registerCheck({
      username: entry.username,
      domain: entry.domain,
      authUsername: entry.authUsername,
      password: entry.password,
      target,
      timeoutMs: how.timeoutSeconds * 1000,
    });
    durationMs += outcome.durationMs;
    if (outcome.kind !== 'timeout' && outcome.kind !== 'network') break;
  }
  if (!outcome) return noTarget('No DNS answer', `No address was found for ${entry.domain}.`, 'no_dns', started);
  return { ...outcome, durationMs };
}

function noTarget(
  reason: string,
  message: string,
  kind: RegistrationOutcome['kind'],
  started: number,
): RegistrationOutcome {
  return { statusCode: null, reason, message, kind, durationMs: Date.now() - started };
}
