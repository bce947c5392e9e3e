import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../app/errors.ts';
import { exportCredentials, sampleDownload, type CsvDownload } from '../../app/export.ts';
import {
  getImportJob,
  listImportJobRows,
  MAX_IMPORT_BYTES,
  startImport,
  waitForImportJob,
  type ImportActor,
} from '../../app/import/import-service.ts';
import { formatResultsCsv, toImportJobJson } from '../../app/import/job-view.ts';
import { sweepOrphanedJobs } from '../../app/import/job-liveness.ts';
import {
  listBulkSetsPage,
  listSmallSetEntriesPage,
  MAX_INLINE_UPDATES,
  saveInlinePasswords,
} from '../../app/inline-passwords.ts';
import { principalOf } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { parseWith } from '../problem.ts';
import { requireRecentReauth } from './reauth.routes.ts';

// Account → Credential Passwords over HTTP: Sample CSV, Export All, per-set export, imports (raw
// CSV, multipart file or JSON paste) with their jobs and results CSV, the bulk-set and small-set
// lists, and the inline password save.

const BASE = '/api/credential-passwords';

const flag = z
  .enum(['true', 'false', '1', '0', ''], { error: 'use true or false' })
  .optional()
  .transform((v) => v === 'true' || v === '1');

const importQuery = z.object({ wait: flag, dry_run: flag });

const pageNumber = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return 1;
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) {
      ctx.addIssue({ code: 'custom', message: 'give a page number of 1 or more' });
      return z.NEVER;
    }
    return n;
  });

const filterValue = z.string().max(255, { error: 'a filter is at most 255 characters' }).optional();

const bulkSetsQuery = z.object({ page: pageNumber });
const smallSetEntriesQuery = z.object({
  page: pageNumber,
  set_name: filterValue,
  username: filterValue,
  domain: filterValue,
  display_name: filterValue,
  auth_username: filterValue,
});

const pasteBody = z.strictObject({ csv: z.string({ error: 'give the CSV text as a string' }) });

const inlineBody = z.strictObject({
  updates: z
    .array(
      z.strictObject({
        entry_id: z.number({ error: 'give entry_id as a number' }).int().positive().max(2147483647),
        auth_password: z.string({ error: 'give auth_password as a string' }),
      }),
    )
    .max(MAX_INLINE_UPDATES),
});

const idParam = z.object({
  id: z.string().regex(/^\d{1,10}$/, { error: 'a credential set id is a positive whole number' }),
});

function actorOf(request: FastifyRequest): ImportActor {
  const p = principalOf(request);
  return { accountId: p.accountId, userId: p.userId, actor: p.email };
}

function idempotencyKeyOf(request: FastifyRequest): string | null {
  const raw = request.headers['idempotency-key'];
  const key = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (key === undefined || key === '') return null;
  if (key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
    throw new AppError(
      'invalid',
      'Invalid Idempotency-Key',
      'The Idempotency-Key header must be 1 to 255 visible ASCII characters, such as a UUID.',
    );
  }
  return key;
}

/** The CSV of an import request, from a raw body, a multipart field "file" or JSON {csv}. */
async function readImportCsv(request: FastifyRequest): Promise<{ csv: Uint8Array | string; fileName?: string }> {
  if (request.isMultipart()) {
    let part;
    try {
      part = await request.file({ limits: { fileSize: MAX_IMPORT_BYTES } });
      if (part && part.fieldname !== 'file') part = undefined;
      if (!part) {
        throw new AppError(
          'invalid',
          'No file',
          'Send the CSV file in the multipart form field "file" (or send it as the raw body with Content-Type: text/csv).',
        );
      }
      const csv = await part.toBuffer();
      return { csv, fileName: part.filename };
    } catch (error) {
      if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge();
      throw error;
    }
  }
  if (Buffer.isBuffer(request.body)) return { csv: request.body };
  if (request.body === undefined || request.body === null) {
    throw new AppError(
      'invalid',
      'No file',
      'Send the CSV as the body (Content-Type: text/csv), as the multipart form field "file", or as JSON {"csv": "…"}.',
    );
  }
  return { csv: parseWith(pasteBody, request.body).csv };
}

