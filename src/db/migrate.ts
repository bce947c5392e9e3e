import { Migrator, type MigrationResult } from 'kysely';
import type { Db } from './connect.ts';
import { migrations } from './migrations/index.ts';

export type MigrateOutcome =
  { kind: 'ok'; applied: string[] } | { kind: 'failed'; migration: string; message: string; applied: string[] };

function migrator(db: Db): Migrator {
  return new Migrator({ db: db.kysely, provider: { getMigrations: async () => migrations } });
}

/** Applies every pending migration; idempotent. Never throws for a failed migration: it says which. */
export async function migrateToLatest(db: Db): Promise<MigrateOutcome> {
  const { error, results = [] } = await migrator(db).migrateToLatest();
  const applied = results.filter((r: MigrationResult) => r.status === 'Success').map((r) => r.migrationName);
  if (error) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    return {
      kind: 'failed',
      migration: failed,
      message: error instanceof Error ? error.message : String(error),
      applied,
    };
  }
  return { kind: 'ok', applied };
}

/** True when every known migration has been applied (readiness). */
export async function migrationsCurrent(db: Db): Promise<boolean> {
  const list = await migrator(db).getMigrations();
  return list.every((m) => m.executedAt !== undefined);
}
