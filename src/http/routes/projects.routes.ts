import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../app/errors.ts';
import {
  createProject,
  createTest,
  deleteProject,
  deleteTest,
  getProject,
  getTest,
  listProjects,
  listTests,
  registrarOf,
  TEST_DEFAULTS,
  TEST_LIMITS,
  updateProject,
  updateTest,
  type Actor,
  type Project,
  type TestConfig,
  type TestInput,
} from '../../app/projects.ts';
import {
  checkEntry,
  drainRuns,
  getRun,
  latestRuns,
  listRuns,
  startRun,
  type RegistrationDeps,
  type RunRecord,
  type RunResult,
  type RunWithResults,
} from '../../app/registration-runs.ts';
import { principalOf } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { shutdownHooks } from '../lifecycle.ts';
import { parseWith } from '../problem.ts';

// Projects, registration tests, runs and one-entry registration checks (docs/api-projects.md).
// The response schemas name every field a client may see; nothing else (no secret) can get out.

// ---------------------------------------------------------------------------------------------
// JSON shapes

function projectJson(p: Project) {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    test_count: p.testCount,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

function runJson(r: RunRecord) {
  return {
    id: r.id,
    test_id: r.testId,
    status: r.status,
    error: r.error,
    total: r.total,
    done: r.done,
    passed: r.passed,
    failed: r.failed,
    settings: r.settings,
    created_by: r.createdBy,
    created_at: r.createdAt,
    finished_at: r.finishedAt,
  };
}

function resultJson(r: RunResult) {
  return {
    position: r.position,
    entry_id: r.entryId,
    username: r.username,
    domain: r.domain,
    outcome: r.outcome,
    status_code: r.statusCode,
    reason: r.reason,
    duration_ms: r.durationMs,
    message: r.message,
    finished_at: r.finishedAt,
  };
}

function runWithResultsJson(r: RunWithResults) {
  return { ...runJson(r), results: r.results.map(resultJson) };
}

function testJson(t: TestConfig, lastRun: RunRecord | undefined) {
  return {
    id: t.id,
    project_id: t.projectId,
    name: t.name,
    kind: t.kind,
    credential_set_id: t.credentialSet?.id ?? null,
    credential_set: t.credentialSet
      ? { id: t.credentialSet.id, name: t.credentialSet.name, entry_count: t.credentialSet.entryCount }
      : null,
    registrar: registrarOf(t),
    transport: t.transport,
    entries_to_try: t.entriesToTry,
    timeout_seconds: t.timeoutSeconds,
    last_run: lastRun ? runJson(lastRun) : null,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
}

// Response schemas: fast-json-stringify writes only the properties named here.
const nullable = (type: string) => ({ type: [type, 'null'] });

const projectSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'description', 'test_count', 'created_at', 'updated_at'],
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    description: { type: 'string' },
    test_count: { type: 'integer' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const;

const registrarSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['mode'],
  properties: { mode: { type: 'string', enum: ['dns', 'proxy'] }, proxy: { type: 'string' } },
} as const;

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    credential_set_id: { type: 'integer' },
    credential_set_name: { type: 'string' },
    registrar: registrarSchema,
    transport: { type: 'string' },
    entries_to_try: { type: 'integer' },
    timeout_seconds: { type: 'integer' },
  },
} as const;

const runProperties = {
  id: { type: 'integer' },
  test_id: nullable('integer'),
  status: { type: 'string', enum: ['running', 'succeeded', 'failed'] },
  error: nullable('string'),
  total: { type: 'integer' },
  done: { type: 'integer' },
  passed: { type: 'integer' },
  failed: { type: 'integer' },
  settings: settingsSchema,
  created_by: { type: 'string' },
  created_at: { type: 'string' },
  finished_at: nullable('string'),
} as const;

const runRequired = Object.keys(runProperties);

const runSchema = { type: 'object', additionalProperties: false, required: runRequired, properties: runProperties };

const resultSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'position',
    'entry_id',
    'username',
    'domain',
    'outcome',
    'status_code',
    'reason',
    'duration_ms',
    'message',
    'finished_at',
  ],
  properties: {
    position: { type: 'integer' },
    entry_id: { type: 'integer' },
    username: { type: 'string' },
    domain: { type: 'string' },
    outcome: { type: 'string' },
    status_code: nullable('integer'),
    reason: { type: 'string' },
    duration_ms: { type: 'integer' },
    message: { type: 'string' },
    finished_at: { type: 'string' },
  },
} as const;