function tooLarge(): AppError {
  return new AppError(
    'too_large',
    'File too large',
    `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB, more than any import of at most 20,000 rows can be. Split it into several files.`,
  );
}

function sendCsv(reply: FastifyReply, fileName: string, body: CsvDownload['body'] | string) {
  return reply
    .header('Content-Type', 'text/csv; charset=utf-8')
    .header('Content-Disposition', `attachment; filename="${fileName}"`)
    .header('Cache-Control', 'no-store')
    .header('X-Content-Type-Options', 'nosniff')
    .send(body);
}

export async function credentialPasswordRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  // A job left `running` by a process that died: say so now rather than when someone looks.
  await sweepOrphanedJobs(ctx.db);

  app.get(`${BASE}/sample.csv`, async (_request, reply) => {
    const sample = sampleDownload();
    return sendCsv(reply, sample.fileName, sample.body);
  });

  app.get(`${BASE}/export.csv`, async (request, reply) => {
    // Every plaintext secret of the account: a browser session confirms the password first.
    const proof = await requireRecentReauth(ctx, request);
    const download = await exportCredentials(ctx, actorOf(request), { reauth: proof.via === 'reauth' });
    return sendCsv(reply, download.fileName, download.body);
  });

  app.get('/api/credential-sets/:id/export.csv', async (request, reply) => {
    const { id } = parseWith(idParam, request.params, 'path');
    const download = await exportCredentials(ctx, actorOf(request), { setId: Number(id) });
    return sendCsv(reply, download.fileName, download.body);
  });

  app.post(`${BASE}/imports`, { bodyLimit: MAX_IMPORT_BYTES + 16 * 1024 * 1024 }, async (request, reply) => {
    const query = parseWith(importQuery, request.query, 'query');
    const who = actorOf(request);
    const idempotencyKey = idempotencyKeyOf(request);
    const { csv, fileName } = await readImportCsv(request);
    const started = await startImport({ ...ctx, log: request.log }, who, {
      csv,
      dryRun: query.dry_run,
      idempotencyKey,
      fileName,
    });
    let job = started.job;
    if (started.replayed) reply.header('Idempotent-Replayed', 'true');
    reply.header('Location', `${BASE}/imports/${encodeURIComponent(job.id)}`);
    // Without ?wait the answer goes at once, from the job as it was created: on SQLite the running
    // import holds the one connection, and another query would wait for the import to end.
    if (query.wait) job = await waitForImportJob(ctx, who.accountId, job.id);
    const finished = job.status === 'succeeded' || job.status === 'failed';
    const rows = finished ? await listImportJobRows(ctx, job) : [];
    return reply.code(finished ? 200 : 202).send(toImportJobJson(job, rows));
  });

  app.get(`${BASE}/imports/:job`, async (request) => {
    const { job: jobId } = request.params as { job: string };
    const job = await getImportJob(ctx, principalOf(request).accountId, jobId);
    return toImportJobJson(job, await listImportJobRows(ctx, job));
  });

  app.get(`${BASE}/imports/:job/results.csv`, async (request, reply) => {
    const { job: jobId } = request.params as { job: string };
    const job = await getImportJob(ctx, principalOf(request).accountId, jobId);
    if (job.status === 'queued' || job.status === 'running') {
      throw new AppError(
        'conflict',
        'Import still running',
        'The import has not finished yet; fetch its results when GET on the job says succeeded.',
      );
    }
    const date = job.createdAt.slice(0, 10);
    return sendCsv(reply, `sipcreds-import-results-${date}.csv`, formatResultsCsv(await listImportJobRows(ctx, job)));
  });

  app.get(`${BASE}/bulk-sets`, async (request) => {
    const { page } = parseWith(bulkSetsQuery, request.query, 'query');
    return listBulkSetsPage(ctx.db, principalOf(request).accountId, page);
  });

  app.get(`${BASE}/small-set-entries`, async (request) => {
    const { page, ...filters } = parseWith(smallSetEntriesQuery, request.query, 'query');
    return listSmallSetEntriesPage(ctx.db, principalOf(request).accountId, page, filters);
  });

  app.post(`${BASE}/passwords`, { bodyLimit: 1024 * 1024 }, async (request) => {
    const body = parseWith(inlineBody, request.body);
    return saveInlinePasswords(ctx, actorOf(request), body.updates);
  });
}
