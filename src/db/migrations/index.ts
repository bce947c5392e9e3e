import type { Migration } from 'kysely';
import * as createCoreTables from './2026_12_04_200000_create_core_tables.ts';
import * as createProjectsAndRuns from './2026_12_04_201000_create_projects_and_runs.ts';
import * as addRegistrationRunErrorAndHeartbeat from './2026_12_04_210000_add_registration_run_error_and_heartbeat.ts';
import * as createReauthTokensAndRateLimits from './2026_12_07_120000_create_reauth_tokens_and_rate_limits.ts';
import * as addImportJobLivenessAndSetEntryCounts from './2026_12_08_090000_add_import_job_liveness_and_set_entry_counts.ts';

// The one list of migrations, served alike to tests, the CLI and the server.
// Add new migrations at the end with a later timestamp; never edit a landed one.
export const migrations: Record<string, Migration> = {
  '2026_12_04_200000_create_core_tables': createCoreTables,
  '2026_12_04_201000_create_projects_and_runs': createProjectsAndRuns,
  '2026_12_04_210000_add_registration_run_error_and_heartbeat': addRegistrationRunErrorAndHeartbeat,
  '2026_12_07_120000_create_reauth_tokens_and_rate_limits': createReauthTokensAndRateLimits,
  '2026_12_08_090000_add_import_job_liveness_and_set_entry_counts': addImportJobLivenessAndSetEntryCounts,
};
