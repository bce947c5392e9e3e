import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDb, type Db, type DialectName } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

// Both databases, one test body: every storage test loops over this list.
export const DIALECTS: DialectName[] = ['sqlite', 'postgres'];

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDb {
  db: Db;
  url: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Fails the run with a sentence, never a skip, when PostgreSQL cannot be reached. */
export async function assertPostgresReachable(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (e) {
    throw new Error(
      `PostgreSQL is not reachable at TEST_DATABASE_URL=${TEST_DATABASE_URL} (${(e as Error).message}). ` +
        'Start it (pg_ctlcluster 15 main start) or point TEST_DATABASE_URL at one; storage tests run on both databases and do not skip.',
      { cause: e },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh, migrated database of that dialect: a temp SQLite file, or a new PostgreSQL database. */
export async function createTestDb(dialect: DialectName): Promise<TestDb> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'sipcreds-test-'));
    const url = `sqlite:${join(dir, 'test.db')}`;
    const db = openDb(url);
    await migrated(db);
    return {
      db,
      url,
      drop: async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `sipcreds_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(TEST_DATABASE_URL, name);
  const db = openDb(url, { poolSize: 5 });
  await migrated(db);
  return {
    db,
    url,
    drop: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

async function migrated(db: Db): Promise<void> {
  const outcome = await migrateToLatest(db);
  if (outcome.kind === 'failed') throw new Error(`migration ${outcome.migration} failed: ${outcome.message}`);
}
