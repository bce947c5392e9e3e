// The import planner: parsed rows + the account as it is now → what each row will do. The plan is
// data; applying it (one transaction) and reporting it happen elsewhere. Row problems become
// `failed` rows, never exceptions. Messages and warnings never contain a password or TOTP secret.
import { CSV_COLUMNS, type ParsedRow } from './csv-format.ts';
import {
  controlCharacterMessage,
  findControlCharacter,
  looksLikeScientificNotation,
  quote,
  scientificNotationMessage,
  validateEntryFields,
  type EntryFields,
} from './entry-validation.ts';
import { normalizeTotpSecret } from './totp.ts';

export type { EntryFields } from './entry-validation.ts';

export interface EntrySnapshot {
  id: number;
  setId: number;
  username: string;
  domain: string;
  displayName: string;
  authUsername: string;
  password: string;
  totpSecret: string | null;
}

export interface CurrentState {
  /** Sets of THIS account among the pool ids named in the file. */
  existingSetIds: ReadonlySet<number>;
  /** Entries of THIS account among the entry ids named in the file, whatever set they are in (decrypted). */
  entries: ReadonlyMap<number, EntrySnapshot>;
  /** How many sets the account has now. */
  setCount: number;
  /** The plan limit on credential sets. */
  maxSets: number;
}

export type NewSetTarget = { kind: 'new'; group: string };
export type CreateTarget = { kind: 'existing'; setId: number } | NewSetTarget;

export type PlannedRow =
  | {
      row: number;
      action: 'updated';
      setId: number;
      entryId: number;
      username: string;
      domain: string;
      fields: EntryFields;
      changed: boolean;
      message: string;
      warnings: string[];
    }
  | {
      row: number;
      action: 'created';
      target: CreateTarget;
      username: string;
      domain: string;
      fields: EntryFields;
      message: string;
      warnings: string[];
    }
  | {
      row: number;
      action: 'failed';
      setId: number | null;
      entryId: number | null;
      username: string;
      domain: string;
      message: string;
      warnings: string[];
    };

export interface NewSet {
  /** The key that `created` rows name in `target.group`. */
  group: string;
  /** A name that says the set came from an import; users rename it under SIP Credentials. */
  name: string;
  rowCount: number;
}

export interface ImportPlan {
  rows: PlannedRow[];
  /** In the order the file first names them; only groups with at least one created row. */
  newSets: NewSet[];
  counts: { updated: number; created: number; failed: number };
}

export interface PlanOptions {
  /** The import's date (ISO, `2026-12-04` or a full timestamp) for the names of new sets. */
  importedAt?: string;
}

export const CREATED_NEW_SET_MESSAGE = 'New credential set and entry created';
export const CREATED_IN_SET_MESSAGE = 'New entry added to credential set';

/** Ids are positive integers that fit any integer column; anything else is an invalid id. */
export const MAX_ID = 2147483647;

/** Parses an id cell: trimmed, digits only, 1..MAX_ID; otherwise null (blank or invalid). */
export function parseId(cell: string): number | null {
  const text = cell.trim();
  if (!/^\d{1,10}$/.test(text)) return null;
  const id = Number(text);
  return id >= 1 && id <= MAX_ID ? id : null;
}

/** The valid ids a file names, so the app loads only those sets and entries of the account. */
export function collectReferencedIds(rows: readonly ParsedRow[]): { setIds: number[]; entryIds: number[] } {
  const setIds = new Set<number>();
  const entryIds = new Set<number>();
  for (const { cells } of rows) {
    const setId = parseId(cells[0] ?? '');
    if (setId !== null) setIds.add(setId);
    const entryId = parseId(cells[1] ?? '');
    if (entryId !== null) entryIds.add(entryId);
  }
  return { setIds: [...setIds].sort((a, b) => a - b), entryIds: [...entryIds].sort((a, b) => a - b) };
}

// A row on its way through the planner. Later passes (duplicates, plan limit) may still fail it.
type Draft = PlannedRow;

interface GroupInfo {
  key: string;
  label: string;
  /** Indices into the drafts of the rows this new set would hold. */
  rows: number[];
}

/**
 * Decides per row: update an entry of the account, create an entry (in a named set or in a new
 * set), or fail with a message naming the column and the fix. Linear in the number of rows.
 */
