import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Database } from './schema.ts';

export type DialectName = 'sqlite' | 'postgres';

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: DialectName;
  close(): Promise<void>;
}

// PostgreSQL's COUNT and BIGINT come back as strings by default; our ids and counts fit in a JS number.
pg.types.setTypeParser(20, (v) => Number(v));

/** Opens the database that `url` names (sqlite:PATH or postgres://…). */
export function openDb(url: string, opts: { poolSize?: number } = {}): Db {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    const fresh = path !== ':memory:' && !existsSync(path);
    // The database holds ciphertexts and login hashes: private to its owner, like the key file.
    if (fresh) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const sqlite = new SqliteDatabase(path);
    if (fresh) chmodSync(path, 0o600);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 10000');
    const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    return { kysely, dialect: 'sqlite', close: () => kysely.destroy() };
  }
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10 });
  // A broken idle connection must not crash the process; the next query gets a fresh one.
  pool.on('error', () => undefined);
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) });
  return { kysely, dialect: 'postgres', close: () => kysely.destroy() };
}
