import { apiJson } from '../../api/http-client.ts';

// Shapes of GET /api/audit-events and its filter options (docs/deploying.md lists the API).
// No event carries a secret: the server drops any that a writer put in by mistake.

export interface AuditEvent {
  id: number;
  created_at: string;
  actor: string;
  user_id: number | null;
  action: string;
  action_label: string;
  subject: string;
  /** The event as a sentence: "ops@example.com imported 120 rows: 100 updated, 20 created". */
  summary: string;
  details: Record<string, unknown>;
}

export interface AuditPage {
  page: number;
  page_size: number;
  total: number;
  items: AuditEvent[];
}

export interface AuditFilterOptions {
  actions: Array<{ value: string; label: string }>;
  actors: string[];
}

export interface AuditFilters {
  action: string;
  actor: string;
  /** YYYY-MM-DD, both days included (UTC). */
  from: string;
  to: string;
}

export const EMPTY_AUDIT_FILTERS: AuditFilters = { action: '', actor: '', from: '', to: '' };

export const auditEventsKey = (page: number, filters: AuditFilters) => ['audit-log', 'events', page, filters] as const;
export const auditFilterOptionsKey = ['audit-log', 'filters'] as const;

export function fetchAuditEvents(page: number, filters: AuditFilters): Promise<AuditPage> {
  const params = new URLSearchParams({ page: String(page) });
  for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value);
  return apiJson<AuditPage>(`/api/audit-events?${params.toString()}`);
}

export function fetchAuditFilterOptions(): Promise<AuditFilterOptions> {
  return apiJson<AuditFilterOptions>('/api/audit-events/filters');
}
