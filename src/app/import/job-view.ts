import type { ImportJobRecord, JobRowRecord } from '../../db/import-jobs.repository.ts';
import { stringify } from 'csv-stringify/sync';
import { UTF8_BOM } from '../../domain/csv-format.ts';

// What users see of an import job: the JSON of api.md and the results CSV. Neither has a field
// for a password or a TOTP secret, so neither can carry one.

export interface ImportJobRowJson {
  row: number;
  action: 'updated' | 'created' | 'failed';
  multi_credential_pool_id: number | null;
  entry_id: number | null;
  username: string;
  message: string;
  warnings: string[];
}

export interface ImportJobJson {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  error: string | null;
  dry_run: boolean;
  /** The separator the file was read with: "," or ";" or "\t". */
  delimiter: string;
  total_rows: number;
  processed_rows: number;
  counts: { updated: number; created: number; failed: number };
  rows: ImportJobRowJson[];
}

export function toImportJobJson(job: ImportJobRecord, rows: readonly JobRowRecord[]): ImportJobJson {
  return {
    id: job.id,
    status: job.status,
    error: job.error,
    dry_run: job.dryRun,
    delimiter: job.delimiter,
    total_rows: job.totalRows,
    processed_rows: job.processedRows,
    counts: { ...job.counts },
    rows: rows.map((r) => ({
      row: r.row,
      action: r.action,
      multi_credential_pool_id: r.setId,
      entry_id: r.entryId,
      username: r.username,
      message: r.message,
      warnings: r.warnings,
    })),
  };
}

export const RESULTS_CSV_COLUMNS = [
  'row',
  'action',
  'message',
  'warnings',
  'multi_credential_pool_id',
  'entry_id',
  'username',
  'domain',
] as const;

/** The per-row results as CSV (byte-order mark, CRLF, RFC 4180), for the user's audit trail. */
export function formatResultsCsv(rows: readonly JobRowRecord[]): string {
  const records: string[][] = [[...RESULTS_CSV_COLUMNS]];
  for (const r of rows) {
    records.push([
      String(r.row),
      r.action,
      r.message,
      r.warnings.join(' | '),
      r.setId === null ? '' : String(r.setId),
      r.entryId === null ? '' : String(r.entryId),
      r.username,
      r.domain,
    ]);
  }
  // The exports' quoting: a cell with any line break is quoted, so it reads back as one cell.
  return UTF8_BOM + stringify(records, { delimiter: ',', record_delimiter: '\r\n', quoted_match: /[\r\n]/ });
}
