import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listAuditFilterOptions, listAuditLog } from '../../app/audit-log.ts';
import { principalOf } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { parseWith } from '../problem.ts';

const listQuery = z.strictObject({
  page: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce
      .number({ error: 'give the page as a whole number' })
      .int('give the page as a whole number')
      .min(1, 'pages start at 1')
      .max(1_000_000)
      .default(1),
  ),
  action: z.string().max(100).optional(),
  actor: z.string().max(320).optional(),
  from: z.string().max(40).optional(),
  to: z.string().max(40).optional(),
});

/** The account's audit log: GET /api/audit-events (paginated, filterable, newest first) and its filter options. */
export async function auditRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/api/audit-events', async (request) => {
    const p = principalOf(request);
    const q = parseWith(listQuery, request.query, 'query');
    return listAuditLog(ctx.db, p.accountId, q);
  });

  app.get('/api/audit-events/filters', async (request) => {
    const p = principalOf(request);
    return listAuditFilterOptions(ctx.db, p.accountId);
  });
}
