import type { Generated } from 'kysely';

// Row types of the database. They stay inside src/db: repositories map them to domain types.
// Timestamps are ISO-8601 strings in UTC on both backends, so the same code reads both.

export interface AccountTable {
  id: Generated<number>;
  name: string;
  max_sets: number;
  created_at: string;
}

export interface UserTable {
  id: Generated<number>;
  account_id: number;
  email: string;
  password_hash: string;
  created_at: string;
}

export interface SessionTable {
  id: string; // sha256 of the cookie value: a stolen database row is not a session
  user_id: number;
  account_id: number;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

export interface ApiTokenTable {
  id: Generated<number>;
  user_id: number;
  account_id: number;
  name: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
}

export interface LoginFailureTable {
  key: string;
  failures: number;
  window_started_at: string;
}

export interface CredentialSetTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  created_at: string;
  updated_at: string;
  /** Kept current by database triggers (migration 2026_12_08), whoever writes entries. */
  entry_count: Generated<number>;
}

export interface CredentialSetTagTable {
  set_id: number;
  account_id: number;
  tag: string;
}

export interface CredentialEntryTable {
  id: Generated<number>;
  account_id: number;
  set_id: number;
  username: string;
  domain: string;
  display_name: string;
  auth_username: string;
  password_enc: string;
  totp_enc: string | null;
  created_at: string;
  updated_at: string;
}

export interface ImportJobTable {
  id: string;
  account_id: number;
  user_id: number | null;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  dry_run: number;
  idempotency_key: string | null;
  delimiter: string;
  total_rows: number;
  processed_rows: number;
  updated_count: number;
  created_count: number;
  failed_count: number;
  error: string | null;
  owner: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  heartbeat_at: string | null;
  phase: string | null;
}

export interface ImportJobRowTable {
  job_id: string;
  row: number;
  action: 'updated' | 'created' | 'failed';
  set_id: number | null;
  entry_id: number | null;
  username: string;
  domain: string;
  message: string;
  warnings: string;
}

export interface AuditEventTable {
  id: Generated<number>;
  account_id: number;
  user_id: number | null;
  actor: string;
  action: string;
  subject: string;
  details: string;
  created_at: string;
}

export interface KeyStateTable {
  id: number;
  rotation_started_at: string | null;
}

export interface ProjectTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
}

export interface TestConfigTable {
  id: Generated<number>;
  account_id: number;
  project_id: number;
  name: string;
  kind: string;
  credential_set_id: number | null;
  registrar_mode: 'dns' | 'proxy';
  proxy: string | null;
  transport: 'udp' | 'tcp';
  entries_to_try: number;
  timeout_seconds: number;
  created_at: string;
  updated_at: string;
}

export interface RegistrationRunTable {
  id: Generated<number>;
  account_id: number;
  test_id: number | null;
  status: 'running' | 'succeeded' | 'failed';
  total: number;
  done: number;
  passed: number;
  failed: number;
  settings: string;
  owner: string | null;
  created_by: string;
  created_at: string;
  finished_at: string | null;
  error: string | null;
  heartbeat_at: string | null;
}

export interface RegistrationResultTable {
  run_id: number;
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

export interface ReauthTokenTable {
  token_hash: string;
  session_hash: string;
  user_id: number;
  account_id: number;
  created_at: string;
  expires_at: string;
}

export interface RateLimitCounterTable {
  key: string;
  hits: number;
  window_started_at: string;
}

export interface Database {
  reauth_tokens: ReauthTokenTable;
  rate_limit_counters: RateLimitCounterTable;
  projects: ProjectTable;
  test_configs: TestConfigTable;
  registration_runs: RegistrationRunTable;
  registration_results: RegistrationResultTable;
  accounts: AccountTable;
  users: UserTable;
  sessions: SessionTable;
  api_tokens: ApiTokenTable;
  login_failures: LoginFailureTable;
  credential_sets: CredentialSetTable;
  credential_set_tags: CredentialSetTagTable;
  credential_entries: CredentialEntryTable;
  import_jobs: ImportJobTable;
  import_job_rows: ImportJobRowTable;
  audit_events: AuditEventTable;
}
