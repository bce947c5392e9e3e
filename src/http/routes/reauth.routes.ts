import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { consumeReauth, reauthenticate, REAUTH_TTL_SECONDS } from '../../app/reauth.ts';
import { AppError } from '../../app/errors.ts';
import { principalOf, SESSION_COOKIE } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { parseWith } from '../problem.ts';

export const REAUTH_HEADER = 'x-reauth-token';

const reauthBody = z.strictObject({
  password: z.string({ error: 'give your password as a string' }).min(1, 'type your password').max(1024),
});

/**
 * POST /api/session/reauth {password} → {reauth_token, expires_in}: the signed-in user confirms
 * their password before a plaintext export. Browser sessions only (API tokens never need it).
 */
export async function reauthRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post('/api/session/reauth', { bodyLimit: 16 * 1024 }, async (request) => {
    const principal = principalOf(request);
    const sessionToken = request.cookies[SESSION_COOKIE];
    if (principal.via !== 'session' || !sessionToken) {
      throw new AppError(
        'invalid',
        'Not a browser session',
        'Re-entering a password is for browser sessions; requests with an API token do not need it.',
      );
    }
    const body = parseWith(reauthBody, request.body);
    const { token, expiresIn } = await reauthenticate(ctx.db, principal, sessionToken, body.password, request.ip);
    return { reauth_token: token, expires_in: expiresIn };
  });
}

export type ReauthProof = { via: 'token' } | { via: 'reauth' };

/**
 * For routes that hand out plaintext secrets to a browser session (Export All): requires the
 * X-Reauth-Token header with a token from POST /api/session/reauth, issued to this session in the
 * last two minutes and not used before; it is used up here. API-token requests are exempt (scripts).
 * Throws a 403 problem that says what to do otherwise. Call it first in the handler, before any
 * output; put `reauth: proof.via === 'reauth'` into the route's audit event.
 */
export async function requireRecentReauth(ctx: AppContext, request: FastifyRequest): Promise<ReauthProof> {
  const principal = principalOf(request);
  if (principal.via === 'token') return { via: 'token' };
  const sessionToken = request.cookies[SESSION_COOKIE];
  const header = request.headers[REAUTH_HEADER];
  const given = Array.isArray(header) ? header[0] : header;
  if (!given) {
    throw new AppError(
      'forbidden',
      'Password required',
      `This export holds every password in plain text: confirm your password first (POST /api/session/reauth) and send the reauth_token it returns as the X-Reauth-Token header within ${REAUTH_TTL_SECONDS / 60} minutes.`,
      { reauth_required: true },
    );
  }
  if (!sessionToken || !(await consumeReauth(ctx.db, principal, sessionToken, given))) {
    throw new AppError(
      'forbidden',
      'Password confirmation expired',
      'Your password confirmation has expired or was used already; type your password again to export.',
      { reauth_required: true },
    );
  }
  return { via: 'reauth' };
}