const runWithResultsSchema = {
  type: 'object',
  additionalProperties: false,
  required: [...runRequired, 'results'],
  properties: { ...runProperties, results: { type: 'array', items: resultSchema } },
};

const testSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'project_id',
    'name',
    'kind',
    'credential_set_id',
    'credential_set',
    'registrar',
    'transport',
    'entries_to_try',
    'timeout_seconds',
    'last_run',
    'created_at',
    'updated_at',
  ],
  properties: {
    id: { type: 'integer' },
    project_id: { type: 'integer' },
    name: { type: 'string' },
    kind: { type: 'string' },
    credential_set_id: nullable('integer'),
    credential_set: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['id', 'name', 'entry_count'],
      properties: { id: { type: 'integer' }, name: { type: 'string' }, entry_count: { type: 'integer' } },
    },
    registrar: registrarSchema,
    transport: { type: 'string', enum: ['udp', 'tcp'] },
    entries_to_try: { type: 'integer' },
    timeout_seconds: { type: 'integer' },
    last_run: { anyOf: [runSchema, { type: 'null' }] },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
};

const pageSchema = (item: object) => ({
  type: 'object',
  additionalProperties: false,
  required: ['page', 'page_size', 'total', 'items'],
  properties: {
    page: { type: 'integer' },
    page_size: { type: 'integer' },
    total: { type: 'integer' },
    items: { type: 'array', items: item },
  },
});

const checkSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['entry_id', 'status_code', 'reason', 'duration_ms', 'message'],
  properties: {
    entry_id: { type: 'integer' },
    status_code: nullable('integer'),
    reason: { type: 'string' },
    duration_ms: { type: 'integer' },
    message: { type: 'string' },
  },
} as const;

// ---------------------------------------------------------------------------------------------
// Request shapes

const text = (what: string) => z.string({ error: `give ${what} as a string` });

const pageQuery = z.strictObject({
  page: z
    .string()
    .regex(/^[1-9]\d{0,6}$/, { error: 'give a whole number of 1 or more' })
    .transform(Number)
    .optional(),
  page_size: z
    .string()
    .regex(/^([1-9]\d?|100)$/, { error: 'give a whole number from 1 to 100' })
    .transform(Number)
    .optional(),
});

const DEFAULT_PAGE_SIZE = 25;

const newProjectBody = z.strictObject({
  name: text('the name').max(1000),
  description: text('the description').max(2000, { error: 'write at most 2,000 characters' }).optional(),
});

const projectChangeBody = z
  .strictObject({
    name: text('the name').max(1000).optional(),
    description: text('the description').max(2000, { error: 'write at most 2,000 characters' }).optional(),
  })
  .refine((b) => b.name !== undefined || b.description !== undefined, {
    error: 'give a new name, a new description, or both',
  });

const wholeNumber = (field: string, limits: { min: number; max: number }) =>
  z
    .number({ error: `give ${field} as a number` })
    .int({ error: `give ${field} as a whole number` })
    .min(limits.min, { error: `give ${field} from ${limits.min} to ${limits.max}` })
    .max(limits.max, { error: `give ${field} from ${limits.min} to ${limits.max}` });

const registrarBody = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({ mode: z.literal('dns') }),
    z.strictObject({ mode: z.literal('proxy'), proxy: text('the proxy (host:port)').max(300) }),
  ],
  { error: 'give the registrar as {"mode":"dns"} or {"mode":"proxy","proxy":"host:port"}' },
);

const testFields = {
  name: text('the name').max(1000),
  credential_set_id: z
    .number({ error: 'give the credential set id as a number, or null' })
    .int({ error: 'give the credential set id as a whole number' })
    .positive({ error: 'give the credential set id as a positive number' })
    .max(2147483647, { error: 'give the id of one of your credential sets' })
    .nullable(),
  registrar: registrarBody,
  transport: z.enum(['udp', 'tcp'], { error: 'give the transport as "udp" or "tcp"' }),
  entries_to_try: wholeNumber('entries_to_try', TEST_LIMITS.entriesToTry),
  timeout_seconds: wholeNumber('timeout_seconds', TEST_LIMITS.timeoutSeconds),
};

