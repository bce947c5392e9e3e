// The credential CSV format: what an import may contain and what exports and the sample write.
// Pure: bytes or strings in, values out. Reading a file and writing a response stay at the edge.
import { parse, CsvError } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { stringify as createStringifier, type Stringifier, type Options as StringifyOptions } from 'csv-stringify';

export const CSV_COLUMNS = [
  'multi_credential_pool_id',
  'entry_id',
  'username',
  'domain',
  'display_name',
  'auth_username',
  'auth_password',
  'totp_secret',
] as const;

export type CsvColumn = (typeof CSV_COLUMNS)[number];

export const MAX_IMPORT_ROWS = 20000;

export const CSV_HEADER_LINE = CSV_COLUMNS.join(',');

export const UTF8_BOM = '\uFEFF';

export type CsvDelimiter = ',' | ';' | '\t';

/**
 * One data record of an import file. `row` is the spreadsheet row number: the header is row 1,
 * the first data record is row 2. It counts CSV records, not physical lines: a quoted cell with
 * line breaks keeps its record on one row (as Excel and LibreOffice show it), and a blank line is
 * a row of its own (so the numbers after it still match the spreadsheet) even though it is skipped.
 */
export interface ParsedRow {
  row: number;
  cells: string[];
}

export type ParseRejection = 'not_utf8' | 'bad_header' | 'no_rows' | 'too_many_rows' | 'unreadable';

export type ParseOutcome =
  | { kind: 'ok'; delimiter: CsvDelimiter; rows: ParsedRow[] }
  | { kind: 'rejected'; reason: ParseRejection; detail: string };

const HEADER_HINT = `The header must be exactly: ${CSV_HEADER_LINE}`;
const TEMPLATE_HINT = 'Download the Sample CSV or use an export file as the template.';
const DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t'];
const RECORD_DELIMITERS = ['\r\n', '\n', '\r'];
const COLUMN_SET: ReadonlySet<string> = new Set(CSV_COLUMNS);

/**
 * Reads an import file as a whole: strict UTF-8 (an optional byte-order mark), CRLF, LF or CR line
 * ends, RFC 4180 quoting, the exact header (read with `,`, or else `;` or a tab). Rows with a wrong
 * cell count are kept for the planner to fail; blank rows are skipped. Never throws.
 */
export function parseImportCsv(input: Uint8Array | string): ParseOutcome {
  const decoded = decodeUtf8(input);
  if (decoded.kind === 'rejected') return decoded;
  const text = decoded.text;

  if (text.trim() === '') {
    return rejected(
      'no_rows',
      `The file is empty. It needs the header row and at least one data row. ${TEMPLATE_HINT}`,
    );
  }

  const header = detectHeader(text);
  if (header.kind === 'rejected') return header;

  let records: string[][];
  try {
    records = parse(text, {
      delimiter: header.delimiter,
      record_delimiter: RECORD_DELIMITERS,
      relax_column_count: true,
      skip_empty_lines: false,
    }) as string[][];
  } catch (error) {
    return rejected('unreadable', describeCsvError(error));
  }

  const rows: ParsedRow[] = [];
  for (let i = 1; i < records.length; i++) {
    const cells = records[i] as string[];
    if (isBlankRecord(cells)) continue;
    rows.push({ row: i + 1, cells });
  }

  if (rows.length === 0) {
    return rejected(
      'no_rows',
      'The file has the header but no data rows. Add one row per credential entry below the header.',
    );
  }
  if (rows.length > MAX_IMPORT_ROWS) {
    return rejected(
      'too_many_rows',
      `The file has ${formatCount(rows.length)} data rows; at most ${formatCount(MAX_IMPORT_ROWS)} can be imported at once. Split it into several files.`,
    );
  }
  return { kind: 'ok', delimiter: header.delimiter, rows };
}

