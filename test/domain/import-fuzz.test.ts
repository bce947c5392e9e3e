import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { CSV_COLUMNS, parseImportCsv, type ParsedRow } from '../../src/domain/csv-format.ts';
import {
  collectReferencedIds,
  parseId,
  planImport,
  type CurrentState,
  type EntrySnapshot,
  type ImportPlan,
} from '../../src/domain/import-planner.ts';

// Fuzzing parse + plan with generated files: nothing throws, and no row that the rules would not
// write is planned as updated or created.

const ENTRIES: EntrySnapshot[] = [
  {
    id: 345,
    setId: 12,
    username: '1001',
    domain: 'd',
    displayName: 'A',
    authUsername: '1001',
    password: 'old-SECRET-1',
    totpSecret: null,
  },
  {
    id: 346,
    setId: 12,
    username: '+4930123456',
    domain: 'd',
    displayName: 'B',
    authUsername: '+4930123456',
    password: 'old-SECRET-2',
    totpSecret: 'JBSWY3DPEHPK3PXP',
  },
  {
    id: 347,
    setId: 12,
    username: '0049301',
    domain: 'd',
    displayName: 'C',
    authUsername: '0049301',
    password: 'old-SECRET-3',
    totpSecret: null,
  },
  {
    id: 400,
    setId: 13,
    username: '2001',
    domain: 'e',
    displayName: 'D',
    authUsername: '2001',
    password: 'old-SECRET-4',
    totpSecret: null,
  },
];

// Mostly plausible values, so that many rows get through to updated or created, with a share of
// every kind of damage the rules must catch.
const idCell = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('', '12', '13', '345', '346', '347', '400', '999') },
  { weight: 1, arbitrary: fc.constantFrom('abc', ' 12 ', '0', '-1', '012', '4.9E+11', '12\t', '2147483648') },
);
const idPair = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(['12', '345'], ['12', '346'], ['12', '347'], ['13', '400']) },
  { weight: 2, arbitrary: fc.tuple(idCell, idCell) },
);
const oneChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
const textCell = fc.oneof(
  {
    weight: 14,
    arbitrary: fc.constantFrom('1001', '+4930123456', '0049301', ' 1001 ', 'Müller, "Jo"', 'sip.example.com', 'd', 'A'),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('4930123456', '49301', '', '  ', 'a\tb', 'x\ny', '4.9E+11', 'sip example.com'),
  },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.oneof(oneChar, fc.constantFrom('"', ',', ';', '\n', '\r', ' ', '+', '0')),
      maxLength: 12,
    }),
  },
);
// Every non-blank password contains SECRET, so a leak into a message is easy to see.
const passwordCell = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('', '  ', '\t', 'old-SECRET-1', 'tab\tSECRET', '1E+15') },
  {
    weight: 5,
    arbitrary: fc
      .string({ unit: fc.oneof(oneChar, fc.constantFrom('"', ',', ' ', '\n')), maxLength: 10 })
      .map((s) => `SECRET${s}`),
  },
);
const totpCell = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('', 'JBSWY3DPEHPK3PXP', 'jbsw y3dp ehpk 3pxp', 'MZXW6===') },
  { weight: 1, arbitrary: fc.constantFrom('  ', 'JBSWY3DP0HPK3PXP', 'SECRETSECRET', 'A', 'JBSWY3DP\n') },
);

const row = fc
  .tuple(
    idPair,
    textCell,
    textCell,
    textCell,
    textCell,
    passwordCell,
    totpCell,
    fc.constantFrom(8, 8, 8, 8, 8, 8, 8, 8, 7, 9),
  )
  .map(([[pool, entry], username, domain, display, auth, password, totp, width]) => {
    const cells = [pool, entry, username, domain, display, auth, password, totp];
    return width === 9 ? [...cells, 'extra'] : cells.slice(0, width);
  });

const fileArb = fc.record({
  delimiter: fc.constantFrom(',', ';', '\t'),
  recordDelimiter: fc.constantFrom('\r\n', '\n'),
  bom: fc.boolean(),
  rows: fc.array(row, { minLength: 1, maxLength: 25 }),
});

const stateArb = fc.record({ setCount: fc.integer({ min: 0, max: 4 }), maxSets: fc.integer({ min: 0, max: 6 }) });

function stateFor(rows: readonly ParsedRow[], counts: { setCount: number; maxSets: number }): CurrentState {
  // What the app loads: only the sets and entries of the account that the file names.
  const { setIds, entryIds } = collectReferencedIds(rows);
  return {
    existingSetIds: new Set(setIds.filter((id) => id === 12 || id === 13)),
    entries: new Map(ENTRIES.filter((e) => entryIds.includes(e.id)).map((e) => [e.id, e])),
    ...counts,
  };
}

function hasControlCharacter(value: string): boolean {
  return [...value].some((ch) => {
    const c = ch.codePointAt(0) as number;
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029;
  });
}

