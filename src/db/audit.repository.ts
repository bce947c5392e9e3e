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
