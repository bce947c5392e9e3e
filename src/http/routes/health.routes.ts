import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { migrationsCurrent } from '../../db/migrate.ts';
import type { AppContext } from '../context.ts';

/** Health for load balancers: /healthz = the process answers; /readyz = the database is reachable and migrated. */
export async function healthRoutes(app: FastifyInstance, ctx: AppContext, state: { draining: boolean }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (state.draining) return reply.code(503).send({ status: 'draining' });
    try {
      await sql`select 1`.execute(ctx.db.kysely);
      if (!(await migrationsCurrent(ctx.db))) {
        return reply.code(503).send({ status: 'migrations pending', detail: 'Run `sipcreds migrate`.' });
      }
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'database unreachable' });
    }
  });
}
