import { describe, it, expect } from 'vitest';
import {
  collectReferencedIds,
  parseId,
  planImport,
  type CurrentState,
  type EntrySnapshot,
  type ImportPlan,
  type PlannedRow,
} from '../../src/domain/import-planner.ts';
import { formatExportCsv, parseImportCsv, type ParsedRow } from '../../src/domain/csv-format.ts';

// The account: set 12 holds entries 345–347, set 13 holds entry 400. Stored secrets all contain
// "SECRET" so a test can prove that no message or warning ever repeats one.
const ENTRIES: EntrySnapshot[] = [
  {
    id: 345,
    setId: 12,
    username: '1001',
    domain: 'sip.example.com',
    displayName: 'Reception',
    authUsername: '1001',
    password: 'old-SECRET-345',
    totpSecret: null,
  },
  {
    id: 346,
    setId: 12,
    username: '+4930123456',
    domain: 'sip.example.com',
    displayName: 'Berlin desk',
    authUsername: '+4930123456',
    password: 'old-SECRET-346',
    totpSecret: 'JBSWY3DPEHPK3PXP',
  },
  {
    id: 347,
    setId: 12,
    username: '0049301',
    domain: 'sip.example.com',
    displayName: 'Zeros',
    authUsername: '0049301',
    password: 'old-SECRET-347',
    totpSecret: null,
  },
  {
    id: 400,
    setId: 13,
    username: '2001',
    domain: 'pbx.example.net',
    displayName: 'Other set',
    authUsername: '2001',
    password: 'old-SECRET-400',
    totpSecret: 'MFRGGZDFMZTWQ2LK',
  },
];

function stateWith(overrides: Partial<CurrentState> = {}): CurrentState {
  return {
    existingSetIds: new Set([12, 13]),
    entries: new Map(ENTRIES.map((e) => [e.id, e])),
    setCount: 2,
    maxSets: 100,
    ...overrides,
  };
}

interface Line {
  pool?: string;
  entry?: string;
  username?: string;
  domain?: string;
  display_name?: string;
  auth_username?: string;
  auth_password?: string;
  totp_secret?: string;
}

// A valid row for a new entry unless overridden.
function cells(line: Line): string[] {
  return [
    line.pool ?? '',
    line.entry ?? '',
    line.username ?? '5001',
    line.domain ?? 'sip.example.com',
    line.display_name ?? 'New phone',
    line.auth_username ?? '5001',
    line.auth_password ?? 'new-SECRET-pw',
    line.totp_secret ?? '',
  ];
}

// The cells of entry `id` exactly as an export writes them, with changes.
function exported(id: number, changes: Line = {}): Line {
  const e = ENTRIES.find((x) => x.id === id) as EntrySnapshot;
  return {
    pool: String(e.setId),
    entry: String(e.id),
    username: e.username,
    domain: e.domain,
    display_name: e.displayName,
    auth_username: e.authUsername,
    auth_password: e.password,
    totp_secret: e.totpSecret ?? '',
    ...changes,
  };
}

function rows(...lines: Array<Line | string[]>): ParsedRow[] {
  return lines.map((line, i) => ({ row: i + 2, cells: Array.isArray(line) ? line : cells(line) }));
}

function plan(lines: Array<Line | string[]>, state: CurrentState = stateWith()): ImportPlan {
  return planImport(rows(...lines), state, { importedAt: '2026-12-04' });
}

function only<A extends PlannedRow['action']>(p: ImportPlan, action: A, index = 0): Extract<PlannedRow, { action: A }> {
  const row = p.rows[index];
  if (row?.action !== action) {
    throw new Error(`row ${index + 2}: expected ${action}, got ${row?.action}: ${row?.message}`);
  }
  return row as Extract<PlannedRow, { action: A }>;
}

interface Rule {
  rule: string;
  lines: Array<Line | string[]>;
  state?: CurrentState;
  check: (p: ImportPlan) => void;
}

