import type { FastifyInstance } from 'fastify';
import { findAccount } from '../../db/accounts.repository.ts';
import { principalOf } from '../auth.ts';
import type { AppContext } from '../context.ts';

/** The caller's account and its plan usage. */
export async function accountRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/api/account', async (request) => {
    const p = principalOf(request);
    const account = await findAccount(ctx.db.kysely, p.accountId);
    const { n } = await ctx.db.kysely
      .selectFrom('credential_sets')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', p.accountId)
      .executeTakeFirstOrThrow();
    return {
      id: p.accountId,
      name: account?.name ?? '',
      max_sets: account?.maxSets ?? 0,
      set_count: Number(n),
      user: { id: p.userId, email: p.email },
    };
  });
}
