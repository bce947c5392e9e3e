import type { Kysely } from 'kysely';
import type { AuditEvent } from './audit.repository.ts';
import type { Database } from './schema.ts';

// Reading the audit log page by page (the writing side is audit.repository.ts).

export interface AuditQuery {
  action?: string;
  actor?: string;
  /** ISO-8601 UTC bounds: from inclusive, to exclusive. */
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

/** One page of an account's events, newest first, and how many match in all. */
export async function findAuditEvents(
  db: Kysely<Database>,
  accountId: number,
  q: AuditQuery,
): Promise<{ total: number; items: AuditEvent[] }> {
  let base = db.selectFrom('audit_events').where('account_id', '=', accountId);
  if (q.action) base = base.where('action', '=', q.action);
  if (q.actor) base = base.where('actor', '=', q.actor);
  // created_at is ISO-8601 UTC text of one fixed width, so text order is time order.
  if (q.from) base = base.where('created_at', '>=', q.from);
  if (q.to) base = base.where('created_at', '<', q.to);
  const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await base.selectAll().orderBy('id', 'desc').limit(q.limit).offset(q.offset).execute();
  return {
    total: Number(n),
    items: rows.map((r) => ({
      id: r.id,
      accountId: r.account_id,
      userId: r.user_id,
      actor: r.actor,
      action: r.action,
      subject: r.subject,
      details: parseDetails(r.details),
      createdAt: r.created_at,
    })),
  };
}

function parseDetails(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The actions and actors that occur in an account's log, for the page's filters. */
export async function listAuditFacets(
  db: Kysely<Database>,
  accountId: number,
): Promise<{ actions: string[]; actors: string[] }> {
  const [actions, actors] = await Promise.all([
    db
      .selectFrom('audit_events')
      .select('action')
      .distinct()
      .where('account_id', '=', accountId)
      .orderBy('action')
      .execute(),
    db
      .selectFrom('audit_events')
      .select('actor')
      .distinct()
      .where('account_id', '=', accountId)
      .orderBy('actor')
      .execute(),
  ]);
  return { actions: actions.map((r) => r.action), actors: actors.map((r) => r.actor) };
}