// One case per rule of the page (credential-passwords-page.md) and of architecture.md
// ("Import rules beyond the page"), named in the user's words.
const RULES: Rule[] = [
  {
    rule: 'Valid multi_credential_pool_id + entry_id in your account updates that existing entry (all entry columns)',
    lines: [
      exported(345, {
        username: '1009',
        domain: 'pbx.example.org',
        display_name: 'Front desk',
        auth_username: 'auth-1009',
        auth_password: 'rotated-SECRET',
        totp_secret: 'jbsw y3dp ehpk 3pxp',
      }),
    ],
    check: (p) => {
      const row = only(p, 'updated');
      expect(row).toMatchObject({
        setId: 12,
        entryId: 345,
        username: '1009',
        domain: 'pbx.example.org',
        changed: true,
      });
      expect(row.fields).toEqual({
        username: '1009',
        domain: 'pbx.example.org',
        displayName: 'Front desk',
        authUsername: 'auth-1009',
        password: 'rotated-SECRET',
        totpSecret: 'JBSWY3DPEHPK3PXP',
      });
      expect(row.message).toBe(
        'password changed; totp added; username changed; domain changed; display_name changed; auth_username changed',
      );
    },
  },
  {
    rule: 'Valid multi_credential_pool_id and blank entry_id adds a new entry to that credential set',
    lines: [{ pool: '12' }],
    check: (p) => {
      const row = only(p, 'created');
      expect(row.target).toEqual({ kind: 'existing', setId: 12 });
      expect(row.message).toBe('New entry added to credential set');
      expect(row.warnings).toEqual([]);
      expect(p.newSets).toEqual([]);
    },
  },
  {
    rule: 'Valid multi_credential_pool_id and unknown entry_id adds a new entry to that credential set',
    lines: [{ pool: '12', entry: '99999' }],
    check: (p) => {
      const row = only(p, 'created');
      expect(row.target).toEqual({ kind: 'existing', setId: 12 });
      expect(row.message).toBe('New entry added to credential set');
      expect(row.warnings).toEqual([
        'entry_id 99999 was not found in credential set 12, so this row is treated as a new entry in that set',
      ]);
    },
  },
  {
    rule: 'Blank multi_credential_pool_id and entry_id creates a new credential set and new entry',
    lines: [{}],
    check: (p) => {
      const row = only(p, 'created');
      expect(row.target).toEqual({ kind: 'new', group: 'blank' });
      expect(row.message).toBe('New credential set and entry created');
      expect(p.newSets).toEqual([{ group: 'blank', name: 'Imported 2026-12-04 (row 2)', rowCount: 1 }]);
    },
  },
  {
    rule: 'Invalid multi_credential_pool_id creates a new credential set (and adds the entry)',
    lines: [{ pool: '999' }],
    check: (p) => {
      const row = only(p, 'created');
      expect(row.target).toEqual({ kind: 'new', group: 'pool:999' });
      expect(row.message).toBe('New credential set and entry created');
      expect(row.warnings[0]).toMatch(/^multi_credential_pool_id 999 was not found in your account/);
      expect(p.newSets).toEqual([{ group: 'pool:999', name: 'Imported 2026-12-04 (pool id 999)', rowCount: 1 }]);
    },
  },
  {
    rule: 'Rows with blank pool id are grouped into one new set',
    lines: [{ username: 'a' }, { pool: '12' }, { username: 'b' }, { username: 'c', entry: '' }],
    check: (p) => {
      expect(p.counts).toEqual({ updated: 0, created: 4, failed: 0 });
      expect(p.newSets).toEqual([{ group: 'blank', name: 'Imported 2026-12-04 (row 2)', rowCount: 3 }]);
      const groups = p.rows.map((r) => (r.action === 'created' && r.target.kind === 'new' ? r.target.group : null));
      expect(groups).toEqual(['blank', null, 'blank', 'blank']);
    },
  },
  {
    rule: 'Rows with the same invalid pool id are grouped into one new set, one per distinct id',
    lines: [{ pool: '999' }, { pool: '998' }, { pool: ' 999 ' }, { pool: '0999' }, { pool: 'abc' }, { pool: 'abc' }],
    check: (p) => {
      expect(p.counts.created).toBe(6);
      expect(p.newSets).toEqual([
        { group: 'pool:999', name: 'Imported 2026-12-04 (pool id 999)', rowCount: 3 },
        { group: 'pool:998', name: 'Imported 2026-12-04 (pool id 998)', rowCount: 1 },
        { group: 'pool:"abc"', name: 'Imported 2026-12-04 (pool id abc)', rowCount: 2 },
      ]);
    },
  },
  {
    rule: 'Invalid pool/entry ids are treated like missing ids — creates a new set or entry instead of updating',
    lines: [
      { pool: 'twelve', entry: '345' },
      { pool: '12', entry: 'x345' },
    ],
    check: (p) => {
      const first = only(p, 'created', 0);
      expect(first.target).toEqual({ kind: 'new', group: 'pool:"twelve"' });
      expect(first.message).toBe('New credential set and entry created');
      const second = only(p, 'created', 1);
      expect(second.target).toEqual({ kind: 'existing', setId: 12 });
      expect(second.warnings).toEqual([
        'entry_id "x345" is not a valid id (ids are positive whole numbers), so this row is treated as a new entry in set 12',
      ]);
    },
  },
  {
    rule: 'Ids that are not positive integers count as invalid ids (so: create)',
    lines: [{ pool: '0' }, { pool: '-12' }, { pool: '12.0' }, { pool: '1e3' }, { pool: '12 13' }, { pool: '+12' }],
    check: (p) => {
      expect(p.counts).toEqual({ updated: 0, created: 6, failed: 0 });
      expect(p.rows.every((r) => r.action === 'created' && r.target.kind === 'new')).toBe(true);
      expect(p.newSets).toHaveLength(6);
    },
  },
  {
    rule: 'Credentials not listed in your import file are left unchanged (import never deletes)',
    lines: [exported(345, { auth_password: 'rotated-SECRET' })],
    check: (p) => {
      expect(p.rows).toHaveLength(1);
      expect(p.rows.map((r) => r.action)).toEqual(['updated']);
      const touched = p.rows.flatMap((r) => (r.action === 'updated' ? [r.entryId] : []));
      expect(touched).toEqual([345]);
    },
  },
  {
    rule: 'Every row must include a new password: a blank auth_password fails with "missing value for auth_password"',
    lines: [exported(345, { auth_password: '' }), { auth_password: '' }],
    check: (p) => {
      expect(only(p, 'failed', 0)).toMatchObject({
        setId: 12,
        entryId: 345,
        username: '1001',
        message: 'missing value for auth_password',
      });
      expect(only(p, 'failed', 1)).toMatchObject({
        setId: null,
        entryId: null,
        message: 'missing value for auth_password',
      });
      expect(p.newSets).toEqual([]);
    },
  },
  {
    rule: 'A whitespace-only password is missing',
    lines: [{ auth_password: '   ' }],
    check: (p) => expect(only(p, 'failed').message).toBe('missing value for auth_password'),
  },
  {
    rule: 'A row failed for a blank required column says "missing value for COLUMN"',
    lines: [{ username: ' ' }, { domain: '' }, { display_name: '' }, { auth_username: '' }],
    check: (p) =>
      expect(p.rows.map((r) => r.message)).toEqual([
        'missing value for username',
        'missing value for domain',
        'missing value for display_name',
        'missing value for auth_username',
      ]),
  },
  {
    rule: 'On update, an empty totp_secret clears any existing TOTP and the message says "totp removed"',
    lines: [exported(346, { totp_secret: '' })],
    check: (p) => {
      const row = only(p, 'updated');
      expect(row.fields.totpSecret).toBeNull();
      expect(row.message).toBe('totp removed');
    },
  },
  {
    rule: 'totp_secret is optional: a new entry with an empty cell has no TOTP',
    lines: [{ totp_secret: '' }],
    check: (p) => expect(only(p, 'created').fields.totpSecret).toBeNull(),
  },
  {
    rule: 'An export imported again unchanged updates every row to exactly the values it had ("no changes")',
    lines: [exported(345), exported(346), exported(347), exported(400)],
    check: (p) => {
      expect(p.counts).toEqual({ updated: 4, created: 0, failed: 0 });
      for (const [i, entry] of ENTRIES.entries()) {
        const row = only(p, 'updated', i);
        expect(row.message).toBe('no changes');
        expect(row.changed).toBe(false);
        const { id: _id, setId: _setId, ...fields } = entry;
        expect(row.fields).toEqual(fields);
      }
    },
  },
  {
    rule: 'Row messages of updates say what changed by column name, never by value',
    lines: [exported(346, { auth_password: 'rotated-SECRET', totp_secret: '', display_name: 'Berlin front desk' })],
    check: (p) => {
      const row = only(p, 'updated');
      expect(row.message).toBe('password changed; totp removed; display_name changed');
      expect(row.message).not.toContain('Berlin');
    },
  },
  {
    rule: 'TOTP changes are reported as "totp added" and "totp changed"',
    lines: [exported(345, { totp_secret: 'GEZDGNBVGY3TQOJQ' }), exported(346, { totp_secret: 'GEZDGNBVGY3TQOJQ' })],
    check: (p) => {
      expect(only(p, 'updated', 0).message).toBe('totp added');
      expect(only(p, 'updated', 1).message).toBe('totp changed');
    },
  },
  {
    rule: 'New credential sets count toward your plan limit: each row of a set beyond the limit fails naming the limit',
    state: stateWith({ setCount: 99, maxSets: 100 }),
    lines: [{ pool: '999' }, {}, { pool: '12' }, { pool: '999' }, {}],
    check: (p) => {
      expect(p.newSets).toEqual([{ group: 'pool:999', name: 'Imported 2026-12-04 (pool id 999)', rowCount: 2 }]);
      expect(p.rows.map((r) => r.action)).toEqual(['created', 'failed', 'created', 'created', 'failed']);
      const message =
        "the account's plan allows 100 credential sets; this row would create set number 101 — delete unused sets under SIP Credentials or ask for a higher limit";
      expect(only(p, 'failed', 1).message).toBe(message);
      expect(only(p, 'failed', 4).message).toBe(message);
    },
  },
  {
    rule: 'A data row with more or fewer cells than the header fails that row',
    lines: [cells({}).slice(0, 7), [...cells({}), 'extra'], ['']],
    check: (p) => {
      expect(p.rows.map((r) => r.action)).toEqual(['failed', 'failed', 'failed']);
      expect(p.rows[0]?.message).toMatch(/^row has 7 cells; expected 8 \(multi_credential_pool_id,entry_id,/);
      expect(p.rows[1]?.message).toMatch(/^row has 9 cells; expected 8/);
      expect(p.rows[2]?.message).toMatch(/^row has 1 cell; expected 8/);
      // The columns may be shifted, so no cell is reported as the username (it could be a password).
      expect(p.rows.map((r) => r.username)).toEqual(['', '', '']);
    },
  },
  {
    rule: 'A valid entry id under a different set of the account is "unknown" in the named set: a new entry, with a warning',
    lines: [{ pool: '12', entry: '400' }],
    check: (p) => {
      const row = only(p, 'created');
      expect(row.target).toEqual({ kind: 'existing', setId: 12 });
      expect(row.warnings).toEqual([
        'entry_id 400 belongs to credential set 13 of your account, not to set 12, so this row is treated as a new entry in set 12; to update entry 400, set multi_credential_pool_id to 13',
      ]);
    },
  },
  {
    rule: 'The same for an entry id given with a blank pool id: a new set, with a warning',
    lines: [{ entry: '345' }, { entry: '777' }],
    check: (p) => {
      expect(only(p, 'created', 0).target).toEqual({ kind: 'new', group: 'blank' });
      expect(p.rows[0]?.warnings).toEqual([
        'entry_id 345 belongs to credential set 12 of your account, but multi_credential_pool_id is blank, so this row is treated as a new entry in a new credential set; to update entry 345, set multi_credential_pool_id to 12',
      ]);
      expect(p.rows[1]?.warnings).toEqual([
        'entry_id 777 is ignored because multi_credential_pool_id is blank, so this row is treated as a new entry in a new credential set',
      ]);
    },
  },
  {
    rule: "Two rows in one file that update the same entry: all of them fail, naming each other's rows",
    lines: [
      exported(345, { auth_password: 'one-SECRET' }),
      exported(346, { auth_password: 'fine-SECRET' }),
      exported(345, { auth_password: 'two-SECRET' }),
      exported(345, { auth_password: '' }),
    ],
    check: (p) => {
      expect(p.rows.map((r) => r.action)).toEqual(['failed', 'updated', 'failed', 'failed']);
      expect(p.rows[0]?.message).toBe(
        'entry_id 345 is also updated by rows 4 and 5; an entry can be updated by only one row per file, so keep just one of these rows',
      );
      expect(p.rows[2]?.message).toMatch(/^entry_id 345 is also updated by rows 2 and 5;/);
      expect(p.rows[3]?.message).toMatch(
        /^entry_id 345 is also updated by rows 2 and 4;.*; this row also has a problem: missing value for auth_password$/,
      );
      expect(only(p, 'failed', 0)).toMatchObject({ setId: 12, entryId: 345 });
    },
  },
  {
    rule: "A new set's name says it came from an import",
    lines: [{}, { pool: '31337' }],
    check: (p) =>
      expect(p.newSets.map((s) => s.name)).toEqual([
        'Imported 2026-12-04 (row 2)',
        'Imported 2026-12-04 (pool id 31337)',
      ]),
  },
  {
    rule: 'Whitespace around ids, username, domain, display name and auth username is trimmed; passwords are taken verbatim',
    lines: [
      exported(345, {
        pool: ' 12 ',
        entry: ' 345\u00a0',
        username: ' 1001 ',
        domain: ' sip.example.com',
        display_name: 'Reception ',
        auth_username: '\u00a01001',
        auth_password: '  spaced SECRET  ',
      }),
    ],
    check: (p) => {
      const row = only(p, 'updated');
      expect(row.fields).toMatchObject({
        username: '1001',
        domain: 'sip.example.com',
        displayName: 'Reception',
        authUsername: '1001',
        password: '  spaced SECRET  ',
      });
      expect(row.message).toBe('password changed');
    },
  },
  {
    rule: 'Passwords and fields with control characters (tab, newline, NUL…) fail the row, naming the column',
    lines: [
      { auth_password: 'tab\tSECRET' },
      { display_name: 'two\nlines' },
      { username: '50\u000001' },
      { domain: 'sip.example.com\u001b' },
      { pool: '12\t' },
      { totp_secret: 'JBSWY3DP\rEHPK3PXP' },
    ],
    check: (p) => {
      expect(p.rows.map((r) => r.message)).toEqual([
        'auth_password contains a tab; remove it (no cell may contain tabs, line breaks or other control characters)',
        'display_name contains a line break; remove it (no cell may contain tabs, line breaks or other control characters)',
        'username contains a NUL character; remove it (no cell may contain tabs, line breaks or other control characters)',
        'domain contains the control character U+001B; remove it (no cell may contain tabs, line breaks or other control characters)',
        'multi_credential_pool_id contains a tab; remove it (no cell may contain tabs, line breaks or other control characters)',
        'totp_secret contains a line break; remove it (no cell may contain tabs, line breaks or other control characters)',
      ]);
    },
  },
  {
    rule: 'TOTP secrets: Base32, case, spaces and = padding forgiven, stored normalised',
    lines: [{ totp_secret: ' jbsw y3dp ehpk 3pxp== ' }],
    check: (p) => expect(only(p, 'created').fields.totpSecret).toBe('JBSWY3DPEHPK3PXP'),
  },
  {
    rule: 'TOTP secrets that are not Base32 fail the row, without repeating the secret',
    lines: [{ totp_secret: 'JBSWY3DP01890000' }, exported(346, { totp_secret: 'SECRET!' })],
    check: (p) => {
      expect(p.rows.map((r) => r.action)).toEqual(['failed', 'failed']);
      expect(p.rows[0]?.message).toMatch(/^totp_secret is not a Base32 secret/);
      expect(p.rows[0]?.message).not.toContain('JBSWY3DP');
      expect(p.rows[1]).toMatchObject({ setId: 12, entryId: 346 });
    },
  },
  {
    rule: 'Spreadsheet damage: on update, a username equal to the stored one without its leading zeros fails, saying how to fix',
    lines: [exported(347, { username: '49301' })],
    check: (p) => {
      const row = only(p, 'failed');
      expect(row.message).toBe(
        'username "49301" is the stored "0049301" without its leading zeros, as a spreadsheet writes a number; format the username column as Text and re-enter "0049301" (or edit the file in a text editor), then import again',
      );
      expect(row).toMatchObject({ setId: 12, entryId: 347 });
    },
  },
  {
    rule: 'Spreadsheet damage: on update, a username or auth username without its leading + fails',
    lines: [
      exported(346, { username: '4930123456' }),
      exported(346, { pool: '12', entry: '346', auth_username: '4930123456' }),
    ],
    state: stateWith(),
    check: (p) => {
      // Both rows name entry 346, so they also fail as duplicates; the damage is still reported.
      expect(p.rows.every((r) => r.action === 'failed')).toBe(true);
      expect(p.rows[0]?.message).toContain('username "4930123456" is the stored "+4930123456" without its leading +');
      expect(p.rows[1]?.message).toContain(
        'auth_username "4930123456" is the stored "+4930123456" without its leading +',
      );
    },
  },
  {
    rule: 'Spreadsheet damage: a value in scientific notation (4.9E+11, 4,9E+11) fails on any row, saying how to fix the cell',
    lines: [
      { username: '4.9E+11' },
      exported(345, { auth_username: '4,9E+11' }),
      { auth_password: '1E+15' },
      { entry: '3.45E+02', pool: '12' },
    ],
    check: (p) => {
      expect(p.rows.map((r) => r.action)).toEqual(['failed', 'failed', 'failed', 'failed']);
      expect(p.rows[0]?.message).toBe(
        'username "4.9E+11" looks like a number a spreadsheet turned into scientific notation, which loses its digits; format the username column as Text, re-enter the full value and save as CSV UTF-8 again',
      );
      expect(p.rows[1]?.message).toMatch(/^auth_username "4,9E\+11" looks like a number/);
      expect(p.rows[2]?.message).toMatch(
        /^auth_password looks like a number a spreadsheet turned into scientific notation/,
      );
      expect(p.rows[2]?.message).not.toContain('1E+15');
      expect(p.rows[3]?.message).toMatch(/^entry_id "3.45E\+02" looks like a number/);
    },
  },
  {
    rule: 'An id of another account behaves exactly like an id that does not exist',
    // 500 is another account's entry: the app never loads it, so it is simply absent from the state.
    lines: [
      { pool: '12', entry: '500' },
      { pool: '12', entry: '501' },
    ],
    check: (p) => {
      const [a, b] = p.rows;
      expect(a?.action).toBe(b?.action);
      expect(a?.warnings.map((w) => w.replace('500', 'N'))).toEqual(b?.warnings.map((w) => w.replace('501', 'N')));
    },
  },
];

describe('planImport: the rules of the Credential Passwords page', () => {
  for (const { rule, lines, state, check } of RULES) {
    it(rule, () => {
      const p = plan(lines, state ?? stateWith());
      check(p);
      expect(p.rows.map((r) => r.row)).toEqual(lines.map((_, i) => i + 2));
      expect(p.counts.updated + p.counts.created + p.counts.failed).toBe(lines.length);
      const text = JSON.stringify(p.rows.map((r) => [r.message, r.warnings]));
      expect(text).not.toMatch(/SECRET|JBSWY3DP|jbsw|MFRGGZDF|GEZDGNBV/);
    });
  }
});

describe('planImport: details', () => {
  it('names a new set without a date when none is given', () => {
    const p = planImport(rows({}), stateWith());
    expect(p.newSets[0]?.name).toBe('Imported (row 2)');
  });

  it('takes the date part of a full ISO timestamp', () => {
    const p = planImport(rows({}), stateWith(), { importedAt: '2026-12-04T10:11:12.000Z' });
    expect(p.newSets[0]?.name).toBe('Imported 2026-12-04 (row 2)');
  });

  it('names a blank-pool set after its first row that is created, not after a failed one', () => {
    const p = plan([{ auth_password: '' }, {}]);
    expect(p.newSets).toEqual([{ group: 'blank', name: 'Imported 2026-12-04 (row 3)', rowCount: 1 }]);
  });

  it('creates no new set when every row of its group fails', () => {
    expect(plan([{ pool: '999', auth_password: '' }]).newSets).toEqual([]);
  });

  it('numbers new sets in file order: once the limit is reached, every later new set fails too', () => {
    const p = plan([{}, { pool: '999' }], stateWith({ setCount: 100, maxSets: 100 }));
    expect(p.counts).toEqual({ updated: 0, created: 0, failed: 2 });
    expect(p.rows[1]?.message).toContain('this row would create set number 101');
  });

  it('names at most ten other rows when many rows update one entry, and stays fast', () => {
    const lines = Array.from({ length: 20000 }, () => exported(345));
    const started = performance.now();
    const p = plan(lines);
    const elapsed = performance.now() - started;
    expect(p.counts.failed).toBe(20000);
    expect(p.rows[0]?.message).toMatch(
      /^entry_id 345 is also updated by rows 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 and 19989 more;/,
    );
    expect(elapsed).toBeLessThan(2000);
  });

  it('updates from a file that went through export → parse unchanged report "no changes"', () => {
    const csv = formatExportCsv(
      ENTRIES.map((e) => ({ ...e, entryId: e.id, password: e.password, totpSecret: e.totpSecret })),
    );
    const parsed = parseImportCsv(Buffer.from(csv));
    if (parsed.kind !== 'ok') throw new Error(parsed.detail);
    const p = planImport(parsed.rows, stateWith());
    expect(p.rows.map((r) => r.message)).toEqual(['no changes', 'no changes', 'no changes', 'no changes']);
  });

  it('does not mistake a real change for spreadsheet damage', () => {
    const p = plan([exported(345, { username: '1002' }), exported(347, { username: '49302' })]);
    expect(p.rows.map((r) => r.message)).toEqual(['username changed', 'username changed']);
  });
});

describe('collectReferencedIds', () => {
  it('lists each valid pool id and entry id once, so the app loads only what the file names', () => {
    expect(
      collectReferencedIds(
        rows({ pool: '12', entry: '345' }, { pool: ' 12', entry: 'abc' }, { pool: '', entry: '0400' }, ['7']),
      ),
    ).toEqual({ setIds: [7, 12], entryIds: [345, 400] });
  });

  it('treats ids beyond any integer column as invalid', () => {
    expect(parseId('2147483647')).toBe(2147483647);
    expect(parseId('2147483648')).toBeNull();
    expect(parseId('99999999999999999999')).toBeNull();
  });
});
