import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import { AppError } from '../app/errors.ts';
import { hitRateLimit } from '../db/reauth-tokens.repository.ts';
import type { AppContext } from './context.ts';

// Per-account rate limits on the heavy routes (imports, exports). The counters live in the
// database, like the login failure counters, so a limit holds however many servers share it.

export const RATE_LIMIT_WINDOW_MS = 60_000;

type Group = 'imports' | 'exports' | 'checks';

const GROUP_WORDS: Record<Group, { many: string; verb: string }> = {
  imports: { many: 'imports', verb: 'started' },
  exports: { many: 'exports', verb: 'downloaded' },
  checks: { many: 'registration checks', verb: 'started' },
};

// Runs after the auth hook (preHandler), so the account is known; an unauthenticated request
// never gets here (it was answered 401).
function accountKey(request: FastifyRequest): string {
  return request.principal ? `account:${request.principal.accountId}:` : `ip:${request.ip}:`;
}

function limitFor(ctx: AppContext, group: Group): RateLimitOptions {
  return {
    max:
      group === 'imports'
        ? ctx.config.importRateLimit
        : group === 'exports'
          ? ctx.config.exportRateLimit
          : ctx.config.checkRateLimit,
    timeWindow: RATE_LIMIT_WINDOW_MS,
    groupId: group,
    keyGenerator: accountKey,
  };
}

/** Route `config.rateLimit` for a route that starts imports: `{ config: { rateLimit: importRateLimit(ctx) } }`. */
export const importRateLimit = (ctx: AppContext) => limitFor(ctx, 'imports');
/** Route `config.rateLimit` for a route that streams a CSV export. */
export const exportRateLimit = (ctx: AppContext) => limitFor(ctx, 'exports');

/** Which group a route belongs to when its owner did not say: imports and CSV exports of the API. */
export function rateLimitGroupOf(method: string | string[], url: string): Group | undefined {
  const methods = Array.isArray(method) ? method : [method];
  if (!url.startsWith('/api/')) return undefined;
  if (methods.includes('POST') && /\/imports$/.test(url)) return 'imports';
  if (methods.includes('GET') && /\/export\.csv$/.test(url)) return 'exports';
  // Registration checks make the server send SIP to a host the user names: bounded per account,
  // so the feature cannot be turned into a port scanner.
  if (methods.includes('POST') && (/\/registration-checks$/.test(url) || /\/runs$/.test(url))) return 'checks';
  return undefined;
}

interface StoreResult {
  current: number;
  ttl: number;
}

/**
 * Registers @fastify/rate-limit (not global) with a database store, and puts the per-account
 * import and export limits on every matching route that does not set its own `config.rateLimit`.
 * Call before the routes are registered.
 */
export async function registerSecurity(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.addHook('onRoute', (route: RouteOptions) => {
    const group = rateLimitGroupOf(route.method, route.url);
    if (!group) return;
    const config = (route.config ?? {}) as { rateLimit?: unknown };
    if (config.rateLimit === undefined) route.config = { ...config, rateLimit: limitFor(ctx, group) };
  });

  class DbStore {
    incr(key: string, done: (err: Error | null, res?: StoreResult) => void, timeWindow: number): void {
      const now = new Date();
      hitRateLimit(ctx.db.kysely, `rl:${key}`, now, timeWindow).then(
        ({ hits, windowStartedAt }) =>
          done(null, {
            current: hits,
            ttl: Math.max(0, windowStartedAt.getTime() + timeWindow - now.getTime()),
          }),
        (err: Error) => done(err),
      );
    }
    child(): DbStore {
      return new DbStore();
    }
  }

  await app.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    store: DbStore as unknown as RateLimitOptions['store'],
    keyGenerator: accountKey,
    errorResponseBuilder: (request, context) => {
      const group = ((request.routeOptions.config as { rateLimit?: { groupId?: string } }).rateLimit?.groupId ??
        'imports') as Group;
      const words = GROUP_WORDS[group] ?? GROUP_WORDS.imports;
      return new AppError(
        'rate_limited',
        `Too many ${words.many}`,
        `This account has ${words.verb} ${context.max} ${words.many} in the last minute, the most it may; wait ${context.after} and try again.`,
        { retryAfterSeconds: Math.max(1, Math.ceil(context.ttl / 1000)) },
      );
    },
  });
}