export function planImport(rows: readonly ParsedRow[], state: CurrentState, opts: PlanOptions = {}): ImportPlan {
  const date = datePart(opts.importedAt);
  const acc: Accumulator = { drafts: [], firstUpdate: new Map(), duplicateUpdates: new Map(), groups: new Map() };
  for (const parsed of rows) planRow(parsed, state, acc);
  const { drafts, firstUpdate, duplicateUpdates, groups } = acc;

  failDuplicateUpdates(drafts, firstUpdate, duplicateUpdates);
  const newSets = assignNewSets(drafts, groups, state, date);

  const counts = { updated: 0, created: 0, failed: 0 };
  for (const draft of drafts) counts[draft.action]++;
  return { rows: drafts, newSets, counts };
}

function datePart(importedAt: string | undefined): string | null {
  const match = importedAt === undefined ? null : /^\d{4}-\d{2}-\d{2}/.exec(importedAt);
  return match ? match[0] : null;
}

function failed(
  parsed: ParsedRow,
  message: string,
  warnings: string[],
  setId: number | null = null,
  entryId: number | null = null,
): Draft {
  // With the wrong number of cells the columns may be shifted, and the third cell could be a
  // password: name a username only when the row has the header's shape.
  const shaped = parsed.cells.length === CSV_COLUMNS.length;
  return {
    row: parsed.row,
    action: 'failed',
    setId,
    entryId,
    username: shaped ? (parsed.cells[2] as string).trim() : '',
    domain: shaped ? (parsed.cells[3] as string).trim() : '',
    message,
    warnings,
  };
}

function describeId(cell: string): string {
  const id = parseId(cell);
  return id === null ? quote(cell.trim()) : String(id);
}

function checkIdCell(column: string, cell: string): string | null {
  const control = findControlCharacter(cell);
  if (control >= 0) return controlCharacterMessage(column, cell, control);
  const trimmed = cell.trim();
  if (looksLikeScientificNotation(trimmed)) return scientificNotationMessage(column, trimmed);
  return null;
}

interface Accumulator {
  drafts: Draft[];
  /** Entry id → index of the first row that names it as an update target, even a row that fails. */
  firstUpdate: Map<number, number>;
  /** Entry id → indices of the later rows naming the same entry (rare: no array per row otherwise). */
  duplicateUpdates: Map<number, number[]>;
  groups: Map<string, GroupInfo>;
}

function record(acc: Accumulator, draft: Draft, updates: number | null, group: { key: string; label: string } | null) {
  const index = acc.drafts.push(draft) - 1;
  if (updates !== null) {
    if (!acc.firstUpdate.has(updates)) acc.firstUpdate.set(updates, index);
    else {
      const later = acc.duplicateUpdates.get(updates);
      if (later) later.push(index);
      else acc.duplicateUpdates.set(updates, [index]);
    }
  }
  if (group !== null && draft.action === 'created') {
    const existing = acc.groups.get(group.key);
    if (existing) existing.rows.push(index);
    else acc.groups.set(group.key, { key: group.key, label: group.label, rows: [index] });
  }
}

function wrongCellCountMessage(count: number): string {
  const expected = CSV_COLUMNS.length;
  const hint =
    count > expected
      ? 'A value with a comma must be enclosed in double quotes, and extra cells must be removed.'
      : 'A cell or a separator is missing; empty cells still need their separator.';
  return `row has ${count} ${count === 1 ? 'cell' : 'cells'}; expected ${expected} (${CSV_COLUMNS.join(',')}). ${hint}`;
}

/** Where a row goes: an update, a new entry in a set of the account, or a new set (`group`). */
interface Route {
  setId: number | null;
  updateOf: EntrySnapshot | null;
  group: { key: string; label: string } | null;
  warnings: string[];
}

