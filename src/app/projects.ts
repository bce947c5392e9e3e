import type { Db } from '../db/connect.ts';
import { insertAuditEvent } from '../db/audit.repository.ts';
import {
  deleteProject as deleteProjectRow,
  deleteTest as deleteTestRow,
  findCredentialSetName,
  findProject,
  findTest,
  insertProject,
  insertTest,
  listProjects as listProjectRows,
  listTests as listTestRows,
  updateProject as updateProjectRow,
  updateTest as updateTestRow,
  type Project,
  type RegistrarMode,
  type TestConfig,
  type TestConfigFields,
  type TransportName,
} from '../db/projects.repository.ts';
import { parseProxy } from '../sip/resolve.ts';
import { AppError } from './errors.ts';

// Projects and their registration tests: which credential set a test uses and how it reaches the
// registrar. Every function is scoped to the caller's account; another account's ids are "not found".

export type { Project, TestConfig };

/** Who acts: a signed-in user, or the CLI (userId null). */
export interface Actor {
  accountId: number;
  userId: number | null;
  /** The user's email, or "cli". */
  name: string;
}

export type Registrar = { mode: 'dns' } | { mode: 'proxy'; proxy: string };

export interface TestInput {
  name: string;
  credentialSetId: number | null;
  registrar: Registrar;
  transport: TransportName;
  entriesToTry: number;
  timeoutSeconds: number;
}

export const TEST_LIMITS = Object.freeze({
  entriesToTry: { min: 1, max: 100 },
  timeoutSeconds: { min: 1, max: 60 },
});

export const TEST_DEFAULTS: Readonly<Omit<TestInput, 'name'>> = {
  credentialSetId: null,
  registrar: { mode: 'dns' },
  transport: 'udp',
  entriesToTry: 1,
  timeoutSeconds: 5,
};

/** A name of 1 to 200 characters, trimmed; `what` says whose name it is in the message. */
export function checkName(raw: string, what: 'project' | 'test'): string {
  const name = raw.trim();
  if (!name || name.length > 200) {
    throw new AppError('invalid', `Invalid ${what} name`, `Give the ${what} a name of 1 to 200 characters.`);
  }
  return name;
}

/** An explicit proxy must be host:port (IPv6 in brackets); it is stored as the user wrote it, trimmed. */
export function checkRegistrar(registrar: Registrar): Registrar {
  if (registrar.mode === 'dns') return { mode: 'dns' };
  const proxy = registrar.proxy.trim();
  const parsed = parseProxy(proxy);
  if (parsed.kind === 'invalid') throw new AppError('invalid', 'Invalid proxy', parsed.message);
  return { mode: 'proxy', proxy };
}

const projectNotFound = (id: number) =>
  new AppError('not_found', 'Project not found', `There is no project ${id} in your account.`);
const testNotFound = (id: number) =>
  new AppError('not_found', 'Test not found', `There is no test ${id} in your account.`);

async function audit(db: Db, actor: Actor, action: string, subject: string, details: Record<string, unknown>) {
  await insertAuditEvent(db.kysely, {
    accountId: actor.accountId,
    userId: actor.userId,
    actor: actor.name,
    action,
    subject,
    details,
  });
}

// ---------- projects

export async function listProjects(db: Db, accountId: number, page: { limit: number; offset: number }) {
  return listProjectRows(db.kysely, accountId, page);
}

export async function getProject(db: Db, accountId: number, id: number): Promise<Project> {
  const project = await findProject(db.kysely, accountId, id);
  if (!project) throw projectNotFound(id);
  return project;
}

export async function createProject(db: Db, actor: Actor, p: { name: string; description: string }): Promise<Project> {
  const id = await insertProject(db.kysely, actor.accountId, {
    name: checkName(p.name, 'project'),
    description: p.description.trim(),
  });
  await audit(db, actor, 'project.created', `project ${id}`, { project_id: id });
  return getProject(db, actor.accountId, id);
}

export async function updateProject(
  db: Db,
  actor: Actor,
  id: number,
  patch: { name?: string; description?: string },
): Promise<Project> {
  const clean = {
    ...(patch.name !== undefined && { name: checkName(patch.name, 'project') }),
    ...(patch.description !== undefined && { description: patch.description.trim() }),
  };
  if (!(await updateProjectRow(db.kysely, actor.accountId, id, clean))) throw projectNotFound(id);
  await audit(db, actor, 'project.updated', `project ${id}`, { project_id: id, changed: Object.keys(patch) });
  return getProject(db, actor.accountId, id);
}

