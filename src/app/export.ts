import { Readable } from 'node:stream';
import { insertAuditEvent } from '../db/audit.repository.ts';
import type { Db } from '../db/connect.ts';
import { setBelongsToAccount, streamExportRecords, type SecretCodec } from '../db/credential-entries.repository.ts';
import { createExportStringifier, sampleCsv, toExportCells } from '../domain/csv-format.ts';
import { AppError } from './errors.ts';

// Export All, per-set export and the Sample CSV. Exports stream: entries are read from the database
// a batch at a time, decrypted one by one and written through the CSV stringifier with
// backpressure, so a 100,000-entry account costs no more memory than a small one.

export interface ExportDeps {
  readonly db: Db;
  readonly cipher: SecretCodec;
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
  let rows = 0;
  let finished = false;
  async function* cells() {
    for await (const record of streamExportRecords(deps.db, deps.cipher, who.accountId, setId)) {
      rows++;
      yield toExportCells(record);
    }
    finished = true;
  }
  const stringifier = createExportStringifier();
  const source = Readable.from(cells());
  source.on('error', (e) => stringifier.destroy(e));
  source.pipe(stringifier);
  let audited: Promise<void> | undefined;
  let settle!: (p: Promise<void>) => void;
  const auditDone = new Promise<void>((resolve) => (settle = (p) => void p.then(resolve, () => resolve())));
  const audit = () => {
    if (audited) return;
    if (!finished) source.destroy();
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
  stringifier.on('close', audit);
  stringifier.on('end', audit);
  stringifier.on('error', audit);
  return {
    fileName: setId === undefined ? `sipcreds-credentials-${today()}.csv` : `sipcreds-set-${setId}-${today()}.csv`,
    body: stringifier,
    audited: auditDone,
  };
}

/** The Sample CSV: the header and example rows (no account data). */
export function sampleDownload(): { fileName: string; body: string } {
  return { fileName: 'sipcreds-sample.csv', body: sampleCsv() };
}
