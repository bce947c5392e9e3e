import { parse } from 'csv-parse/browser/esm/sync';
import { stringify } from 'csv-stringify/browser/esm/sync';

export const CSV_HEADER = [
  'multi_credential_pool_id',
  'entry_id',
  'username',
  'domain',
  'display_name',
  'auth_username',
  'auth_password',
  'totp_secret',
] as const;

const USERNAME_COLUMN = CSV_HEADER.indexOf('username');

// The server reads a header written with ';' or a tab (Excel in many locales) as well as ','.
const DELIMITERS = [',', ';', '\t'] as const;

export interface FailedRowRef {
  /** Spreadsheet row number: the header is row 1, the first data row is row 2. */
  row: number;
  username: string;
}

export type FailedRowsCsv =
  | { kind: 'ok'; csv: string; rows: number }
  | { kind: 'unreadable'; message: string }
  | { kind: 'mismatch'; message: string };

/**
 * Builds a CSV of the header and just the failed rows of the user's own file, each record with its
 * values exactly as the user wrote them, so the user can fix them and import that file again.
 * Checks each row against the username the server reported, and refuses rather than hand back
 * the wrong rows.
 */
export function buildFailedRowsCsv(source: string, failed: readonly FailedRowRef[], delimiter?: string): FailedRowsCsv {
  let records: string[][];
  try {
    records = parse(source, {
      bom: true,
      delimiter: delimiter ?? detectDelimiter(source),
      // Read the way the server reads it (src/domain/csv-format.ts), so row numbers match:
      // records, not lines, and blank lines count as rows.
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      skip_empty_lines: false,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { kind: 'unreadable', message: `Your file could not be read again in the browser: ${reason}` };
  }
  const header = records[0];
  if (!header) return { kind: 'unreadable', message: 'Your file has no header row.' };

  const picked: string[][] = [];
  for (const ref of [...failed].sort((a, b) => a.row - b.row)) {
    const record = records[ref.row - 1];
    const username = record?.[USERNAME_COLUMN];
    const looksShifted =
      !record || ref.row < 2 || (record.length === CSV_HEADER.length && username?.trim() !== ref.username.trim());
    if (looksShifted) {
      return {
        kind: 'mismatch',
        message: `Row ${ref.row} of your file does not match the import results, so no file was made. Use "Show only failed rows" and fix those rows in your own file.`,
      };
    }
    picked.push(record);
  }
  const csv = stringify([header, ...picked], { bom: true, record_delimiter: '\r\n' });
  return { kind: 'ok', csv, rows: picked.length };
}

/** The separator under which the first line reads as the exact import header; ',' otherwise. */
export function detectDelimiter(source: string): string {
  const firstLine = source.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/, 1)[0] ?? '';
  for (const delimiter of DELIMITERS) {
    const cells = firstLine.split(delimiter).map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
    if (cells.length === CSV_HEADER.length && cells.every((cell, i) => cell === CSV_HEADER[i])) return delimiter;
  }
  return ',';
}

export function failedRowsFilename(originalName: string | undefined): string {
  const base = (originalName ?? 'pasted').replace(/\.csv$/i, '') || 'import';
  return `${base}-failed-rows.csv`;
}
