import { apiJson } from '../../api/http-client.ts';

// Shapes of /api/projects, /api/tests, /api/runs and /api/registration-checks (docs/api-projects.md).
// None carries a password: a run reports per entry what the registrar answered, nothing more.

export interface Page<T> {
  page: number;
  page_size: number;
  total: number;
  items: T[];
}

export interface Project {
  id: number;
  name: string;
  description: string;
  test_count: number;
  created_at: string;
  updated_at: string;
}

export type Transport = 'udp' | 'tcp';
export type Registrar = { mode: 'dns' } | { mode: 'proxy'; proxy: string };

export interface RunSettings {
  credential_set_id?: number;
  credential_set_name?: string;
  registrar?: Registrar;
  transport?: Transport;
  entries_to_try?: number;
  timeout_seconds?: number;
}

export interface Run {
  id: number;
  test_id: number | null;
  status: 'running' | 'succeeded' | 'failed';
  error: string | null;
  total: number;
  done: number;
  passed: number;
  failed: number;
  settings: RunSettings;
  created_by: string;
  created_at: string;
  finished_at: string | null;
}

export interface RunResult {
  position: number;
  entry_id: number;
  username: string;
  domain: string;
  outcome: string;
  status_code: number | null;
  reason: string;
  duration_ms: number;
  message: string;
  finished_at: string;
}

export interface RunWithResults extends Run {
  results: RunResult[];
}

export interface RegistrationTest {
  id: number;
  project_id: number;
  name: string;
  kind: string;
  credential_set_id: number | null;
  credential_set: { id: number; name: string; entry_count: number } | null;
  registrar: Registrar;
  transport: Transport;
  entries_to_try: number;
  timeout_seconds: number;
  last_run: Run | null;
  created_at: string;
  updated_at: string;
}

/** What the test form sends; on a change, only what differs needs sending, but all of it is fine. */
export interface TestFields {
  name: string;
  credential_set_id: number | null;
  registrar: Registrar;
  transport: Transport;
  entries_to_try: number;
  timeout_seconds: number;
}

export interface CheckResult {
  entry_id: number;
  status_code: number | null;
  reason: string;
  duration_ms: number;
  message: string;
}

export interface CredentialSetChoice {
  id: number;
  name: string;
  entry_count: number;
}

export const TEST_LIMITS = {
  entriesToTry: { min: 1, max: 100 },
  timeoutSeconds: { min: 1, max: 60 },
} as const;

export const PROJECTS_PATH = '/projects';
export const projectPath = (id: number) => `${PROJECTS_PATH}/${id}`;
export const testPath = (projectId: number, testId: number) => `${PROJECTS_PATH}/${projectId}/tests/${testId}`;

export const PROJECT_PAGE_SIZE = 25;
export const RUN_PAGE_SIZE = 10;

export const projectKeys = {
  all: ['projects'] as const,
  list: (page: number) => ['projects', 'list', page] as const,
  detail: (id: number) => ['projects', 'detail', id] as const,
  tests: (projectId: number) => ['projects', 'tests', projectId] as const,
  test: (id: number) => ['projects', 'test', id] as const,
  runs: (testId: number, page: number) => ['projects', 'runs', testId, page] as const,
  run: (id: number) => ['projects', 'run', id] as const,
  setChoices: (q: string) => ['projects', 'set-choices', q] as const,
};

export function fetchProjects(page: number) {
  return apiJson<Page<Project>>(`/api/projects?page=${page}&page_size=${PROJECT_PAGE_SIZE}`);
}

export function fetchProject(id: number) {
  return apiJson<Project>(`/api/projects/${id}`);
}

export function createProject(body: { name: string; description: string }) {
  return apiJson<Project>('/api/projects', { method: 'POST', json: body });
}

export function updateProject(id: number, body: { name?: string; description?: string }) {
  return apiJson<Project>(`/api/projects/${id}`, { method: 'PATCH', json: body });
}

export function deleteProject(id: number) {
  return apiJson<null>(`/api/projects/${id}`, { method: 'DELETE' });
}

export function fetchTests(projectId: number) {
  return apiJson<{ items: RegistrationTest[] }>(`/api/projects/${projectId}/tests`);
}

export function fetchTest(id: number) {
  return apiJson<RegistrationTest>(`/api/tests/${id}`);
}

export function createTest(projectId: number, body: TestFields) {
  return apiJson<RegistrationTest>(`/api/projects/${projectId}/tests`, { method: 'POST', json: body });
}

export function updateTest(id: number, body: Partial<TestFields>) {
  return apiJson<RegistrationTest>(`/api/tests/${id}`, { method: 'PATCH', json: body });
}

export function deleteTest(id: number) {
  return apiJson<null>(`/api/tests/${id}`, { method: 'DELETE' });
}

export function startRun(testId: number) {
  return apiJson<RunWithResults>(`/api/tests/${testId}/runs`, { method: 'POST' });
}

export function fetchRuns(testId: number, page: number) {
  return apiJson<Page<Run>>(`/api/tests/${testId}/runs?page=${page}&page_size=${RUN_PAGE_SIZE}`);
}

export function fetchRun(id: number) {
  return apiJson<RunWithResults>(`/api/runs/${id}`);
}

export function checkRegistration(body: {
  entry_id: number;
  proxy?: string;
  transport?: Transport;
  timeout_seconds?: number;
}) {
  return apiJson<CheckResult>('/api/registration-checks', { method: 'POST', json: body });
}

/** The account's credential sets for the picker (SIP Credentials' list, searched by name). */
export async function fetchSetChoices(q: string): Promise<CredentialSetChoice[]> {
  const search = new URLSearchParams({ page: '1', page_size: '100' });
  if (q.trim()) search.set('q', q.trim());
  const page = await apiJson<Page<CredentialSetChoice>>(`/api/credential-sets?${search.toString()}`);
  return page.items.map((s) => ({ id: s.id, name: s.name, entry_count: s.entry_count }));
}

/** "proxy 127.0.0.1:5060" or "the entry's domain (DNS)". */
export function describeRegistrar(registrar: Registrar | undefined): string {
  if (!registrar) return '–';
  return registrar.mode === 'proxy' ? `Proxy ${registrar.proxy}` : 'Entry’s domain (DNS)';
}

export function isSuccess(code: number | null): boolean {
  return code !== null && code >= 200 && code < 300;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateFormat.format(d);
}

/** Parses a route parameter that should be an id; null when it cannot name anything. */
export function idParam(raw: string | undefined): number | null {
  return /^[1-9]\d{0,9}$/.test(raw ?? '') ? Number(raw) : null;
}
