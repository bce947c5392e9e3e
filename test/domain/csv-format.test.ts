import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  CSV_COLUMNS,
  CSV_HEADER_LINE,
  EXPORT_HEADER_LINE,
  MAX_IMPORT_ROWS,
  createExportStringifier,
  formatCsvRow,
  formatExportCsv,
  formatExportRow,
  parseImportCsv,
  sampleCsv,
  toExportCells,
  type ExportRecord,
  type ParseOutcome,
} from '../../src/domain/csv-format.ts';

const HEADER = CSV_HEADER_LINE;
const ROW = '12,345,1001,sip.example.com,Reception,1001,n3w-Secret,';

function ok(outcome: ParseOutcome) {
  if (outcome.kind !== 'ok') throw new Error(`expected ok, got ${outcome.reason}: ${outcome.detail}`);
  return outcome;
}

function rejection(outcome: ParseOutcome) {
  if (outcome.kind !== 'rejected') throw new Error('expected the file to be rejected');
  return outcome;
}

function file(...lines: string[]): Buffer {
  return Buffer.from(lines.join('\n'));
}

function manyRows(count: number): string {
  const lines = [HEADER];
  for (let i = 0; i < count; i++) lines.push(`,,${1000 + i},sip.example.com,Ext ${i},${1000 + i},pw-${i},`);
  return lines.join('\r\n') + '\r\n';
}

