import { Readable } from 'node:stream';
import type { SecretCipher } from '../crypto/secret-cipher.ts';
import { insertAuditEvent } from '../db/audit.repository.ts';
import type { Db } from '../db/connect.ts';
import { setBelongsToAccount, streamExportPages } from '../db/credential-entries.repository.ts';
import { EXPORT_HEADER_LINE, sampleCsv, UTF8_BOM, type ExportRecord } from '../domain/csv-format.ts';
import { AppError } from './errors.ts';
import { openBatchCodec } from '../crypto/secret-batches.ts';

// Export All, per-set export and the Sample CSV. Exports stream: entries are read from the database
// a page at a time, decrypted a batch at a time and written out page by page with backpressure,
// so a 100,000-entry account costs no more memory than a small one.

export interface ExportDeps {
  readonly db: Db;
  readonly cipher: SecretCipher;
}

export interface ExportActor {
  accountId: number;
  userId: number | null;
  actor: string;
}

export interface CsvDownload {
  fileName: string;
  body: Readable;
  /** Settles once the audit event is written (after the body ended or was cut short). */
  audited: Promise<void>;
}

function today(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

// RFC 4180 as the domain's export stringifier writes it (csv-stringify with CRLF and quoted_match
// /[\r\n]/): a cell is quoted when it holds a comma, a double quote or a line break, and its double
// quotes are doubled. csv-stringify costs ~10 µs a row, a tenth of the whole budget of a
// 100,000 rows/s export, so rows are formatted here; a test checks this byte for byte against
// the domain's formatExportRow.
const NEEDS_QUOTES = /[",\r\n]/;

function csvCell(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One export row as CSV text ending in CRLF; the same bytes as the domain's formatExportRow. */
export function formatExportLine(r: ExportRecord): string {
  return `${r.setId},${r.entryId},${csvCell(r.username)},${csvCell(r.domain)},${csvCell(r.displayName)},${csvCell(r.authUsername)},${csvCell(r.password)},${csvCell(r.totpSecret ?? '')}\r\n`;
}

/**
 * The account's entries (all, or one set's) as the import CSV: byte-order mark, the header, CRLF,
 * sorted by set id then entry id. Another account's set id is as unknown as a missing one. Writes
 * an audit event (who, scope, rows) when the download ends, also when it was cut short.
 */
export async function exportCredentials(
  deps: ExportDeps,
  who: ExportActor,
  scope: { setId?: number; reauth?: boolean } = {},
): Promise<CsvDownload> {
  const { setId } = scope;
  if (setId !== undefined && !(await setBelongsToAccount(deps.db.kysely, who.accountId, setId))) {
    throw new AppError(
      'not_found',
      'No such credential set',
      `There is no credential set ${setId} in your account; check the id in SIP Credentials.`,
    );
  }
  const codec = openBatchCodec(deps.cipher, { offload: true });
  codec.warm();
  let rows = 0;
  let finished = false;
  async function* chunks() {
    yield UTF8_BOM + EXPORT_HEADER_LINE;
    for await (const page of streamExportPages(deps.db, codec, who.accountId, setId)) {
      let text = '';
      for (const record of page) text += formatExportLine(record);
      rows += page.length;
      yield text;
    }
    finished = true;
  }
  const body = Readable.from(chunks(), { objectMode: false });
  let audited: Promise<void> | undefined;
  let settle!: (p: Promise<void>) => void;
  const auditDone = new Promise<void>((resolve) => (settle = (p) => void p.then(resolve, () => resolve())));
  const audit = () => {
    if (audited) return;
    codec.close();
    audited = insertAuditEvent(deps.db.kysely, {
      accountId: who.accountId,
      userId: who.userId,
      actor: who.actor,
      action: setId === undefined ? 'credential_passwords.export_all' : 'credential_passwords.export_set',
      subject: setId === undefined ? 'account' : `credential_set:${setId}`,
      details: {
        scope: setId === undefined ? 'all' : 'set',
        ...(setId === undefined ? {} : { set_id: setId }),
        rows,
        completed: finished,
        ...(scope.reauth === undefined ? {} : { reauth: scope.reauth }),
      },
    });
    settle(audited);
  };
  body.on('end', audit);
  body.on('close', audit);
  body.on('error', audit);
  return {
    fileName: setId === undefined ? `sipcreds-credentials-${today()}.csv` : `sipcreds-set-${setId}-${today()}.csv`,
    body,
    audited: auditDone,
  };
}

/** The Sample CSV: the header and example rows (no account data). */
export function sampleDownload(): { fileName: string; body: string } {
  return { fileName: 'sipcreds-sample.csv', body: sampleCsv() };
}