const newTestBody = z.strictObject({
  name: testFields.name,
  credential_set_id: testFields.credential_set_id.optional(),
  registrar: testFields.registrar.optional(),
  transport: testFields.transport.optional(),
  entries_to_try: testFields.entries_to_try.optional(),
  timeout_seconds: testFields.timeout_seconds.optional(),
});

const testChangeBody = newTestBody
  .partial()
  .refine((b) => Object.keys(b).length > 0, { error: 'give at least one field to change' });

const runQuery = z.strictObject({
  wait: z.enum(['true', 'false'], { error: 'give wait as true or false' }).optional(),
});

const checkBody = z.strictObject({
  entry_id: z
    .number({ error: 'give the entry id as a number' })
    .int({ error: 'give the entry id as a whole number' })
    .positive({ error: 'give the entry id as a positive number' })
    .max(2147483647, { error: 'give the id of one of your entries' }),
  proxy: text('the proxy (host:port)').max(300).optional(),
  transport: testFields.transport.optional(),
  timeout_seconds: testFields.timeout_seconds.optional(),
});

/** Ids are positive integers that fit an integer column; anything else names nothing. */
function idOf(request: FastifyRequest, what: 'project' | 'test' | 'run'): number {
  const raw = (request.params as { id: string }).id;
  if (/^[1-9]\d{0,9}$/.test(raw) && Number(raw) <= 2147483647) return Number(raw);
  const shown = raw.length > 24 ? `${raw.slice(0, 24)}…` : raw;
  const title = `${what[0]!.toUpperCase()}${what.slice(1)} not found`;
  throw new AppError('not_found', title, `There is no ${what} ${shown} in your account.`);
}

function actorOf(request: FastifyRequest): Actor {
  const p = principalOf(request);
  return { accountId: p.accountId, userId: p.userId, name: p.email };
}

type TestBody = z.infer<typeof newTestBody>;

function testInputOf(body: Partial<TestBody>): Partial<TestInput> {
  return {
    ...(body.name !== undefined && { name: body.name }),
    ...(body.credential_set_id !== undefined && { credentialSetId: body.credential_set_id }),
    ...(body.registrar !== undefined && { registrar: body.registrar }),
    ...(body.transport !== undefined && { transport: body.transport }),
    ...(body.entries_to_try !== undefined && { entriesToTry: body.entries_to_try }),
    ...(body.timeout_seconds !== undefined && { timeoutSeconds: body.timeout_seconds }),
  };
}

// Shutdown waits for running runs (or marks them failed at the deadline); registered once per process.
let drainHookAdded = false;

// ---------------------------------------------------------------------------------------------

