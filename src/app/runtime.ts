import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import { openDb, type Db } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { createCipher } from '../crypto/keyring.ts';
import type { SecretCipher } from '../crypto/secret-cipher.ts';
import { AppError } from './errors.ts';

export interface Runtime {
  readonly config: Config;
  readonly db: Db;
  readonly cipher: SecretCipher;
  readonly instanceId: string;
  close(): Promise<void>;
}

/** Opens the database (migrating it unless told not to) and loads the master keys. */
export async function openRuntime(config: Config, opts: { migrate?: boolean } = {}): Promise<Runtime> {
  const db = openDb(config.databaseUrl);
  try {
    if (opts.migrate !== false) {
      const outcome = await migrateToLatest(db);
      if (outcome.kind === 'failed') {
        throw new AppError(
          'unavailable',
          'Migration failed',
          `Migration ${outcome.migration} failed: ${outcome.message}`,
        );
      }
    }
    const cipher = createCipher(config);
    return { config, db, cipher, instanceId: `${process.pid}-${randomUUID()}`, close: () => db.close() };
  } catch (e) {
    await db.close();
    throw e;
  }
}
