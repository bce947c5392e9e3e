import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfMatches, resolveApiToken, resolveSession } from '../app/auth.ts';
import type { AppContext } from './context.ts';
import { sendProblem } from './problem.ts';

export const SESSION_COOKIE = 'sipcreds_session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authenticates every request of the scope it is added to: a Bearer API token, or the session
 * cookie plus, for writes, the X-CSRF-Token header that the session was issued with.
 */
export function addAuthHook(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      const principal = m ? await resolveApiToken(ctx.db, m[1]!) : undefined;
      if (!principal) {
        return sendProblem(
          reply,
          401,
          'Unauthorized',
          'The API token is not valid; create one with `sipcreds token create`.',
        );
      }
      request.principal = { ...principal, via: 'token' };
      return;
    }
    const cookie = request.cookies[SESSION_COOKIE];
    const session = cookie ? await resolveSession(ctx.db, cookie) : undefined;
    if (!session) {
      return sendProblem(
        reply,
        401,
        'Unauthorized',
        'Log in first, or send an API token as "Authorization: Bearer TOKEN".',
      );
    }
    if (
      !SAFE_METHODS.has(request.method) &&
      !csrfMatches(session.csrfToken, request.headers['x-csrf-token'] as string)
    ) {
      return sendProblem(
        reply,
        403,
        'Missing CSRF token',
        'Send the X-CSRF-Token header with the csrf_token from GET /api/session; reload the page if you see this in the browser.',
      );
    }
    const { csrfToken: _c, ...principal } = session;
    request.principal = { ...principal, via: 'session' };
  });
}

/** The principal of an authenticated request (routes behind addAuthHook only). */
export function principalOf(request: FastifyRequest) {
  if (!request.principal) throw new Error('principalOf used on a route without authentication');
  return request.principal;
}
