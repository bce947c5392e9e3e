import type { Db } from '../db/connect.ts';
import { insertAuditEvent, type AuditEvent } from '../db/audit.repository.ts';
import { findAuditEvents, listAuditFacets } from '../db/audit-log.repository.ts';
import { AppError } from './errors.ts';

// The Account → Audit log: who did what, and when, told as a sentence a person can read.
// Writers (import, export, inline save, SIP Credentials, Projects…) record events with
// insertAuditEvent; this module reads them back, page by page, and never returns a secret.

export const AUDIT_PAGE_SIZE = 25;

export interface AuditFilters {
  page: number;
  action?: string;
  actor?: string;
  /** Inclusive lower bound: a date (YYYY-MM-DD, from its start, UTC) or an ISO-8601 time. */
  from?: string;
  /** Upper bound: a date (that whole day is included, UTC) or an ISO-8601 time (exclusive). */
  to?: string;
}

export interface AuditLogItem {
  id: number;
  created_at: string;
  actor: string;
  user_id: number | null;
  action: string;
  action_label: string;
  subject: string;
  summary: string;
  details: Record<string, unknown>;
}

export interface AuditLogPage {
  page: number;
  page_size: number;
  total: number;
  items: AuditLogItem[];
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Turns a from/to parameter into an ISO-8601 UTC bound, or fails naming the parameter. */
export function parseTimeBound(name: 'from' | 'to', raw: string): string {
  const value = raw.trim();
  const ms = Date.parse(DATE_ONLY.test(value) ? `${value}T00:00:00.000Z` : value);
  if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new AppError(
      'invalid',
      `Invalid ${name}`,
      `"${raw}" is not a date; give ${name} as YYYY-MM-DD (UTC) or as an ISO-8601 time like 2026-12-08T14:30:00Z.`,
    );
  }
  // A date given as "to" means "up to the end of that day".
  return new Date(name === 'to' && DATE_ONLY.test(value) ? ms + DAY_MS : ms).toISOString();
}

/** One page of the account's audit log, newest first, each event with its sentence. */
export async function listAuditLog(db: Db, accountId: number, filters: AuditFilters): Promise<AuditLogPage> {
  const from = filters.from ? parseTimeBound('from', filters.from) : undefined;
  const to = filters.to ? parseTimeBound('to', filters.to) : undefined;
  if (from && to && from >= to) {
    throw new AppError('invalid', 'Invalid time range', '"from" must be before "to"; swap them or widen the range.');
  }
  const { total, items } = await findAuditEvents(db.kysely, accountId, {
    action: filters.action?.trim() || undefined,
    actor: filters.actor?.trim().toLowerCase() || undefined,
    from,
    to,
    limit: AUDIT_PAGE_SIZE,
    offset: (filters.page - 1) * AUDIT_PAGE_SIZE,
  });
  return { page: filters.page, page_size: AUDIT_PAGE_SIZE, total, items: items.map(toItem) };
}

/** The actions and users that occur in the account's log, to fill the page's filters. */
export async function listAuditFilterOptions(
  db: Db,
  accountId: number,
): Promise<{ actions: Array<{ value: string; label: string }>; actors: string[] }> {
  const { actions, actors } = await listAuditFacets(db.kysely, accountId);
  return { actions: actions.map((value) => ({ value, label: actionLabel(value) })), actors };
}

function toItem(e: AuditEvent): AuditLogItem {
  const details = withoutSecrets(e.details) as Record<string, unknown>;
  return {
    id: e.id,
    created_at: e.createdAt,
    actor: e.actor,
    user_id: e.userId,
    action: e.action,
    action_label: actionLabel(e.action),
    subject: e.subject,
    summary: describeAuditEvent({ actor: e.actor, action: e.action, subject: e.subject, details }),
    details,
  };
}

// Writers never put a secret into an event; this is the second line of defence, so that even a
// mistake upstream does not show one on the page. Counts and column names stay.
const SECRET_KEY =
  /^(auth_)?password$|^new_password$|^totp_secret$|secret|^token$|_token$|^api_key$|cookie|authorization|^csv$|^body$|^file$/i;
const MAX_TEXT = 500;

export function withoutSecrets(value: unknown, depth = 0): unknown {
  if (depth > 5) return null;
  if (typeof value === 'string') return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value;
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => withoutSecrets(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (!SECRET_KEY.test(k)) out[k] = withoutSecrets(v, depth + 1);
    return out;
  }
  return value;
}

// ---- Sentences --------------------------------------------------------------------------------

const LABELS: Record<string, string> = {
  'set.created': 'Credential set created',
  'set.renamed': 'Credential set renamed',
  'set.tags_changed': 'Credential set tags changed',
  'set.cloned': 'Credential set cloned',
  'set.deleted': 'Credential set deleted',
  'entry.created': 'Entry added',
  'entry.updated': 'Entry changed',
  'entry.deleted': 'Entry deleted',
  'project.created': 'Project created',
  'project.updated': 'Project changed',
  'project.deleted': 'Project deleted',
  'test.created': 'Test created',
  'test.updated': 'Test changed',
  'test.deleted': 'Test deleted',
  'registration_run.started': 'Registration run started',
  registration_check: 'Registration check',
  'credential_passwords.import': 'Import',
  'credential_passwords.import_dry_run': 'Import checked (dry run)',
  'credential_passwords.import_failed': 'Import failed',
  'credential_passwords.export_all': 'Export All',
  'credential_passwords.export_set': 'Credential set exported',
  'credential_passwords.passwords_saved': 'Passwords saved inline',
  'session.reauth': 'Password re-entered',
  'session.reauth_failed': 'Password re-entry failed',
};