function routeRow(poolText: string, entryText: string, state: CurrentState): Route {
  const poolId = parseId(poolText);
  const entryId = parseId(entryText);
  const entry = entryId === null ? undefined : state.entries.get(entryId);
  const warnings: string[] = [];

  if (poolId !== null && state.existingSetIds.has(poolId)) {
    if (entry !== undefined && entry.setId === poolId) {
      return { setId: poolId, updateOf: entry, group: null, warnings };
    }
    if (entry !== undefined) {
      warnings.push(
        `entry_id ${entry.id} belongs to credential set ${entry.setId} of your account, not to set ${poolId}, so this row is treated as a new entry in set ${poolId}; to update entry ${entry.id}, set multi_credential_pool_id to ${entry.setId}`,
      );
    } else if (entryText !== '') {
      warnings.push(
        entryId === null
          ? `entry_id ${describeId(entryText)} is not a valid id (ids are positive whole numbers), so this row is treated as a new entry in set ${poolId}`
          : `entry_id ${entryId} was not found in credential set ${poolId}, so this row is treated as a new entry in that set`,
      );
    }
    return { setId: poolId, updateOf: null, group: null, warnings };
  }

  let group: { key: string; label: string };
  if (poolText === '') {
    group = BLANK_POOL_GROUP;
  } else {
    // Rows with the same invalid pool id share one new set; `012` and `12` are the same id.
    group = { key: `pool:${describeId(poolText)}`, label: `pool id ${poolId ?? truncate(poolText, 30)}` };
    warnings.push(
      poolId === null
        ? `multi_credential_pool_id ${describeId(poolText)} is not a valid id (ids are positive whole numbers), so this row is treated as a new credential set; rows with the same multi_credential_pool_id share that set`
        : `multi_credential_pool_id ${poolId} was not found in your account, so this row is treated as a new credential set; rows with the same multi_credential_pool_id share that set`,
    );
  }
  if (entry !== undefined) {
    warnings.push(
      `entry_id ${entry.id} belongs to credential set ${entry.setId} of your account, but ${poolText === '' ? 'multi_credential_pool_id is blank' : 'the row names another multi_credential_pool_id'}, so this row is treated as a new entry in a new credential set; to update entry ${entry.id}, set multi_credential_pool_id to ${entry.setId}`,
    );
  } else if (entryText !== '' && poolText === '') {
    warnings.push(
      `entry_id ${describeId(entryText)} is ignored because multi_credential_pool_id is blank, so this row is treated as a new entry in a new credential set`,
    );
  }
  return { setId: null, updateOf: null, group, warnings };
}

const BLANK_POOL_GROUP = { key: 'blank', label: '' };

