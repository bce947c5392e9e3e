import type { Kysely, Selectable } from 'kysely';
import type { Database, RegistrationResultTable, RegistrationRunTable, TestConfigTable } from './schema.ts';
import { nowIso } from './time.ts';

// Projects, their registration tests, runs and per-entry results. Every query is scoped by account:
// another account's id finds nothing, exactly like an id that does not exist.

export interface Project {
  id: number;
  name: string;
  description: string;
  testCount: number;
  createdAt: string;
  updatedAt: string;
}

export type RegistrarMode = 'dns' | 'proxy';
export type TransportName = 'udp' | 'tcp';

export interface TestConfig {
  id: number;
  projectId: number;
  name: string;
  kind: string;
  credentialSet: { id: number; name: string; entryCount: number } | null;
  registrarMode: RegistrarMode;
  proxy: string | null;
  transport: TransportName;
  entriesToTry: number;
  timeoutSeconds: number;
  createdAt: string;
  updatedAt: string;
}

export interface TestConfigFields {
  name: string;
  credentialSetId: number | null;
  registrarMode: RegistrarMode;
  proxy: string | null;
  transport: TransportName;
  entriesToTry: number;
  timeoutSeconds: number;
}

export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface RunRecord {
  id: number;
  testId: number | null;
  status: RunStatus;
  error: string | null;
  total: number;
  done: number;
  passed: number;
  failed: number;
  /** What the run was started with (never a secret). */
  settings: Record<string, unknown>;
  createdBy: string;
  createdAt: string;
  finishedAt: string | null;
}

export interface RunResult {
  position: number;
  entryId: number;
  username: string;
  domain: string;
  outcome: string;
  statusCode: number | null;
  reason: string;
  durationMs: number;
  message: string;
  finishedAt: string;
}

/** An entry with its password decrypted: lives only inside the use case that reads it, never stored. */
export interface EntryForRegistration {
  entryId: number;
  setId: number;
  username: string;
  domain: string;
  displayName: string;
  authUsername: string;
  password: string;
}

/** Decrypts a stored secret of the account (the app's SecretCipher). */
export type Reveal = (ciphertext: string, accountId: number) => string;

// ---------- projects