function rejected(reason: ParseRejection, detail: string): ParseOutcome & { kind: 'rejected' } {
  return { kind: 'rejected', reason, detail };
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function decodeUtf8(input: Uint8Array | string): { kind: 'ok'; text: string } | (ParseOutcome & { kind: 'rejected' }) {
  if (typeof input === 'string') {
    return { kind: 'ok', text: input.startsWith(UTF8_BOM) ? input.slice(1) : input };
  }
  const fix =
    'Open it in your spreadsheet and save it as "CSV UTF-8 (comma delimited)", or save as CSV UTF-8 from your editor.';
  if (looksLikeUtf16(input)) {
    return rejected('not_utf8', `The file is UTF-16 (Excel's "Unicode Text"), not UTF-8. ${fix}`);
  }
  try {
    // A fresh decoder per call: `fatal` makes invalid bytes an error instead of U+FFFD, and the
    // default (ignoreBOM: false) drops one leading byte-order mark.
    return { kind: 'ok', text: new TextDecoder('utf-8', { fatal: true }).decode(input) };
  } catch {
    return rejected(
      'not_utf8',
      `The file is not UTF-8 text (it was probably saved as "CSV" in a legacy encoding such as Windows-1252). ${fix}`,
    );
  }
}

function looksLikeUtf16(bytes: Uint8Array): boolean {
  const [a, b] = bytes;
  if ((a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff)) return true;
  // Without a byte-order mark, ASCII text in UTF-16 has a NUL next to every letter.
  return bytes.length >= 4 && (bytes[1] === 0 || bytes[0] === 0) && (bytes[3] === 0 || bytes[2] === 0);
}

function isBlankRecord(cells: readonly string[]): boolean {
  for (const cell of cells) {
    if (cell.trim() !== '') return false;
  }
  return true;
}

type HeaderResult = { kind: 'ok'; delimiter: CsvDelimiter } | (ParseOutcome & { kind: 'rejected' });

function readFirstRecord(text: string, delimiter: CsvDelimiter): string[] | null {
  try {
    const records = parse(text, {
      delimiter,
      record_delimiter: RECORD_DELIMITERS,
      relax_column_count: true,
      to: 1,
    }) as string[][];
    return records[0] ?? null;
  } catch {
    return null;
  }
}

function isExactHeader(cells: readonly string[] | null): boolean {
  return cells !== null && cells.length === CSV_COLUMNS.length && CSV_COLUMNS.every((name, i) => cells[i] === name);
}

function detectHeader(text: string): HeaderResult {
  const candidates = DELIMITERS.map((delimiter) => ({ delimiter, cells: readFirstRecord(text, delimiter) }));
  for (const candidate of candidates) {
    if (isExactHeader(candidate.cells)) return { kind: 'ok', delimiter: candidate.delimiter };
  }
  // Explain the mismatch with the reading that splits the header into the most cells: a
  // semicolon file with one misspelt name is best described column by column.
  let best = candidates[0] as { delimiter: CsvDelimiter; cells: string[] | null };
  for (const candidate of candidates) {
    if ((candidate.cells?.length ?? 0) > (best.cells?.length ?? 0)) best = candidate;
  }
  return rejected('bad_header', describeHeaderProblem(best.cells));
}

function describeHeaderProblem(cells: string[] | null): string {
  if (cells === null) {
    return `${HEADER_HINT}; the first row cannot be read as CSV (check its quotes). ${TEMPLATE_HINT}`;
  }
  const expected = CSV_COLUMNS.length;
  if (cells.length === 1 && cells[0]?.includes('\0')) {
    return `${HEADER_HINT}; the first row contains NUL characters, so the file is probably UTF-16. Save it as CSV UTF-8.`;
  }
  if (!cells.some((cell) => COLUMN_SET.has(cell.trim().toLowerCase()))) {
    // No cell values in this message: a data row in first place may hold a password.
    return `${HEADER_HINT}; the first row has no column names (it looks like a data row). Add the header as the first row. ${TEMPLATE_HINT}`;
  }
  for (let i = 0; i < Math.min(cells.length, expected); i++) {
    const found = cells[i] as string;
    const wanted = CSV_COLUMNS[i] as string;
    if (found === wanted) continue;
    let why = '';
    if (found.trim() === wanted) why = ' (remove the spaces around it)';
    else if (found.toLowerCase() === wanted) why = ' (column names are lower case)';
    else if (COLUMN_SET.has(found)) why = ' (do not reorder the columns)';
    return `${HEADER_HINT}; column ${i + 1} is ${visible(found)} instead of "${wanted}"${why}. ${TEMPLATE_HINT}`;
  }
  if (cells.length > expected) {
    const extra = cells.slice(expected);
    const which = extra.length === 1 ? `column ${expected + 1}` : `columns ${expected + 1}–${cells.length}`;
    return `${HEADER_HINT}; the first row has ${cells.length} columns. Remove the extra ${which} (${quoteList(extra)}), including empty ones.`;
  }
  const missing = CSV_COLUMNS.slice(cells.length);
  return `${HEADER_HINT}; the first row has only ${cells.length} columns: ${quoteList(missing)} ${missing.length === 1 ? 'is' : 'are'} missing. ${TEMPLATE_HINT}`;
}

/** Quotes a header cell so that stray spaces, tabs and byte-order marks show in the message. */
function visible(value: string): string {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(shown).replace(/\uFEFF/g, '\\uFEFF');
}

function quoteList(values: readonly string[]): string {
  const shown = values.slice(0, 5).map(visible);
  if (values.length > 5) shown.push('…');
  return shown.join(', ');
}

function describeCsvError(error: unknown): string {
  if (!(error instanceof CsvError)) {
    return 'The file cannot be read as CSV. Save it again as CSV UTF-8 from your spreadsheet.';
  }
  // The failing record follows the `records` already read; the header is row 1.
  const info = error as CsvError & { records?: number; index?: number };
  const row = (info.records ?? 0) + 1;
  const columnName = CSV_COLUMNS[info.index ?? -1];
  const where = `Row ${row}${columnName ? `, column ${(info.index ?? 0) + 1} (${columnName})` : ''}`;
  const quoting =
    'A cell that contains a comma, a double quote or a line break must be enclosed in double quotes, with each double quote inside it doubled ("").';
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return `${where}: a quoted cell is never closed (its closing double quote is missing), so the rest of the file cannot be read. ${quoting}`;
    case 'INVALID_OPENING_QUOTE':
      return `${where}: a double quote appears inside a cell that is not enclosed in double quotes. ${quoting}`;
    case 'CSV_INVALID_CLOSING_QUOTE':
      return `${where}: a quoted cell is followed by more text before the next separator. ${quoting}`;
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
      return `${where}: the row has the wrong number of cells.`;
    default:
      return `${where}: the file cannot be read as CSV (${error.code}). Save it again as CSV UTF-8 from your spreadsheet.`;
  }
}