/** A short label for an action, for the filter list and the page's badge. */
export function actionLabel(action: string): string {
  const known = LABELS[action];
  if (known) return known;
  const kind = kindOf(action);
  if (kind === 'import') return /dry/i.test(action) ? 'Import checked (dry run)' : 'Import';
  if (kind === 'export_all') return 'Export All';
  if (kind === 'export_set') return 'Credential set exported';
  if (kind === 'export') return 'Export';
  if (kind === 'inline_save') return 'Passwords saved inline';
  const words = action.replace(/[._]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

type Kind = 'import' | 'export_all' | 'export_set' | 'export' | 'inline_save' | 'other';

// The import/export and inline-save writers name their actions their own way; recognise the
// family by its words so the page reads well whichever name they chose.
function kindOf(action: string): Kind {
  const a = action.toLowerCase();
  if (/import/.test(a)) return 'import';
  if (/export/.test(a)) {
    if (/all/.test(a)) return 'export_all';
    if (/set/.test(a)) return 'export_set';
    return 'export';
  }
  if (/password/.test(a) && /(save|saved|update|updated|inline)/.test(a)) return 'inline_save';
  return 'other';
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
const fmt = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, one: string, many = `${one}s`) => `${fmt(n)} ${n === 1 ? one : many}`;
const quoted = (s: string) => `“${s}”`;
const countEntries = (n: number) => (n === 0 ? 'no entries' : plural(n, 'entry', 'entries'));

function firstNumber(d: Record<string, unknown>, ...keys: string[]): number | undefined {
  for (const k of keys) {
    const v = num(d[k]);
    if (v !== undefined) return v;
  }
  return undefined;
}

function counts(d: Record<string, unknown>): { updated?: number; created?: number; failed?: number } {
  const nested = d.counts && typeof d.counts === 'object' ? (d.counts as Record<string, unknown>) : {};
  return {
    updated: num(nested.updated) ?? num(d.updated) ?? num(d.updated_count),
    created: num(nested.created) ?? num(d.created) ?? num(d.created_count),
    failed: num(nested.failed) ?? num(d.failed) ?? num(d.failed_count),
  };
}

function setName(d: Record<string, unknown>, idKey = 'set_id'): string {
  const name = str(d.name) ?? str(d.set_name);
  const id = num(d[idKey]) ?? num(d.multi_credential_pool_id);
  if (name) return `credential set ${quoted(name)}`;
  return id !== undefined ? `credential set ${id}` : 'a credential set';
}

/** The event told as one sentence, like "ops@example.com imported 120 rows: 100 updated, 20 created". */
export function describeAuditEvent(e: {
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown>;
}): string {
  const who = e.actor;
  const d = e.details;
  const entries = firstNumber(d, 'entry_count', 'entries', 'rows', 'row_count', 'exported');
  switch (e.action) {
    case 'set.created':
      return `${who} created ${setName(d)}${entries ? ` with ${countEntries(entries)}` : ''}`;
    case 'set.renamed':
      return `${who} renamed credential set ${quoted(str(d.from) ?? '?')} to ${quoted(str(d.to) ?? '?')}`;
    case 'set.tags_changed': {
      const list = (v: unknown) => (Array.isArray(v) ? v.filter((t) => typeof t === 'string') : []);
      const parts = [
        list(d.added).length ? `added ${list(d.added).join(', ')}` : '',
        list(d.removed).length ? `removed ${list(d.removed).join(', ')}` : '',
      ].filter(Boolean);
      return `${who} changed the tags of ${setName(d)}${parts.length ? `: ${parts.join('; ')}` : ''}`;
    }
    case 'set.cloned': {
      const source = num(d.source_set_id);
      return `${who} cloned credential set ${source ?? '?'} as ${str(d.name) ? quoted(str(d.name)!) : `set ${num(d.set_id) ?? '?'}`}${entries ? ` (${countEntries(entries)})` : ''}`;
    }
    case 'set.deleted':
      return `${who} deleted ${setName(d)}${entries ? ` and its ${countEntries(entries)}` : ''}`;
    case 'entry.created':
      return `${who} added entry ${num(d.entry_id) ?? '?'} to ${setName(d)}`;
    case 'entry.updated': {
      const changed = Array.isArray(d.changed) ? d.changed.filter((c) => typeof c === 'string') : [];
      const what = changed.length ? changed.join(', ') : 'nothing';
      const totp = d.totp === 'removed' ? ' (TOTP removed)' : '';
      return `${who} changed ${what} of entry ${num(d.entry_id) ?? '?'} in ${setName(d)}${totp}`;
    }
    case 'entry.deleted':
      return `${who} deleted entry ${num(d.entry_id) ?? '?'} from ${setName(d)}`;
    case 'project.created':
    case 'project.updated':
    case 'project.deleted':
      return `${who} ${verb(e.action)} project ${num(d.project_id) ?? e.subject.replace(/^project\s*/, '')}`;
    case 'test.created':
    case 'test.updated':
    case 'test.deleted':
      return `${who} ${verb(e.action)} test ${num(d.test_id) ?? e.subject.replace(/^test\s*/, '')}${num(d.project_id) !== undefined ? ` in project ${num(d.project_id)}` : ''}`;
    case 'registration_run.started': {
      const n = Array.isArray(d.entries) ? d.entries.length : num(d.total);
      return `${who} started a registration run${n !== undefined ? ` of ${plural(n, 'entry', 'entries')}` : ''}${num(d.test_id) !== undefined ? ` for test ${num(d.test_id)}` : ''}`;
    }
    case 'registration_check': {
      const status = [num(d.status_code), str(d.reason)].filter((x) => x !== undefined).join(' ');
      return `${who} checked that entry ${num(d.entry_id) ?? '?'} registers${status ? `: ${status}` : ''}`;
    }
    case 'session.reauth':
      return `${who} re-entered their password to confirm ${str(d.purpose) ?? 'a plaintext export'}`;
    case 'session.reauth_failed':
      return `${who} entered a wrong password when asked to confirm ${str(d.purpose) ?? 'a plaintext export'}`;
  }
  switch (kindOf(e.action)) {
    case 'import':
      return describeImport(who, e.action, d);
    case 'export_all':
      if (d.completed === false) {
        return `${who} started Export All, but the download stopped${entries !== undefined ? ` after ${countEntries(entries)}` : ''}`;
      }
      return `${who} exported all credentials with Export All${entries !== undefined ? ` (${countEntries(entries)})` : ''}${d.reauth === true ? ', after re-entering their password' : ''}`;
    case 'export_set':
      return `${who} exported ${setName(d)}${entries !== undefined ? ` (${countEntries(entries)})` : ''}`;
    case 'export':
      return `${who} exported ${d.set_id !== undefined ? setName(d) : 'credentials'}${entries !== undefined ? ` (${countEntries(entries)})` : ''}`;
    case 'inline_save': {
      const n =
        firstNumber(d, 'updated', 'count', 'passwords') ??
        (Array.isArray(d.entry_ids) ? d.entry_ids.length : undefined);
      return `${who} saved ${n !== undefined ? plural(n, 'password') : 'passwords'} inline`;
    }
    default:
      return `${who} ${e.action.replace(/[._]+/g, ' ')}${e.subject ? ` ${e.subject}` : ''}`;
  }
}

function verb(action: string): string {
  const v = action.split('.').pop() ?? action;
  return v === 'updated' ? 'changed' : v;
}

const REJECTIONS: Record<string, string> = {
  not_utf8: 'not UTF-8',
  bad_header: 'not the import header',
  no_rows: 'no data rows',
  too_many_rows: 'more than 20,000 rows',
  unreadable: 'not readable as CSV',
  too_large: 'too large',
};

function describeImport(who: string, action: string, d: Record<string, unknown>): string {
  const c = counts(d);
  const total =
    firstNumber(d, 'total_rows', 'rows', 'row_count', 'total') ?? (c.updated ?? 0) + (c.created ?? 0) + (c.failed ?? 0);
  const parts = [
    c.updated ? `${fmt(c.updated)} updated` : '',
    c.created ? `${fmt(c.created)} created` : '',
    c.failed ? `${fmt(c.failed)} failed` : '',
  ].filter(Boolean);
  const source = str(d.filename) ?? str(d.file_name);
  const from = source ? ` from ${source}` : '';
  const dry = d.dry_run === true || /dry/i.test(action);
  if (d.status === 'rejected') {
    const why = REJECTIONS[str(d.reason) ?? ''] ?? str(d.reason);
    return `${who} tried to ${dry ? 'check' : 'import'} ${source ?? 'a file'}; it was rejected${why ? ` (${why})` : ''} and nothing was applied`;
  }
  if (d.status === 'failed' || /fail/i.test(action)) {
    const why = str(d.error);
    return `${who} tried to import ${plural(total, 'row')}${from}; the import failed and nothing was applied${why ? ` (${why})` : ''}`;
  }
  if (dry) {
    return `${who} checked a file of ${plural(total, 'row')}${from} without applying it${parts.length ? `: ${parts.join(', ')}` : ''}`;
  }
  return `${who} imported ${plural(total, 'row')}${from}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

/** Records that a user re-entered their password (or failed to) before a plaintext export. */
export async function recordReauthEvent(
  db: Db,
  who: { accountId: number; userId: number; email: string },
  ok: boolean,
): Promise<void> {
  await insertAuditEvent(db.kysely, {
    accountId: who.accountId,
    userId: who.userId,
    actor: who.email,
    action: ok ? 'session.reauth' : 'session.reauth_failed',
    subject: `user:${who.userId}`,
    details: { purpose: 'a plaintext export' },
  });
}
