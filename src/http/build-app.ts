import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import { addAuthHook } from './auth.ts';
import type { AppContext } from './context.ts';
import { shutdownHooks } from './lifecycle.ts';
import { errorHandler, sendProblem } from './problem.ts';
import { healthRoutes } from './routes/health.routes.ts';
import { registerSecurity } from './security.ts';
import { authenticatedRoutes } from './routes/index.ts';
import { sessionRoutes } from './routes/session.routes.ts';

export interface BuildOptions {
  logger?: boolean | object;
  /** Where the JSON log goes (default stdout), with the level and redaction of the config: for tests. */
  logStream?: { write(line: string): void };
}

// Everything a log line must never carry: credentials, cookies, CSV bodies.
export const LOG_REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'req.body',
  // Objects a handler might log by mistake: the secrets of a body or a row, one level down.
  '*.password',
  '*.auth_password',
  '*.totp_secret',
  '*.csv',
  '*.token',
  '*.reauth_token',
];

/** Builds the app without listening; src/cli serve listens, tests use inject(). */
export async function buildApp(ctx: AppContext, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? {
      level: ctx.config.logLevel,
      redact: { paths: LOG_REDACT, censor: '[redacted]' },
      ...(opts.logStream && { stream: opts.logStream }),
    },
    trustProxy: ctx.config.trustProxy,
    bodyLimit: 1024 * 1024,
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: false,
  });
  const state = { draining: false };

  app.decorateRequest('principal', null);
  app.decorate('drainState', state);
  app.setErrorHandler(errorHandler);

  await app.register(cookie);
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Mantine sets CSS variables through style attributes and <style> tags.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
    hsts: ctx.config.secureCookies ? undefined : false,
  });
  await registerSecurity(app, ctx);
  await app.register(multipart, { limits: { fileSize: 64 * 1024 * 1024, files: 1, fields: 5 } });
  // CSV bodies arrive raw; the import route decides what it can read.
  app.addContentTypeParser(
    ['text/csv', 'text/plain', 'application/csv'],
    { parseAs: 'buffer', bodyLimit: 64 * 1024 * 1024 },
    (_req, body, done) => done(null, body),
  );

  app.addHook('onRequest', async (_request, reply) => {
    if (state.draining) reply.header('Connection', 'close');
  });
  // Shutting down (serve sets draining, then closes): running work (imports) finishes or rolls back
  // by the deadline before the listener closes. Meanwhile Fastify answers every request 503 with
  // Connection: close (return503OnClosing), /readyz included, so load balancers move away at once
  // instead of meeting refused connections.
  app.addHook('preClose', async () => {
    if (!state.draining) return;
    const deadline = Date.now() + ctx.config.shutdownGraceMs;
    for (const hook of shutdownHooks) await hook(deadline);
  });

  await app.register(async (pub) => {
    await healthRoutes(pub, ctx, state);
    await sessionRoutes(pub, ctx);
  });
  await app.register(async (api) => {
    addAuthHook(api, ctx);
    for (const routes of authenticatedRoutes) await routes(api, ctx);
  });

  const index = join(ctx.config.webDir, 'index.html');
  if (existsSync(index)) {
    await app.register(fastifyStatic, { root: ctx.config.webDir, wildcard: false, index: 'index.html' });
  }
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/') || request.method !== 'GET') {
      return sendProblem(
        reply,
        404,
        'Not found',
        `There is no ${request.method} ${request.url.split('?')[0]}; check the path.`,
      );
    }
    if (!existsSync(index)) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web UI is not built yet: run `npm run build:web` (npm start does it for you).');
    }
    // Client-side routes of the single-page app.
    return reply.type('text/html; charset=utf-8').sendFile('index.html');
  });

  return app;
}