export async function insertProject(
  db: Kysely<Database>,
  accountId: number,
  p: { name: string; description: string },
): Promise<number> {
  const now = nowIso();
  const row = await db
    .insertInto('projects')
    .values({ account_id: accountId, name: p.name, description: p.description, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

function projectQuery(db: Kysely<Database>, accountId: number) {
  return db
    .selectFrom('projects')
    .select((eb) => [
      'projects.id',
      'projects.name',
      'projects.description',
      'projects.created_at',
      'projects.updated_at',
      eb
        .selectFrom('test_configs')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('test_configs.project_id', '=', 'projects.id')
        .as('test_count'),
    ])
    .where('projects.account_id', '=', accountId);
}

type ProjectRow = Awaited<ReturnType<ReturnType<typeof projectQuery>['executeTakeFirstOrThrow']>>;

function toProject(r: ProjectRow): Project {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    testCount: Number(r.test_count ?? 0),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function listProjects(
  db: Kysely<Database>,
  accountId: number,
  page: { limit: number; offset: number },
): Promise<{ total: number; items: Project[] }> {
  const { n } = await db
    .selectFrom('projects')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  const rows = await projectQuery(db, accountId)
    .orderBy('projects.name')
    .orderBy('projects.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return { total: Number(n), items: rows.map(toProject) };
}

export async function findProject(db: Kysely<Database>, accountId: number, id: number): Promise<Project | undefined> {
  const row = await projectQuery(db, accountId).where('projects.id', '=', id).executeTakeFirst();
  return row && toProject(row);
}

/** Returns false when the project is not the account's. */
export async function updateProject(
  db: Kysely<Database>,
  accountId: number,
  id: number,
  p: { name?: string; description?: string },
): Promise<boolean> {
  const res = await db
    .updateTable('projects')
    .set({ ...p, updated_at: nowIso() })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Deletes a project with its tests, runs and results; false when it is not the account's. */
export async function deleteProject(db: Kysely<Database>, accountId: number, id: number): Promise<boolean> {
  const res = await db
    .deleteFrom('projects')
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

// ---------- tests

function testQuery(db: Kysely<Database>, accountId: number) {
  return db
    .selectFrom('test_configs')
    .leftJoin('credential_sets', (join) =>
      join
        .onRef('credential_sets.id', '=', 'test_configs.credential_set_id')
        .on('credential_sets.account_id', '=', accountId),
    )
    .select((eb) => [
      'test_configs.id',
      'test_configs.project_id',
      'test_configs.name',
      'test_configs.kind',
      'test_configs.credential_set_id',
      'test_configs.registrar_mode',
      'test_configs.proxy',
      'test_configs.transport',
      'test_configs.entries_to_try',
      'test_configs.timeout_seconds',
      'test_configs.created_at',
      'test_configs.updated_at',
      'credential_sets.name as set_name',
      eb
        .selectFrom('credential_entries')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('credential_entries.set_id', '=', 'test_configs.credential_set_id')
        .where('credential_entries.account_id', '=', accountId)
        .as('set_entry_count'),
    ])
    .where('test_configs.account_id', '=', accountId);
}

type TestRow = Pick<
  Selectable<TestConfigTable>,
  | 'id'
  | 'project_id'
  | 'name'
  | 'kind'
  | 'credential_set_id'
  | 'registrar_mode'
  | 'proxy'
  | 'transport'
  | 'entries_to_try'
  | 'timeout_seconds'
  | 'created_at'
  | 'updated_at'
> & { set_name: string | null; set_entry_count: number | null };

function toTest(r: TestRow): TestConfig {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    kind: r.kind,
    credentialSet:
      r.credential_set_id !== null && r.set_name !== null
        ? { id: r.credential_set_id, name: r.set_name, entryCount: Number(r.set_entry_count ?? 0) }
        : null,
    registrarMode: r.registrar_mode,
    proxy: r.proxy,
    transport: r.transport,
    entriesToTry: r.entries_to_try,
    timeoutSeconds: r.timeout_seconds,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function listTests(db: Kysely<Database>, accountId: number, projectId: number): Promise<TestConfig[]> {
  const rows = await testQuery(db, accountId)
    .where('test_configs.project_id', '=', projectId)
    .orderBy('test_configs.name')
    .orderBy('test_configs.id')
    .execute();
  return rows.map(toTest);
}

export async function findTest(db: Kysely<Database>, accountId: number, id: number): Promise<TestConfig | undefined> {
  const row = await testQuery(db, accountId).where('test_configs.id', '=', id).executeTakeFirst();
  return row && toTest(row);
}

export async function insertTest(
  db: Kysely<Database>,
  accountId: number,
  projectId: number,
  t: TestConfigFields,
): Promise<number> {
  const now = nowIso();
  const row = await db
    .insertInto('test_configs')
    .values({
      account_id: accountId,
      project_id: projectId,
      name: t.name,
      kind: 'registration',
      credential_set_id: t.credentialSetId,
      registrar_mode: t.registrarMode,
      proxy: t.proxy,
      transport: t.transport,
      entries_to_try: t.entriesToTry,
      timeout_seconds: t.timeoutSeconds,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function updateTest(
  db: Kysely<Database>,
  accountId: number,
  id: number,
  t: TestConfigFields,
): Promise<boolean> {
  const res = await db
    .updateTable('test_configs')
    .set({
      name: t.name,
      credential_set_id: t.credentialSetId,
      registrar_mode: t.registrarMode,
      proxy: t.proxy,
      transport: t.transport,
      entries_to_try: t.entriesToTry,
      timeout_seconds: t.timeoutSeconds,
      updated_at: nowIso(),
    })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function deleteTest(db: Kysely<Database>, accountId: number, id: number): Promise<boolean> {
  const res = await db
    .deleteFrom('test_configs')
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

// ---------- credential sets and entries, as the runs need them

/** The set's name when it is the account's. */
export async function findCredentialSetName(
  db: Kysely<Database>,
  accountId: number,
  setId: number,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('credential_sets')
    .select('name')
    .where('account_id', '=', accountId)
    .where('id', '=', setId)
    .executeTakeFirst();
  return row?.name;
}

/** The first `limit` entries of a set, by entry id, in one read: the snapshot a run works from. */
export async function readEntriesForRegistration(
  db: Kysely<Database>,
  reveal: Reveal,
  accountId: number,
  setId: number,
  limit: number,
): Promise<EntryForRegistration[]> {
  const rows = await db
    .selectFrom('credential_entries')
    .select(['id', 'set_id', 'username', 'domain', 'display_name', 'auth_username', 'password_enc'])
    .where('account_id', '=', accountId)
    .where('set_id', '=', setId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => toEntry(r, reveal(r.password_enc, accountId)));
}

export async function readEntryForRegistration(
  db: Kysely<Database>,
  reveal: Reveal,
  accountId: number,
  entryId: number,
): Promise<EntryForRegistration | undefined> {
  const row = await db
    .selectFrom('credential_entries')
    .select(['id', 'set_id', 'username', 'domain', 'display_name', 'auth_username', 'password_enc'])
    .where('account_id', '=', accountId)
    .where('id', '=', entryId)
    .executeTakeFirst();
  return row && toEntry(row, reveal(row.password_enc, accountId));
}

function toEntry(
  r: {
    id: number;
    set_id: number;
    username: string;
    domain: string;
    display_name: string;
    auth_username: string;
  },
  password: string,
): EntryForRegistration {
  return {
    entryId: r.id,
    setId: r.set_id,
    username: r.username,
    domain: r.domain,
    displayName: r.display_name,
    authUsername: r.auth_username,
    password,
  };
}

// ---------- runs and results

function toRun(r: Selectable<RegistrationRunTable>): RunRecord {
  return {
    id: r.id,
    testId: r.test_id,
    status: r.status,
    error: r.error,
    total: r.total,
    done: r.done,
    passed: r.passed,
    failed: r.failed,
    settings: JSON.parse(r.settings) as Record<string, unknown>,
    createdBy: r.created_by,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

function toResult(r: Selectable<RegistrationResultTable>): RunResult {
  return {
    position: r.position,
    entryId: r.entry_id,
    username: r.username,
    domain: r.domain,
    outcome: r.outcome,
    statusCode: r.status_code,
    reason: r.reason,
    durationMs: r.duration_ms,
    message: r.message,
    finishedAt: r.finished_at,
  };
}

export async function insertRun(
  db: Kysely<Database>,
  r: {
    accountId: number;
    testId: number | null;
    total: number;
    settings: Record<string, unknown>;
    owner: string;
    createdBy: string;
  },
): Promise<number> {
  const now = nowIso();
  const row = await db
    .insertInto('registration_runs')
    .values({
      account_id: r.accountId,
      test_id: r.testId,
      status: 'running',
      total: r.total,
      done: 0,
      passed: 0,
      failed: 0,
      settings: JSON.stringify(r.settings),
      owner: r.owner,
      created_by: r.createdBy,
      created_at: now,
      finished_at: null,
      error: null,
      heartbeat_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Records one entry's result and counts it into its run, in one transaction.
 * Returns false when the run is gone (its test was deleted) or no longer running: the caller stops.
 */
export async function recordRunResult(
  db: Kysely<Database>,
  runId: number,
  owner: string,
  result: RunResult,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const passed = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const res = await trx
      .updateTable('registration_runs')
      .set((eb) => ({
        done: eb('done', '+', 1),
        passed: eb('passed', '+', passed ? 1 : 0),
        failed: eb('failed', '+', passed ? 0 : 1),
        heartbeat_at: nowIso(),
      }))
      .where('id', '=', runId)
      .where('status', '=', 'running')
      .where('owner', '=', owner)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return false;
    await trx
      .insertInto('registration_results')
      .values({
        run_id: runId,
        position: result.position,
        entry_id: result.entryId,
        username: result.username,
        domain: result.domain,
        outcome: result.outcome,
        status_code: result.statusCode,
        reason: result.reason,
        duration_ms: result.durationMs,
        message: result.message,
        finished_at: result.finishedAt,
      })
      .execute();
    return true;
  });
}

/** Ends a run this process owns; a run already ended (marked failed by another process) stays as it is. */
export async function finishRun(
  db: Kysely<Database>,
  runId: number,
  owner: string,
  outcome: { status: 'succeeded' | 'failed'; error: string | null },
): Promise<boolean> {
  const res = await db
    .updateTable('registration_runs')
    .set({ status: outcome.status, error: outcome.error, finished_at: nowIso(), heartbeat_at: null })
    .where('id', '=', runId)
    .where('status', '=', 'running')
    .where('owner', '=', owner)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Proves that the runs this process works on are alive. */
export async function touchRuns(db: Kysely<Database>, runIds: number[], owner: string): Promise<void> {
  if (runIds.length === 0) return;
  await db
    .updateTable('registration_runs')
    .set({ heartbeat_at: nowIso() })
    .where('id', 'in', runIds)
    .where('status', '=', 'running')
    .where('owner', '=', owner)
    .execute();
}

/** Marks failed every running run of the account whose heartbeat is older than `staleBefore`. */
export async function failStaleRuns(
  db: Kysely<Database>,
  accountId: number,
  staleBefore: string,
  error: string,
): Promise<number> {
  // Read first: polls call this often, and a write (even of no rows) would take SQLite's write lock.
  const stale = await db
    .selectFrom('registration_runs')
    .select('id')
    .where('account_id', '=', accountId)
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('heartbeat_at', 'is', null), eb('heartbeat_at', '<', staleBefore)]))
    .execute();
  if (stale.length === 0) return 0;
  const res = await db
    .updateTable('registration_runs')
    .set({ status: 'failed', error, finished_at: nowIso(), heartbeat_at: null })
    .where(
      'id',
      'in',
      stale.map((r) => r.id),
    )
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('heartbeat_at', 'is', null), eb('heartbeat_at', '<', staleBefore)]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** How many runs of the account are going (with a live heartbeat). */
export async function countRunningRuns(db: Kysely<Database>, accountId: number, aliveSince: string): Promise<number> {
  const { n } = await db
    .selectFrom('registration_runs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('status', '=', 'running')
    .where('heartbeat_at', '>=', aliveSince)
    .executeTakeFirstOrThrow();
  return Number(n);
}

export async function findRun(db: Kysely<Database>, accountId: number, id: number): Promise<RunRecord | undefined> {
  const row = await db
    .selectFrom('registration_runs')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row && toRun(row);
}

export async function listRuns(
  db: Kysely<Database>,
  accountId: number,
  testId: number,
  page: { limit: number; offset: number },
): Promise<{ total: number; items: RunRecord[] }> {
  const base = db.selectFrom('registration_runs').where('account_id', '=', accountId).where('test_id', '=', testId);
  const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await base.selectAll().orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute();
  return { total: Number(n), items: rows.map(toRun) };
}

/** The latest run of each of these tests (for the test list). */
export async function latestRunsOf(
  db: Kysely<Database>,
  accountId: number,
  testIds: number[],
): Promise<Map<number, RunRecord>> {
  if (testIds.length === 0) return new Map();
  const latest = db
    .selectFrom('registration_runs')
    .select((eb) => eb.fn.max('id').as('id'))
    .where('account_id', '=', accountId)
    .where('test_id', 'in', testIds)
    .groupBy('test_id');
  const rows = await db
    .selectFrom('registration_runs')
    .selectAll()
    .where('id', 'in', latest)
    .where('account_id', '=', accountId)
    .execute();
  return new Map(rows.map((r) => [r.test_id!, toRun(r)]));
}

export async function listRunResults(db: Kysely<Database>, runId: number): Promise<RunResult[]> {
  const rows = await db
    .selectFrom('registration_results')
    .selectAll()
    .where('run_id', '=', runId)
    .orderBy('position')
    .execute();
  return rows.map(toResult);
}
