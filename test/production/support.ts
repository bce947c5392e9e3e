import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../src/config.ts';
import { parseMasterKey, SecretCipher } from '../../src/crypto/secret-cipher.ts';
import type { DialectName } from '../../src/db/connect.ts';
import { buildApp, type BuildOptions } from '../../src/http/build-app.ts';
import type { AppContext } from '../../src/http/context.ts';
import { TEST_MASTER_KEY, testConfig, type TestApp } from '../support/app.ts';
import { createTestDb, type TestDb } from '../support/databases.ts';

/**
 * Like createTestApp, with settings of the config, build options (a log stream) and extra routes
 * registered before the app is ready; `onDb` reuses a database for a second "server".
 */
export async function createConfiguredApp(
  dialect: DialectName,
  opts: {
    config?: Partial<Config>;
    build?: BuildOptions;
    routes?: (app: FastifyInstance, ctx: AppContext) => Promise<void>;
    onDb?: TestDb;
  } = {},
): Promise<TestApp> {
  const testDb = opts.onDb ?? (await createTestDb(dialect));
  const ctx: AppContext = {
    config: testConfig({ databaseUrl: testDb.url, ...opts.config }),
    db: testDb.db,
    cipher: new SecretCipher([parseMasterKey(TEST_MASTER_KEY, 'test key')]),
    instanceId: `test-${randomBytes(4).toString('hex')}`,
  };
  const app = await buildApp(ctx, opts.build?.logStream ? opts.build : { logger: false, ...opts.build });
  if (opts.routes) await opts.routes(app, ctx);
  await app.ready();
  return {
    app,
    ctx,
    testDb,
    close: async () => {
      await app.close();
      if (!opts.onDb) await testDb.drop();
    },
  };
}
