import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/app/auth.ts';
import { createProject, createTest, deleteTest, TEST_DEFAULTS, type Actor } from '../../src/app/projects.ts';
import {
  drainRuns,
  getRun,
  MAX_RUNNING_PER_ACCOUNT,
  listRuns,
  RUN_CONCURRENCY,
  startRun,
  type HowToRegister,
  type RegisterEntry,
  type RegistrationDeps,
  type RegistrationOutcome,
} from '../../src/app/registration-runs.ts';
import { parseMasterKey, SecretCipher } from '../../src/crypto/secret-cipher.ts';
import type { EntryForRegistration } from '../../src/db/projects.repository.ts';
import { TEST_MASTER_KEY } from '../support/app.ts';
import { createTestDb, DIALECTS, type TestDb } from '../support/databases.ts';
import { eventually, seedSet, setPassword } from './support.ts';

// The run engine with a scripted registrar in place of the SIP client: what the product page promises
// about runs (a snapshot when the run starts), and how runs behave when things go wrong.

const ok = (ms = 5): RegistrationOutcome => ({
  statusCode: 200,
  reason: 'OK',
  durationMs: ms,
  message: 'Registration succeeded (200 OK) and the binding was removed again.',
  kind: 'registered',
});

/** A registrar the test answers by hand: every check waits until the test releases it. */
function scriptedRegistrar() {
  const seen: Array<{ entry: EntryForRegistration; how: HowToRegister }> = [];
  const waiting: Array<() => void> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const register: RegisterEntry = async (entry, how) => {
    seen.push({ entry: { ...entry }, how });
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise<void>((release) => waiting.push(release));
    inFlight -= 1;
    return entry.password === 'right' ? ok() : { ...ok(), statusCode: 403, reason: 'Forbidden', kind: 'rejected' };
  };
  return {
    register,
    seen,
    get waiting() {
      return waiting.length;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    releaseOne: () => waiting.shift()?.(),
    releaseAll: () => waiting.splice(0).forEach((r) => r()),
  };
}

describe.each(DIALECTS)('registration runs on %s', (dialect) => {
  let testDb: TestDb;
  let cipher: SecretCipher;
  let actor: Actor;

  const deps = (register: RegisterEntry, instanceId = 'this-process'): RegistrationDeps => ({
    db: testDb.db,
    cipher,
    instanceId,
    register,
  });

  async function newTest(entries: number, entriesToTry = entries) {
    const { setId, entryIds } = await seedSet(
      { db: testDb.db, cipher },
      actor.accountId,
      `Set ${Math.random()}`,
      Array.from({ length: entries }, (_, i) => ({
        username: `10${String(i).padStart(2, '0')}`,
        domain: 'pbx.example.com',
        password: 'right',
      })),
    );
    const project = await createProject(testDb.db, actor, { name: 'Engine', description: '' });
    const test = await createTest(testDb.db, actor, project.id, {
      ...TEST_DEFAULTS,
      name: 'Engine test',
      credentialSetId: setId,
      registrar: { mode: 'proxy', proxy: '127.0.0.1:5999' },
      entriesToTry,
    });
    return { setId, entryIds, testId: test.id };
  }

  beforeAll(async () => {
    testDb = await createTestDb(dialect);
    cipher = new SecretCipher([parseMasterKey(TEST_MASTER_KEY, 'test key')]);
    const account = await createAccount(testDb.db, 'Engine corp');
    actor = { accountId: account.id, userId: null, name: 'tester@example.com' };
  });
  afterAll(async () => {
    await drainRuns(Date.now() + 5000);
    await testDb?.drop();
  });

  it('a run uses the credentials as they were when it started; later changes do not affect it', async () => {
    const registrar = scriptedRegistrar();
    const { setId, entryIds, testId } = await newTest(2, 5);
    const run = await startRun(deps(registrar.register), actor, testId);
    expect(run).toMatchObject({ status: 'running', total: 2, done: 0, results: [] });

    // Meanwhile someone rotates the passwords, renames a user and adds an entry.
    for (const id of entryIds) await setPassword({ db: testDb.db, cipher }, actor.accountId, id, 'rotated');
    await testDb.db.kysely.updateTable('credential_entries').set({ username: 'renamed' }).execute();
    await testDb.db.kysely
      .insertInto('credential_entries')
      .values({
        account_id: actor.accountId,
        set_id: setId,
        username: 'late',
        domain: 'pbx.example.com',
        display_name: 'late',
        auth_username: 'late',
        password_enc: cipher.encrypt('right', actor.accountId),
        totp_enc: null,
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
      })
      .execute();

    await eventually(
      async () => registrar.waiting,
      (n) => n === 2,
    );
    registrar.releaseAll();
    const done = await eventually(
      () => getRun(deps(registrar.register), actor.accountId, run.id),
      (r) => r.status !== 'running',
    );
    expect(done).toMatchObject({ status: 'succeeded', total: 2, done: 2, passed: 2, failed: 0 });
    expect(done.results.map((r) => [r.entryId, r.username, r.statusCode])).toEqual([
      [entryIds[0], '1000', 200],
      [entryIds[1], '1001', 200],
    ]);
    expect(registrar.seen.map((s) => s.entry.password)).toEqual(['right', 'right']);

    // The next run loads the new values.
    const next = scriptedRegistrar();
    const second = await startRun(deps(next.register), actor, testId);
    await eventually(
      async () => next.waiting,
      (n) => n === 3,
    );
    next.releaseAll();
    const after = await eventually(
      () => getRun(deps(next.register), actor.accountId, second.id),
      (r) => r.status !== 'running',
    );
    expect(after.results.map((r) => [r.username, r.statusCode])).toEqual([
      ['renamed', 403],
      ['renamed', 403],
      ['late', 200],
    ]);
  });

  it(`registers at most ${RUN_CONCURRENCY} entries at a time, and each result shows up as soon as it is known`, async () => {
    const registrar = scriptedRegistrar();
    const { testId } = await newTest(10);
    const run = await startRun(deps(registrar.register), actor, testId);
    await eventually(
      async () => registrar.waiting,
      (n) => n === RUN_CONCURRENCY,
    );
    registrar.releaseOne();
    const partial = await eventually(
      () => getRun(deps(registrar.register), actor.accountId, run.id),
      (r) => r.done === 1,
    );
    expect(partial.status).toBe('running');
    expect(partial.results).toHaveLength(1);
    while (registrar.waiting > 0 || registrar.seen.length < 10) {
      registrar.releaseAll();
      await new Promise((r) => setTimeout(r, 5));
    }
    const done = await eventually(
      () => getRun(deps(registrar.register), actor.accountId, run.id),
      (r) => r.status !== 'running',
    );
    expect(done).toMatchObject({ status: 'succeeded', done: 10, passed: 10 });
    expect(done.results.map((r) => r.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(registrar.maxInFlight).toBe(RUN_CONCURRENCY);
  });

  it('a check that breaks on our side becomes that entry’s result; the other entries still run', async () => {
    const { testId } = await newTest(3);
    let calls = 0;
    const flaky: RegisterEntry = async () => {
      calls += 1;
      if (calls === 2) throw new Error('socket exploded');
      return ok();
    };
    const run = await startRun(deps(flaky), actor, testId, { wait: true });
    expect(run).toMatchObject({ status: 'succeeded', done: 3, passed: 2, failed: 1 });
    const broken = run.results.find((r) => r.outcome === 'error')!;
    expect(broken).toMatchObject({ statusCode: null, reason: 'Check failed' });
    expect(broken.message).toMatch(/broke on our side \(socket exploded\)/);
  });

  it('a run left running by a process that died is marked failed when it is found', async () => {
    const { testId } = await newTest(1);
    const longAgo = new Date(Date.now() - 10 * 60_000).toISOString();
    const orphan = await testDb.db.kysely
      .insertInto('registration_runs')
      .values({
        account_id: actor.accountId,
        test_id: testId,
        status: 'running',
        total: 3,
        done: 1,
        passed: 1,
        failed: 0,
        settings: '{}',
        owner: 'a-process-that-died',
        created_by: 'someone@example.com',
        created_at: longAgo,
        finished_at: null,
        error: null,
        heartbeat_at: longAgo,
      })
      .returning('id')
      .executeTakeFirstOrThrow();

    const registrar = scriptedRegistrar();
    const alive = await startRun(deps(registrar.register), actor, testId);

    const list = await listRuns(deps(registrar.register), actor.accountId, testId, { limit: 10, offset: 0 });
    const found = list.items.find((r) => r.id === orphan.id)!;
    expect(found.status).toBe('failed');
    expect(found.error).toMatch(/stopped before it finished/);
    expect(found.finishedAt).not.toBeNull();
    // Newest first, and the live run is left alone.
    expect(list.items[0]!.id).toBe(alive.id);
    expect(list.items[0]!.status).toBe('running');

    await eventually(
      async () => registrar.waiting,
      (n) => n === 1,
    );
    registrar.releaseAll();
    await eventually(
      () => getRun(deps(registrar.register), actor.accountId, alive.id),
      (r) => r.status === 'succeeded',
    );
  });

  it('deleting a test while it runs stops the run without an error', async () => {
    const registrar = scriptedRegistrar();
    const { testId } = await newTest(6);
    const run = await startRun(deps(registrar.register), actor, testId);
    await eventually(
      async () => registrar.waiting,
      (n) => n === RUN_CONCURRENCY,
    );
    await deleteTest(testDb.db, actor, testId);
    registrar.releaseAll();
    await drainRuns(Date.now() + 5000);
    await expect(getRun(deps(registrar.register), actor.accountId, run.id)).rejects.toMatchObject({
      kind: 'not_found',
    });
    expect(registrar.seen.length).toBeLessThanOrEqual(RUN_CONCURRENCY + 1);
  });

  it('on shutdown, a run that does not finish by the deadline is marked failed and says why', async () => {
    const registrar = scriptedRegistrar();
    const { testId } = await newTest(2);
    const run = await startRun(deps(registrar.register), actor, testId);
    await eventually(
      async () => registrar.waiting,
      (n) => n === 2,
    );
    await drainRuns(Date.now() + 50);
    const failed = await getRun(deps(registrar.register), actor.accountId, run.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/shut down before this run finished/);
    // Answers that come in later are not recorded into the failed run.
    registrar.releaseAll();
    await new Promise((r) => setTimeout(r, 100));
    expect((await getRun(deps(registrar.register), actor.accountId, run.id)).results).toEqual([]);
  });

  it('a test without a credential set, or with an empty one, cannot run and says what to do', async () => {
    const project = await createProject(testDb.db, actor, { name: 'Unready', description: '' });
    const noSet = await createTest(testDb.db, actor, project.id, { ...TEST_DEFAULTS, name: 'No set' });
    await expect(
      startRun(
        deps(async () => ok()),
        actor,
        noSet.id,
      ),
    ).rejects.toMatchObject({
      kind: 'unprocessable',
      detail: expect.stringMatching(/choose one in the test configuration/),
    });
    const empty = await seedSet({ db: testDb.db, cipher }, actor.accountId, 'Empty set', []);
    const emptyTest = await createTest(testDb.db, actor, project.id, {
      ...TEST_DEFAULTS,
      name: 'Empty',
      credentialSetId: empty.setId,
    });
    await expect(
      startRun(
        deps(async () => ok()),
        actor,
        emptyTest.id,
      ),
    ).rejects.toMatchObject({
      kind: 'unprocessable',
      detail: expect.stringMatching(/"Empty set" has no entries/),
    });
  });

  it(`an account runs at most ${MAX_RUNNING_PER_ACCOUNT} tests at once; the next one is told to wait`, async () => {
    const registrar = scriptedRegistrar();
    const { testId } = await newTest(1);
    const started = [];
    for (let i = 0; i < MAX_RUNNING_PER_ACCOUNT; i++)
      started.push(await startRun(deps(registrar.register), actor, testId));
    await expect(startRun(deps(registrar.register), actor, testId)).rejects.toMatchObject({
      kind: 'rate_limited',
      detail: expect.stringMatching(/wait for one to finish/),
    });
    await eventually(
      async () => registrar.waiting,
      (n) => n === MAX_RUNNING_PER_ACCOUNT,
    );
    registrar.releaseAll();
    for (const run of started) {
      await eventually(
        () => getRun(deps(registrar.register), actor.accountId, run.id),
        (r) => r.status === 'succeeded',
      );
    }
    const next = scriptedRegistrar();
    const again = startRun(deps(next.register), actor, testId);
    await expect(again).resolves.toMatchObject({ status: 'running' });
    await eventually(
      async () => next.waiting,
      (n) => n === 1,
    );
    next.releaseAll();
  });

  it('each run is audited with who started it and on which entries, never a password', async () => {
    const { testId, entryIds } = await newTest(2);
    const run = await startRun(
      deps(async () => ok()),
      actor,
      testId,
      { wait: true },
    );
    const events = await testDb.db.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('account_id', '=', actor.accountId)
      .where('action', '=', 'registration_run.started')
      .execute();
    const mine = events.find((e) => JSON.parse(e.details).run_id === run.id)!;
    expect(mine.actor).toBe('tester@example.com');
    expect(JSON.parse(mine.details)).toMatchObject({ test_id: testId, entries: entryIds });
    expect(JSON.stringify(events)).not.toContain('right');
  });
});