describe('parseImportCsv: files that are read', () => {
  it('reads the exact header and one data row; the header is row 1, the first data row is row 2', () => {
    const parsed = ok(parseImportCsv(file(HEADER, ROW)));
    expect(parsed.delimiter).toBe(',');
    expect(parsed.rows).toEqual([
      { row: 2, cells: ['12', '345', '1001', 'sip.example.com', 'Reception', '1001', 'n3w-Secret', ''] },
    ]);
  });

  it('accepts a UTF-8 byte-order mark and CRLF line ends (what Excel writes)', () => {
    const input = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${HEADER}\r\n${ROW}\r\n`)]);
    const parsed = ok(parseImportCsv(input));
    expect(parsed.rows).toHaveLength(1);
    expect(parsed.rows[0]?.cells[7]).toBe('');
  });

  it('accepts a string (the paste box) with or without a byte-order mark', () => {
    expect(ok(parseImportCsv(`\uFEFF${HEADER}\n${ROW}`)).rows).toHaveLength(1);
    expect(ok(parseImportCsv(`${HEADER}\n${ROW}`)).rows).toHaveLength(1);
  });

  it('reads RFC 4180 quoting: commas, doubled quotes and line breaks inside cells', () => {
    const parsed = ok(
      parseImportCsv(file(HEADER, '12,345,1001,sip.example.com,"Smith, ""Jo""\nfloor 2",1001,"a,b""c d",')),
    );
    expect(parsed.rows[0]?.cells.slice(4, 7)).toEqual(['Smith, "Jo"\nfloor 2', '1001', 'a,b"c d']);
  });

  it('numbers rows by record, as a spreadsheet shows them: a quoted line break stays in its row, blank lines count', () => {
    const parsed = ok(
      parseImportCsv(
        file(
          HEADER,
          '12,345,1001,d,"two\nlines",1001,pw,',
          '',
          '12,346,1002,d,x,1002,pw,',
          ',,,,,,,',
          ',,1003,d,x,1003,pw,',
        ),
      ),
    );
    expect(parsed.rows.map((r) => r.row)).toEqual([2, 4, 6]);
  });

  it('skips blank rows, including the trailing ",,,,,,," rows spreadsheets write', () => {
    const parsed = ok(parseImportCsv(file(HEADER, ROW, ',,,,,,,', ' , ,,,,,,', '', '')));
    expect(parsed.rows).toHaveLength(1);
  });

  it('keeps rows with the wrong number of cells for the planner to fail (the file is not rejected)', () => {
    const parsed = ok(parseImportCsv(file(HEADER, '12,345,1001,sip.example.com,Reception,1001,pw', ROW + ',extra')));
    expect(parsed.rows.map((r) => r.cells.length)).toEqual([7, 9]);
  });

  it('accepts a header that matches exactly with ";" as the separator (Excel in many locales) and says so', () => {
    const parsed = ok(
      parseImportCsv(file(HEADER.replaceAll(',', ';'), '12;345;1001;sip.example.com;"Smith; Jo";1001;4,5;')),
    );
    expect(parsed.delimiter).toBe(';');
    expect(parsed.rows[0]?.cells).toEqual(['12', '345', '1001', 'sip.example.com', 'Smith; Jo', '1001', '4,5', '']);
  });

  it('accepts a header that matches exactly with a tab as the separator and says so', () => {
    const parsed = ok(parseImportCsv(file(HEADER.replaceAll(',', '\t'), ROW.replaceAll(',', '\t'))));
    expect(parsed.delimiter).toBe('\t');
    expect(parsed.rows[0]?.cells).toHaveLength(8);
  });

  it('reads files with mixed line ends (CRLF, LF and CR) record by record', () => {
    const parsed = ok(parseImportCsv(`${HEADER}\r\n${ROW}\n${ROW}\r${ROW}\r\n`));
    expect(parsed.rows.map((r) => r.row)).toEqual([2, 3, 4]);
    expect(parsed.rows.every((r) => r.cells.length === 8)).toBe(true);
  });

  it(`accepts exactly ${MAX_IMPORT_ROWS.toLocaleString('en-US')} data rows`, () => {
    const parsed = ok(parseImportCsv(Buffer.from(manyRows(MAX_IMPORT_ROWS))));
    expect(parsed.rows).toHaveLength(MAX_IMPORT_ROWS);
    expect(parsed.rows.at(-1)?.row).toBe(MAX_IMPORT_ROWS + 1);
  });

  it('does not count blank rows toward the limit', () => {
    const parsed = ok(parseImportCsv(Buffer.from(manyRows(MAX_IMPORT_ROWS) + ',,,,,,,\r\n\r\n')));
    expect(parsed.rows).toHaveLength(MAX_IMPORT_ROWS);
  });
});

describe('parseImportCsv: files that are rejected as a whole, with a detail saying what to fix', () => {
  it(`rejects ${(MAX_IMPORT_ROWS + 1).toLocaleString('en-US')} data rows: too_many_rows`, () => {
    const result = rejection(parseImportCsv(Buffer.from(manyRows(MAX_IMPORT_ROWS + 1))));
    expect(result.reason).toBe('too_many_rows');
    expect(result.detail).toBe(
      'The file has 20,001 data rows; at most 20,000 can be imported at once. Split it into several files.',
    );
  });

  it('rejects a file that is not UTF-8 (Windows-1252 "Müller"): not_utf8, naming the fix', () => {
    const latin1 = Buffer.concat([
      Buffer.from(`${HEADER}\n,,1001,d,M`),
      Buffer.from([0xfc]),
      Buffer.from('ller,1001,pw,\n'),
    ]);
    const result = rejection(parseImportCsv(latin1));
    expect(result.reason).toBe('not_utf8');
    expect(result.detail).toContain('save as CSV UTF-8');
  });

  it('rejects UTF-16 ("Unicode Text" from Excel): not_utf8', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${HEADER}\r\n${ROW}\r\n`, 'utf16le')]);
    const result = rejection(parseImportCsv(utf16));
    expect(result.reason).toBe('not_utf8');
    expect(result.detail).toContain('UTF-16');
    expect(rejection(parseImportCsv(Buffer.from(`${HEADER}\r\n${ROW}\r\n`, 'utf16le'))).reason).toBe('not_utf8');
  });

  it('rejects an empty file: no_rows', () => {
    expect(rejection(parseImportCsv(Buffer.alloc(0))).reason).toBe('no_rows');
    expect(rejection(parseImportCsv('\r\n\r\n')).reason).toBe('no_rows');
  });

  it('rejects a file with only the header (and blank rows): no_rows', () => {
    const result = rejection(parseImportCsv(file(HEADER, ',,,,,,,', '')));
    expect(result.reason).toBe('no_rows');
    expect(result.detail).toContain('no data rows');
  });

  const headerCases: Array<{ name: string; header: string; detail: RegExp }> = [
    {
      name: 'a misspelt column names the column, what it is and what it should be',
      header: HEADER.replace('username', 'user'),
      detail:
        /^The header must be exactly: multi_credential_pool_id,entry_id,.*; column 3 is "user" instead of "username"/,
    },
    {
      name: 'reordered columns',
      header: 'multi_credential_pool_id,entry_id,domain,username,display_name,auth_username,auth_password,totp_secret',
      detail: /column 3 is "domain" instead of "username" \(do not reorder the columns\)/,
    },
    {
      name: 'extra columns, also empty ones',
      header: `${HEADER},notes,`,
      detail: /the first row has 10 columns\. Remove the extra columns 9–10 \("notes", ""\)/,
    },
    {
      name: 'missing columns',
      header: 'multi_credential_pool_id,entry_id,username,domain,display_name,auth_username',
      detail: /only 6 columns: "auth_password", "totp_secret" are missing/,
    },
    {
      name: 'upper-case names',
      header: HEADER.replace('domain', 'Domain'),
      detail: /column 4 is "Domain" instead of "domain" \(column names are lower case\)/,
    },
    {
      name: 'spaces around a name',
      header: HEADER.replace('domain', ' domain'),
      detail: /column 4 is " domain" instead of "domain" \(remove the spaces around it\)/,
    },
    {
      name: 'no header at all (the first row is data)',
      header: ROW,
      detail: /the first row has no column names/,
    },
    {
      name: 'a semicolon file with a misspelt column is explained column by column',
      header: HEADER.replaceAll(',', ';').replace('totp_secret', 'totp'),
      detail: /column 8 is "totp" instead of "totp_secret"/,
    },
  ];
  for (const { name, header, detail } of headerCases) {
    it(`rejects a header that is not exactly the eight columns: ${name}`, () => {
      const result = rejection(parseImportCsv(file(header, ROW)));
      expect(result.reason).toBe('bad_header');
      expect(result.detail).toMatch(detail);
      expect(result.detail).not.toContain('n3w-Secret');
    });
  }

  it('rejects a quoted cell that is never closed: unreadable, naming the row and column, never the value', () => {
    const result = rejection(parseImportCsv(file(HEADER, ROW, '12,346,1002,d,x,1002,"Top-Secret-pw,')));
    expect(result.reason).toBe('unreadable');
    expect(result.detail).toContain('Row 3, column 7 (auth_password)');
    expect(result.detail).not.toContain('Top-Secret');
  });

  it('rejects a stray quote inside an unquoted cell: unreadable, without the value', () => {
    const result = rejection(parseImportCsv(file(HEADER, '12,346,1002,d,x,1002,Top"Secret,')));
    expect(result.reason).toBe('unreadable');
    expect(result.detail).toMatch(/^Row 2, column 7 \(auth_password\): a double quote/);
    expect(result.detail).not.toContain('Top');
  });

  it('rejects text after a closing quote: unreadable', () => {
    const result = rejection(parseImportCsv(file(HEADER, '12,346,1002,d,"x"y,1002,pw,')));
    expect(result.reason).toBe('unreadable');
    expect(result.detail).toContain('Row 2, column 5 (display_name)');
  });
});