function planRow(parsed: ParsedRow, state: CurrentState, acc: Accumulator): void {
  const { cells, row } = parsed;
  if (cells.length !== CSV_COLUMNS.length) {
    record(acc, failed(parsed, wrongCellCountMessage(cells.length), []), null, null);
    return;
  }
  const poolCell = cells[0] as string;
  const entryCell = cells[1] as string;
  const idProblem = checkIdCell('multi_credential_pool_id', poolCell) ?? checkIdCell('entry_id', entryCell);
  if (idProblem !== null) {
    record(acc, failed(parsed, idProblem, []), null, null);
    return;
  }

  const route = routeRow(poolCell.trim(), entryCell.trim(), state);
  const { setId, updateOf, group, warnings } = route;

  const validation = validateEntryFields({
    username: cells[2] as string,
    domain: cells[3] as string,
    display_name: cells[4] as string,
    auth_username: cells[5] as string,
    auth_password: cells[6] as string,
    totp_secret: cells[7] as string,
  });
  if (validation.kind === 'invalid') {
    const entryId = updateOf === null ? null : updateOf.id;
    record(acc, failed(parsed, validation.message, warnings, setId, entryId), entryId, null);
    return;
  }
  const fields = validation.fields;

  if (updateOf !== null) {
    const damage =
      spreadsheetDamage('username', updateOf.username, fields.username) ??
      spreadsheetDamage('auth_username', updateOf.authUsername, fields.authUsername);
    if (damage !== null) {
      record(acc, failed(parsed, damage, warnings, setId, updateOf.id), updateOf.id, null);
      return;
    }
    const changes = describeChanges(updateOf, fields);
    const draft: Draft = {
      row,
      action: 'updated',
      setId: updateOf.setId,
      entryId: updateOf.id,
      username: fields.username,
      domain: fields.domain,
      fields,
      changed: changes !== '',
      message: changes === '' ? 'no changes' : changes,
      warnings,
    };
    record(acc, draft, updateOf.id, null);
    return;
  }

  const draft: Draft = {
    row,
    action: 'created',
    target: setId !== null ? { kind: 'existing', setId } : { kind: 'new', group: (group as { key: string }).key },
    username: fields.username,
    domain: fields.domain,
    fields,
    message: setId !== null ? CREATED_IN_SET_MESSAGE : CREATED_NEW_SET_MESSAGE,
    warnings,
  };
  record(acc, draft, null, group);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * A spreadsheet that reads `+4930123` or `0049301` as a number writes back `4930123` or `49301`.
 * Such a value, equal to the stored one without its leading `+` or zeros, is damage, not an edit.
 */
function spreadsheetDamage(column: string, stored: string, value: string): string | null {
  if (value === stored || !/^\d+$/.test(value) || !/^\+?\d+$/.test(stored)) return null;
  const withoutPlus = stored.startsWith('+') ? stored.slice(1) : stored;
  const withoutZeros = withoutPlus.replace(/^0+(?=\d)/, '');
  if (value !== withoutPlus && value !== withoutZeros) return null;
  const lost =
    value === withoutPlus ? 'its leading +' : stored.startsWith('+') ? 'its leading + and zeros' : 'its leading zeros';
  return `${column} ${quote(value)} is the stored ${quote(stored)} without ${lost}, as a spreadsheet writes a number; format the ${column} column as Text and re-enter ${quote(stored)} (or edit the file in a text editor), then import again`;
}

// Secrets first (the page is about rotating them), then the other columns in file order; by
// column name, never by value.
function describeChanges(before: EntrySnapshot, after: EntryFields): string {
  let message = '';
  if (after.password !== before.password) message = joinChange(message, 'password changed');
  const storedTotp = before.totpSecret === after.totpSecret ? after.totpSecret : normalizeStoredTotp(before.totpSecret);
  if (storedTotp !== after.totpSecret) {
    const what = after.totpSecret === null ? 'totp removed' : storedTotp === null ? 'totp added' : 'totp changed';
    message = joinChange(message, what);
  }
  if (after.username !== before.username) message = joinChange(message, 'username changed');
  if (after.domain !== before.domain) message = joinChange(message, 'domain changed');
  if (after.displayName !== before.displayName) message = joinChange(message, 'display_name changed');
  if (after.authUsername !== before.authUsername) message = joinChange(message, 'auth_username changed');
  return message;
}

function joinChange(message: string, change: string): string {
  return message === '' ? change : `${message}; ${change}`;
}

function normalizeStoredTotp(stored: string | null): string | null {
  if (stored === null) return null;
  const normalized = normalizeTotpSecret(stored);
  return normalized.kind === 'ok' ? normalized.value : stored;
}

function failDuplicateUpdates(
  drafts: Draft[],
  firstUpdate: ReadonlyMap<number, number>,
  duplicateUpdates: ReadonlyMap<number, number[]>,
): void {
  for (const [entryId, later] of duplicateUpdates) {
    const indices = [firstUpdate.get(entryId) as number, ...later];
    const rowNumbers = indices.map((i) => (drafts[i] as Draft).row);
    for (const i of indices) {
      const draft = drafts[i] as Draft;
      // At most 11 candidates, so naming the others stays linear even if every row names one entry.
      const others = rowNumbers
        .slice(0, 11)
        .filter((row) => row !== draft.row)
        .slice(0, 10);
      const more = rowNumbers.length - 1 - others.length;
      const own = draft.action === 'failed' ? `; this row also has a problem: ${draft.message}` : '';
      drafts[i] = {
        row: draft.row,
        action: 'failed',
        setId: draft.action === 'created' ? null : draft.setId,
        entryId,
        username: draft.username,
        domain: draft.domain,
        message: `entry_id ${entryId} is also updated by ${rowList(others, more)}; an entry can be updated by only one row per file, so keep just one of these rows${own}`,
        warnings: draft.warnings,
      };
    }
  }
}

function rowList(rows: readonly number[], more: number): string {
  if (rows.length === 1 && more === 0) return `row ${rows[0]}`;
  if (more > 0) return `rows ${rows.join(', ')} and ${more} more`;
  return `rows ${rows.slice(0, -1).join(', ')} and ${rows[rows.length - 1]}`;
}

function assignNewSets(
  drafts: Draft[],
  groups: Map<string, GroupInfo>,
  state: CurrentState,
  date: string | null,
): NewSet[] {
  const newSets: NewSet[] = [];
  // A Map iterates in insertion order: new sets are numbered in the order the file names them.
  for (const group of groups.values()) {
    const first = drafts[group.rows[0] as number] as Draft;
    const setNumber = state.setCount + newSets.length + 1;
    if (setNumber > state.maxSets) {
      const message = `the account's plan allows ${state.maxSets} credential ${state.maxSets === 1 ? 'set' : 'sets'}; this row would create set number ${setNumber} — delete unused sets under SIP Credentials or ask for a higher limit`;
      for (const i of group.rows) {
        const draft = drafts[i] as Draft;
        drafts[i] = {
          row: draft.row,
          action: 'failed',
          setId: null,
          entryId: null,
          username: draft.username,
          domain: draft.domain,
          message,
          warnings: draft.warnings,
        };
      }
      continue;
    }
    const label = group.label === '' ? `row ${first.row}` : group.label;
    newSets.push({
      group: group.key,
      name: `Imported ${date === null ? '' : `${date} `}(${label})`,
      rowCount: group.rows.length,
    });
  }
  return newSets;
}