/** Deletes the project with its tests and their runs. */
export async function deleteProject(db: Db, actor: Actor, id: number): Promise<void> {
  if (!(await deleteProjectRow(db.kysely, actor.accountId, id))) throw projectNotFound(id);
  await audit(db, actor, 'project.deleted', `project ${id}`, { project_id: id });
}

// ---------- tests

export async function listTests(db: Db, accountId: number, projectId: number): Promise<TestConfig[]> {
  await getProject(db, accountId, projectId);
  return listTestRows(db.kysely, accountId, projectId);
}

export async function getTest(db: Db, accountId: number, id: number): Promise<TestConfig> {
  const test = await findTest(db.kysely, accountId, id);
  if (!test) throw testNotFound(id);
  return test;
}

/** A test may only name a set of its own account; another account's set reads as a missing one. */
async function checkSet(db: Db, accountId: number, setId: number | null): Promise<void> {
  if (setId === null) return;
  if ((await findCredentialSetName(db.kysely, accountId, setId)) === undefined) {
    throw new AppError(
      'unprocessable',
      'Unknown credential set',
      `There is no credential set ${setId} in your account; pick one of your sets (SIP Credentials lists them).`,
    );
  }
}

function checkRange(value: number, limits: { min: number; max: number }, field: string): number {
  if (!Number.isInteger(value) || value < limits.min || value > limits.max) {
    throw new AppError(
      'invalid',
      `Invalid ${field}`,
      `Give ${field} as a whole number from ${limits.min} to ${limits.max}.`,
    );
  }
  return value;
}

function toFields(t: TestInput): TestConfigFields {
  const registrar = checkRegistrar(t.registrar);
  return {
    name: checkName(t.name, 'test'),
    credentialSetId: t.credentialSetId,
    registrarMode: registrar.mode,
    proxy: registrar.mode === 'proxy' ? registrar.proxy : null,
    transport: t.transport,
    entriesToTry: checkRange(t.entriesToTry, TEST_LIMITS.entriesToTry, 'entries_to_try'),
    timeoutSeconds: checkRange(t.timeoutSeconds, TEST_LIMITS.timeoutSeconds, 'timeout_seconds'),
  };
}

export function registrarOf(t: { registrarMode: RegistrarMode; proxy: string | null }): Registrar {
  return t.registrarMode === 'proxy' && t.proxy ? { mode: 'proxy', proxy: t.proxy } : { mode: 'dns' };
}

export async function createTest(db: Db, actor: Actor, projectId: number, input: TestInput): Promise<TestConfig> {
  await getProject(db, actor.accountId, projectId);
  const fields = toFields(input);
  await checkSet(db, actor.accountId, input.credentialSetId);
  const id = await insertTest(db.kysely, actor.accountId, projectId, fields);
  await audit(db, actor, 'test.created', `test ${id}`, {
    project_id: projectId,
    test_id: id,
    credential_set_id: input.credentialSetId,
  });
  return getTest(db, actor.accountId, id);
}

/** Applies a partial change; changing which credential set a test uses happens here. */
export async function updateTest(db: Db, actor: Actor, id: number, patch: Partial<TestInput>): Promise<TestConfig> {
  const current = await getTest(db, actor.accountId, id);
  const next: TestInput = {
    name: patch.name ?? current.name,
    credentialSetId: patch.credentialSetId !== undefined ? patch.credentialSetId : (current.credentialSet?.id ?? null),
    registrar: patch.registrar ?? registrarOf(current),
    transport: patch.transport ?? current.transport,
    entriesToTry: patch.entriesToTry ?? current.entriesToTry,
    timeoutSeconds: patch.timeoutSeconds ?? current.timeoutSeconds,
  };
  const fields = toFields(next);
  if (patch.credentialSetId !== undefined) await checkSet(db, actor.accountId, next.credentialSetId);
  if (!(await updateTestRow(db.kysely, actor.accountId, id, fields))) throw testNotFound(id);
  const details: Record<string, unknown> = { test_id: id, changed: Object.keys(patch) };
  if (patch.credentialSetId !== undefined) {
    details.credential_set_id = { from: current.credentialSet?.id ?? null, to: next.credentialSetId };
  }
  await audit(db, actor, 'test.updated', `test ${id}`, details);
  return getTest(db, actor.accountId, id);
}

/** Deletes the test with its runs. */
export async function deleteTest(db: Db, actor: Actor, id: number): Promise<void> {
  if (!(await deleteTestRow(db.kysely, actor.accountId, id))) throw testNotFound(id);
  await audit(db, actor, 'test.deleted', `test ${id}`, { test_id: id });
}