function checkPlan(parsedRows: readonly ParsedRow[], state: CurrentState, plan: ImportPlan): void {
  const byRow = new Map(parsedRows.map((r) => [r.row, r]));
  expect(plan.rows.map((r) => r.row)).toEqual(parsedRows.map((r) => r.row));
  expect(plan.counts.updated + plan.counts.created + plan.counts.failed).toBe(parsedRows.length);

  const updatedEntries = new Set<number>();
  const newGroups = new Map(plan.newSets.map((s) => [s.group, 0]));
  for (const planned of plan.rows) {
    const text = JSON.stringify([planned.message, planned.warnings]);
    expect(text).not.toMatch(/SECRET|JBSWY3DP|jbsw|MZXW6/);
    expect(planned.message).not.toBe('');
    if (planned.action === 'failed') continue;

    const cells = (byRow.get(planned.row) as ParsedRow).cells;
    expect(cells).toHaveLength(CSV_COLUMNS.length);
    const { fields } = planned;
    expect(fields.password.trim()).not.toBe('');
    expect(fields.password).toBe(cells[6]);
    for (const value of [fields.username, fields.domain, fields.displayName, fields.authUsername]) {
      expect(value).toBe(value.trim());
      expect(value).not.toBe('');
      expect(value).not.toMatch(/^[+-]?\d(?:[.,]\d+)?E[+-]\d+$/i);
    }
    for (const value of [...cells, fields.totpSecret ?? '']) expect(hasControlCharacter(value)).toBe(false);
    if (fields.totpSecret !== null) expect(fields.totpSecret).toMatch(/^[A-Z2-7]+$/);

    if (planned.action === 'updated') {
      const entry = state.entries.get(planned.entryId);
      expect(entry?.setId).toBe(planned.setId);
      expect(state.existingSetIds.has(planned.setId)).toBe(true);
      expect(parseId(cells[0] as string)).toBe(planned.setId);
      expect(parseId(cells[1] as string)).toBe(planned.entryId);
      expect(updatedEntries.has(planned.entryId)).toBe(false);
      updatedEntries.add(planned.entryId);
    } else if (planned.target.kind === 'existing') {
      expect(state.existingSetIds.has(planned.target.setId)).toBe(true);
      expect(parseId(cells[0] as string)).toBe(planned.target.setId);
    } else {
      const count = newGroups.get(planned.target.group);
      expect(count).toBeDefined();
      newGroups.set(planned.target.group, (count as number) + 1);
    }
  }
  expect(plan.newSets.length).toBeLessThanOrEqual(Math.max(0, state.maxSets - state.setCount));
  for (const set of plan.newSets) expect(newGroups.get(set.group)).toBe(set.rowCount);
}

describe('fuzz: parse + plan of generated files', () => {
  it('never throws, and plans as updated or created only rows the rules allow to be written', () => {
    const seen = { updated: 0, created: 0, failed: 0 };
    fc.assert(
      fc.property(fileArb, stateArb, ({ delimiter, recordDelimiter, bom, rows }, counts) => {
        const body = stringify([[...CSV_COLUMNS], ...rows], {
          delimiter,
          record_delimiter: recordDelimiter,
          quoted_match: /[\r\n]/,
        });
        const parsed = parseImportCsv(Buffer.from((bom ? '\uFEFF' : '') + body));
        if (parsed.kind === 'rejected') {
          // Only blank files are rejected here: every generated row is written with correct quoting.
          expect(parsed.reason).toBe('no_rows');
          return;
        }
        expect(parsed.delimiter).toBe(delimiter);
        const state = stateFor(parsed.rows, counts);
        const plan = planImport(parsed.rows, state, { importedAt: '2026-12-04' });
        checkPlan(parsed.rows, state, plan);
        for (const action of ['updated', 'created', 'failed'] as const) seen[action] += plan.counts[action];
      }),
      { numRuns: 400 },
    );
    // The generators reach every outcome, so the checks above are not vacuous.
    expect(seen.updated).toBeGreaterThan(20);
    expect(seen.created).toBeGreaterThan(100);
    expect(seen.failed).toBeGreaterThan(100);
  });

  it('never throws on arbitrary bytes after a valid header, and still plans only writable rows', () => {
    const header = Buffer.from(`${CSV_COLUMNS.join(',')}\r\n`);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), stateArb, (bytes, withHeader, counts) => {
        const parsed = parseImportCsv(withHeader ? Buffer.concat([header, bytes]) : Buffer.from(bytes));
        if (parsed.kind === 'rejected') {
          expect(parsed.detail.length).toBeGreaterThan(0);
          return;
        }
        const state = stateFor(parsed.rows, counts);
        checkPlan(parsed.rows, state, planImport(parsed.rows, state));
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on arbitrary text made of CSV-significant characters', () => {
    const unit = fc.constantFrom('"', ',', ';', '\t', '\r', '\n', '1', '2', 'a', ' ', '\uFEFF', 'é');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 200 }), stateArb, (tail, counts) => {
        const parsed = parseImportCsv(`${CSV_COLUMNS.join(',')}\n${tail}`);
        if (parsed.kind === 'ok') {
          const state = stateFor(parsed.rows, counts);
          checkPlan(parsed.rows, state, planImport(parsed.rows, state));
        }
      }),
      { numRuns: 400 },
    );
  });
});