const record = (overrides: Partial<ExportRecord> = {}): ExportRecord => ({
  setId: 12,
  entryId: 345,
  username: '1001',
  domain: 'sip.example.com',
  displayName: 'Reception',
  authUsername: '1001',
  password: 'pw',
  totpSecret: null,
  ...overrides,
});

describe('exports', () => {
  it('start with a UTF-8 byte-order mark and the exact header, and end each row with CRLF', () => {
    const text = formatExportCsv([record()]);
    expect(text).toBe(`\uFEFF${HEADER}\r\n12,345,1001,sip.example.com,Reception,1001,pw,\r\n`);
    expect(EXPORT_HEADER_LINE).toBe(`${HEADER}\r\n`);
  });

  it('quote only the cells that need it (RFC 4180), a lone LF or CR included', () => {
    expect(formatExportRow(record({ displayName: 'Smith, "Jo"', password: 'a\nb', totpSecret: 'X\rY' }))).toBe(
      '12,345,1001,sip.example.com,"Smith, ""Jo""",1001,"a\nb","X\rY"\r\n',
    );
    expect(formatCsvRow([' lead', '+49', '007', 'é'])).toBe(' lead,+49,007,é\r\n');
  });

  it('stream the same bytes as the whole-file formatter', async () => {
    const records = [record(), record({ entryId: 346, displayName: 'a,b', totpSecret: 'JBSWY3DPEHPK3PXP' })];
    const stringifier = createExportStringifier();
    const chunks: string[] = [];
    stringifier.on('data', (chunk: Buffer | string) => chunks.push(chunk.toString()));
    const done = new Promise((resolve) => stringifier.on('end', resolve));
    for (const r of records) stringifier.write(toExportCells(r));
    stringifier.end();
    await done;
    expect(chunks.join('')).toBe(formatExportCsv(records));
  });

  it('round trip: formatting then parsing gives the same cells (quotes, commas, line breaks, non-ASCII, +, zeros, spaces)', () => {
    const special = fc.constantFrom('"', ',', ';', '\n', '\r', '\r\n', ' ', '\t', '+', '0', 'é', '€', '😀', '\uFEFF');
    const text = fc.string({ unit: fc.oneof(special, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) });
    const anyRecord = fc.record({
      setId: fc.integer({ min: 1, max: 2147483647 }),
      entryId: fc.integer({ min: 1, max: 2147483647 }),
      username: text,
      domain: text,
      displayName: text,
      authUsername: text,
      password: text,
      totpSecret: fc.option(text, { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(anyRecord, { minLength: 1, maxLength: 8 }), (records) => {
        const parsed = ok(parseImportCsv(Buffer.from(formatExportCsv(records), 'utf8')));
        expect(parsed.delimiter).toBe(',');
        expect(parsed.rows.map((r) => r.cells)).toEqual(records.map(toExportCells));
        expect(parsed.rows.map((r) => r.row)).toEqual(records.map((_, i) => i + 2));
      }),
      { numRuns: 300 },
    );
  });
});

describe('sampleCsv', () => {
  it('is the header plus example rows: a new set with blank ids, an add to a set, an update', () => {
    const sample = sampleCsv();
    expect(sample.startsWith(`\uFEFF${HEADER}\r\n`)).toBe(true);
    const parsed = ok(parseImportCsv(Buffer.from(sample)));
    expect(parsed.rows.length).toBeGreaterThanOrEqual(3);
    expect(parsed.rows.every((r) => r.cells.length === CSV_COLUMNS.length)).toBe(true);
    const ids = parsed.rows.map((r) => `${r.cells[0]}/${r.cells[1]}`);
    expect(ids).toContain('/');
    expect(ids).toContain('12/');
    expect(ids).toContain('12/345');
  });
});
