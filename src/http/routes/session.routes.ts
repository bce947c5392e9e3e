import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { csrfMatches, login, logout, resolveSession, SESSION_TTL_MS } from '../../app/auth.ts';
import { findAccount } from '../../db/accounts.repository.ts';
import { SESSION_COOKIE } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { parseWith, sendProblem } from '../problem.ts';

const loginBody = z.strictObject({
  email: z.string({ error: 'give the email as a string' }).max(320),
  password: z.string({ error: 'give the password as a string' }).max(1024),
});

/** Log in, log out and "who am I" — public routes (they authenticate by themselves). */
export async function sessionRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const sessionBody = async (accountId: number, userId: number, email: string, csrfToken: string) => {
    const account = await findAccount(ctx.db.kysely, accountId);
    return {
      user: { id: userId, email },
      account: { id: accountId, name: account?.name ?? '' },
      csrf_token: csrfToken,
    };
  };

  app.post('/api/session', { bodyLimit: 16 * 1024 }, async (request, reply) => {
    const body = parseWith(loginBody, request.body);
    const s = await login(ctx.db, body.email, body.password, request.ip);
    reply.setCookie(SESSION_COOKIE, s.token, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: ctx.config.secureCookies,
      maxAge: Math.floor(SESSION_TTL_MS / 1000),
    });
    return sessionBody(s.principal.accountId, s.principal.userId, s.principal.email, s.csrfToken);
  });

  app.get('/api/session', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    const session = token ? await resolveSession(ctx.db, token) : undefined;
    if (!session) return sendProblem(reply, 401, 'Unauthorized', 'You are not logged in.');
    return sessionBody(session.accountId, session.userId, session.email, session.csrfToken);
  });

  app.delete('/api/session', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    const session = token ? await resolveSession(ctx.db, token) : undefined;
    if (token && session) {
      if (!csrfMatches(session.csrfToken, request.headers['x-csrf-token'] as string | undefined)) {
        return sendProblem(reply, 403, 'Missing CSRF token', 'Send the X-CSRF-Token header to log out.');
      }
      await logout(ctx.db, token);
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });
}
