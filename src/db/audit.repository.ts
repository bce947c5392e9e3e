import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { nowIso } from './time.ts';

export interface AuditInput {
  accountId: number;
  userId: number | null;
  actor: string;
  action: string;
  subject: string;
  /** Counts, ids, scopes: never a secret. */
  details: Record<string, unknown>;
}

export interface AuditEvent extends Omit<AuditInput, 'details'> {
  id: number;
  details: Record<string, unknown>;
  createdAt: string;
}

export async function insertAuditEvent(db: Kysely<Database>, e: AuditInput): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      account_id: e.accountId,
      user_id: e.userId,
      actor: e.actor,
      action: e.action,
      subject: e.subject,
      details: JSON.stringify(e.details),
      created_at: nowIso(),
    })
    .execute();
}

export async function listAuditEvents(
  db: Kysely<Database>,
  accountId: number,
  opts: { action?: string; actor?: string; limit: number; offset: number },
): Promise<{ total: number; items: AuditEvent[] }> {
  let q = db.selectFrom('audit_events').where('account_id', '=', accountId);
  if (opts.action) q = q.where('action', '=', opts.action);
  if (opts.actor) q = q.where('actor', '=', opts.actor);
  const [{ n }] = [await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()];
  const rows = await q.selectAll().orderBy('id', 'desc').limit(opts.limit).offset(opts.offset).execute();
  return {
    total: Number(n),
    items: rows.map((r) => ({
      id: r.id,
      accountId: r.account_id,
      userId: r.user_id,
      actor: r.actor,
      action: r.action,
      subject: r.subject,
      details: JSON.parse(r.details) as Record<string, unknown>,
      createdAt: r.created_at,
    })),
  };
}
