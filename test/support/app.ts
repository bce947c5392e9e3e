import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createAccount, createApiToken, createUser } from '../../src/app/auth.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { parseMasterKey, SecretCipher } from '../../src/crypto/secret-cipher.ts';
import type { DialectName } from '../../src/db/connect.ts';
import { buildApp, type BuildOptions } from '../../src/http/build-app.ts';
import type { AppContext } from '../../src/http/context.ts';
import { createTestDb, type TestDb } from './databases.ts';

export interface TestApp {
  app: FastifyInstance;
  ctx: AppContext;
  testDb: TestDb;
  close(): Promise<void>;
}

export interface SeededUser {
  accountId: number;
  userId: number;
  email: string;
  password: string;
  token: string;
}

export const TEST_MASTER_KEY = randomBytes(32).toString('base64');

export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ SIPCREDS_MASTER_KEY: TEST_MASTER_KEY, SIPCREDS_DATA_DIR: '/nonexistent' }), ...overrides };
}

/**
 * A real app on a fresh database of the dialect, answering through inject(). Options: settings of
 * the config, build options (a log stream), extra routes registered before the app is ready, and
 * `onDb` to reuse another app's database as a second "server".
 */
export async function createTestApp(
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

let counter = 0;

/** An account with one user and one API token. */
export async function seedUser(t: TestApp, opts: { maxSets?: number; name?: string } = {}): Promise<SeededUser> {
  counter += 1;
  const account = await createAccount(t.ctx.db, opts.name ?? `Account ${counter}`, opts.maxSets ?? 100);
  const email = `user${counter}-${randomBytes(3).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const userId = await createUser(t.ctx.db, account.id, email, password);
  const { token } = await createApiToken(t.ctx.db, email, 'test');
  return { accountId: account.id, userId, email, password, token };
}

export function bearer(user: SeededUser): Record<string, string> {
  return { authorization: `Bearer ${user.token}` };
}

export interface CookieSession {
  cookie: string;
  csrf: string;
}

export async function loginCookie(t: TestApp, user: SeededUser): Promise<CookieSession> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/session',
    payload: { email: user.email, password: user.password },
  });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const setCookie = res.headers['set-cookie'];
  const raw = Array.isArray(setCookie) ? setCookie[0]! : setCookie!;
  return { cookie: raw.split(';')[0]!, csrf: (res.json() as { csrf_token: string }).csrf_token };
}

export function json<T = any>(res: LightMyRequestResponse): T {
  return JSON.parse(res.body) as T;
}
