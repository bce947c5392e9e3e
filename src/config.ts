import { resolve } from 'node:path';

/** The one place that reads the environment. Fails fast with a sentence naming the variable. */
export interface Config {
  readonly databaseUrl: string;
  readonly masterKey: string | undefined;
  readonly masterKeyFile: string;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly secureCookies: boolean;
  readonly trustProxy: boolean;
  readonly logLevel: string;
  readonly shutdownGraceMs: number;
  /** Imports (POST …/imports, dry runs included) one account may start per minute, across all servers. */
  readonly importRateLimit: number;
  /** CSV exports (Export All and per set) one account may download per minute, across all servers. */
  readonly exportRateLimit: number;
  readonly checkRateLimit: number;
  readonly webDir: string;
}

export class ConfigError extends Error {}

function intFrom(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be a whole number between ${min} and ${max}; it is "${raw}".`);
  }
  return n;
}

function boolFrom(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false; it is "${raw}".`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(env.SIPCREDS_DATA_DIR || './data');
  const databaseUrl = env.DATABASE_URL || `sqlite:${resolve(dataDir, 'sipcreds.db')}`;
  if (!/^sqlite:|^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with sqlite: (a file path) or postgres:// (a PostgreSQL URL).');
  }
  return Object.freeze({
    databaseUrl,
    masterKey: env.SIPCREDS_MASTER_KEY || undefined,
    masterKeyFile: resolve(env.SIPCREDS_MASTER_KEY_FILE || resolve(dataDir, 'master.key')),
    host: env.HOST || '127.0.0.1',
    port: intFrom('PORT', env.PORT, 3000, 0, 65535),
    dataDir,
    secureCookies: boolFrom('SIPCREDS_SECURE_COOKIES', env.SIPCREDS_SECURE_COOKIES, false),
    trustProxy: boolFrom('SIPCREDS_TRUST_PROXY', env.SIPCREDS_TRUST_PROXY, false),
    logLevel: env.LOG_LEVEL || 'info',
    shutdownGraceMs: intFrom('SIPCREDS_SHUTDOWN_GRACE_MS', env.SIPCREDS_SHUTDOWN_GRACE_MS, 25000, 0, 600000),
    importRateLimit: intFrom('SIPCREDS_IMPORT_RATE_LIMIT', env.SIPCREDS_IMPORT_RATE_LIMIT, 60, 1, 1000000),
    checkRateLimit: intFrom('SIPCREDS_CHECK_RATE_LIMIT', env.SIPCREDS_CHECK_RATE_LIMIT, 30, 1, 1000000),
    exportRateLimit: intFrom('SIPCREDS_EXPORT_RATE_LIMIT', env.SIPCREDS_EXPORT_RATE_LIMIT, 30, 1, 1000000),
    webDir: resolve(env.SIPCREDS_WEB_DIR || new URL('../web/dist', import.meta.url).pathname),
  });
}