/** The values of one exported entry. Secrets are plaintext here: only export use-cases build these. */
export interface ExportRecord {
  setId: number;
  entryId: number;
  username: string;
  domain: string;
  displayName: string;
  authUsername: string;
  password: string;
  totpSecret: string | null;
}

/** The cells of one export row, in `CSV_COLUMNS` order. */
export function toExportCells(record: ExportRecord): string[] {
  return [
    String(record.setId),
    String(record.entryId),
    record.username,
    record.domain,
    record.displayName,
    record.authUsername,
    record.password,
    record.totpSecret ?? '',
  ];
}

// RFC 4180: CRLF between records, quotes only where needed. csv-stringify quotes a lone CR or LF
// only when it is the record delimiter, so `quoted_match` covers the other one: a cell with any
// line break must be quoted or it would split the record when read back.
const ROW_OPTIONS = { delimiter: ',', record_delimiter: '\r\n', quoted_match: /[\r\n]/ } satisfies StringifyOptions;

/** A streaming CSV writer for exports: UTF-8 byte-order mark, the exact header, CRLF, RFC 4180 quoting. Write `toExportCells(record)` arrays. */
export function createExportStringifier(): Stringifier {
  return createStringifier({ ...ROW_OPTIONS, bom: true, header: true, columns: [...CSV_COLUMNS] });
}

/** One export row as CSV text, ending in CRLF. */
export function formatExportRow(record: ExportRecord): string {
  return formatCsvRow(toExportCells(record));
}

/** Any row of cells as CSV text with the export's quoting, ending in CRLF. */
export function formatCsvRow(cells: readonly string[]): string {
  return stringify([[...cells]], ROW_OPTIONS);
}

/** The header line the exports start with (after the byte-order mark), ending in CRLF. */
export const EXPORT_HEADER_LINE = `${CSV_HEADER_LINE}\r\n`;

/** A whole export file as one string (byte-order mark, header, rows); for small exports and tests. */
export function formatExportCsv(records: Iterable<ExportRecord>): string {
  let out = UTF8_BOM + EXPORT_HEADER_LINE;
  for (const record of records) out += formatExportRow(record);
  return out;
}

/**
 * The Sample CSV download: byte-order mark, header and example rows. The display names explain
 * the placeholder ids (12, 345), which stand for ids from the user's own export.
 */
export function sampleCsv(): string {
  const rows: string[][] = [
    ['', '', '1001', 'sip.example.com', 'New set: leave both ids blank', '1001', 'Chosen-Passw0rd-1', ''],
    [
      '',
      '',
      '+4930123456',
      'sip.example.com',
      'Same new set as the row above',
      '+4930123456',
      'Chosen-Passw0rd-2',
      'JBSWY3DPEHPK3PXP',
    ],
    [
      '12',
      '',
      '1002',
      'sip.example.com',
      'Adds to set 12: replace 12 with your own pool id',
      '1002',
      'Chosen-Passw0rd-3',
      '',
    ],
    [
      '12',
      '345',
      '1003',
      'sip.example.com',
      'Updates entry 345 of set 12: use the ids from your export',
      '1003',
      'Chosen-Passw0rd-4',
      '',
    ],
  ];
  return UTF8_BOM + EXPORT_HEADER_LINE + rows.map(formatCsvRow).join('');
}