export async function projectRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const deps: RegistrationDeps = { db: ctx.db, cipher: ctx.cipher, instanceId: ctx.instanceId };
  const db = ctx.db;
  if (!drainHookAdded) {
    drainHookAdded = true;
    shutdownHooks.push(drainRuns);
  }

  const withLastRuns = async (accountId: number, tests: TestConfig[]) => {
    const last = await latestRuns(
      deps,
      accountId,
      tests.map((t) => t.id),
    );
    return tests.map((t) => testJson(t, last.get(t.id)));
  };

  // ---- projects

  app.get('/api/projects', { schema: { response: { 200: pageSchema(projectSchema) } } }, async (request) => {
    const q = parseWith(pageQuery, request.query, 'query');
    const page = q.page ?? 1;
    const pageSize = q.page_size ?? DEFAULT_PAGE_SIZE;
    const { total, items } = await listProjects(db, actorOf(request).accountId, {
      limit: pageSize,
      offset: (page - 1) * pageSize,
    });
    return { page, page_size: pageSize, total, items: items.map(projectJson) };
  });

  app.post('/api/projects', { schema: { response: { 201: projectSchema } } }, async (request, reply) => {
    const body = parseWith(newProjectBody, request.body);
    const project = await createProject(db, actorOf(request), {
      name: body.name,
      description: body.description ?? '',
    });
    return reply.code(201).header('Location', `/api/projects/${project.id}`).send(projectJson(project));
  });

  app.get('/api/projects/:id', { schema: { response: { 200: projectSchema } } }, async (request) => {
    return projectJson(await getProject(db, actorOf(request).accountId, idOf(request, 'project')));
  });

  app.patch('/api/projects/:id', { schema: { response: { 200: projectSchema } } }, async (request) => {
    const id = idOf(request, 'project');
    const body = parseWith(projectChangeBody, request.body);
    return projectJson(await updateProject(db, actorOf(request), id, body));
  });

  app.delete('/api/projects/:id', async (request, reply) => {
    const id = idOf(request, 'project');
    await deleteProject(db, actorOf(request), id);
    return reply.code(204).send();
  });

  // ---- tests

  app.get(
    '/api/projects/:id/tests',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['items'],
            properties: { items: { type: 'array', items: testSchema } },
          },
        },
      },
    },
    async (request) => {
      const id = idOf(request, 'project');
      const actor = actorOf(request);
      return { items: await withLastRuns(actor.accountId, await listTests(db, actor.accountId, id)) };
    },
  );

  app.post('/api/projects/:id/tests', { schema: { response: { 201: testSchema } } }, async (request, reply) => {
    const projectId = idOf(request, 'project');
    const body = parseWith(newTestBody, request.body);
    const input: TestInput = { ...TEST_DEFAULTS, ...(testInputOf(body) as { name: string }) };
    const test = await createTest(db, actorOf(request), projectId, input);
    return reply.code(201).header('Location', `/api/tests/${test.id}`).send(testJson(test, undefined));
  });

  app.get('/api/tests/:id', { schema: { response: { 200: testSchema } } }, async (request) => {
    const actor = actorOf(request);
    const test = await getTest(db, actor.accountId, idOf(request, 'test'));
    return (await withLastRuns(actor.accountId, [test]))[0];
  });

  app.patch('/api/tests/:id', { schema: { response: { 200: testSchema } } }, async (request) => {
    const id = idOf(request, 'test');
    const body = parseWith(testChangeBody, request.body);
    const actor = actorOf(request);
    const test = await updateTest(db, actor, id, testInputOf(body));
    return (await withLastRuns(actor.accountId, [test]))[0];
  });

  app.delete('/api/tests/:id', async (request, reply) => {
    const id = idOf(request, 'test');
    await deleteTest(db, actorOf(request), id);
    return reply.code(204).send();
  });

  // ---- runs

  app.post(
    '/api/tests/:id/runs',
    { schema: { response: { 200: runWithResultsSchema, 202: runWithResultsSchema } } },
    async (request, reply) => {
      const id = idOf(request, 'test');
      const q = parseWith(runQuery, request.query, 'query');
      if (request.body !== undefined && request.body !== null) parseWith(z.strictObject({}), request.body);
      const wait = q.wait === 'true';
      const run = await startRun(deps, actorOf(request), id, { wait });
      return reply
        .code(wait ? 200 : 202)
        .header('Location', `/api/runs/${run.id}`)
        .send(runWithResultsJson(run));
    },
  );

  app.get('/api/tests/:id/runs', { schema: { response: { 200: pageSchema(runSchema) } } }, async (request) => {
    const id = idOf(request, 'test');
    const q = parseWith(pageQuery, request.query, 'query');
    const page = q.page ?? 1;
    const pageSize = q.page_size ?? DEFAULT_PAGE_SIZE;
    const { total, items } = await listRuns(deps, actorOf(request).accountId, id, {
      limit: pageSize,
      offset: (page - 1) * pageSize,
    });
    return { page, page_size: pageSize, total, items: items.map(runJson) };
  });

  app.get('/api/runs/:id', { schema: { response: { 200: runWithResultsSchema } } }, async (request) => {
    return runWithResultsJson(await getRun(deps, actorOf(request).accountId, idOf(request, 'run')));
  });

  // ---- one entry, now (Import results → Verify registration)

  app.post('/api/registration-checks', { schema: { response: { 200: checkSchema } } }, async (request) => {
    const body = parseWith(checkBody, request.body);
    const result = await checkEntry(deps, actorOf(request), {
      entryId: body.entry_id,
      proxy: body.proxy,
      transport: body.transport,
      timeoutSeconds: body.timeout_seconds,
    });
    return {
      entry_id: result.entryId,
      status_code: result.statusCode,
      reason: result.reason,
      duration_ms: result.durationMs,
      message: result.message,
    };
  });
}
