import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedUser, type SeededUser, type TestApp } from '../support/app.ts';
import { csvFile, exportAll, HEADER, importCsv, postImport, snapshotAccount, type JobJson } from './helpers.ts';

// Generated files through the whole import (HTTP → parse → plan → apply) on SQLite: nothing
// crashes, every row the rules would not write is reported failed, and nothing else changes.

const CONTROL = ['\t', '\n', '\r', '\u0000', '\u007f', '\u2028'];

describe('import fuzzing (sqlite)', () => {
  let t: TestApp;
  let other: SeededUser;
  let otherSet: number;
  let otherEntry: number;
  beforeAll(async () => {
    t = await createTestApp('sqlite');
    other = await seedUser(t);
    const job = await importCsv(t, other, csvFile([{ username: 'other-1', password: 'other-secret' }]));
    otherSet = job.rows[0]!.multi_credential_pool_id!;
    otherEntry = job.rows[0]!.entry_id!;
  });
  afterAll(async () => {
    await t?.close();
  });

  it(
    'no generated file crashes the import or writes a row the rules would not write',
    { timeout: 300_000 },
    async () => {
      // Mostly plausible values, so rows update and create; now and then hostile ones.
      const text = (valid: string[]) =>
        fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom(...valid) },
          {
            weight: 1,
            arbitrary: fc.constantFrom('', ' ', '0049301', '4930123456', '4.9E+11', 'a,b', 'q"uote', 'Grüße', ' pad '),
          },
          { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
          { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
          { weight: 1, arbitrary: fc.constantFrom(...CONTROL).map((c) => `x${c}y`) },
        );
      // Ids are drawn as tokens and resolved once the run's account is seeded: @s0/@s1 its sets,
      // @e0..@e2 its entries (@p0..@p2 the set of that entry), @os/@oe another account's.
      const idCell = (ids: string[]) =>
        fc.oneof(
          { weight: 2, arbitrary: fc.constant('') },
          { weight: 1, arbitrary: fc.constantFrom('x9', '0', '-1', '1.5', '99999999999', '1E+3', ' 7 ', '12345678') },
          { weight: 5, arbitrary: fc.constantFrom(...ids) },
        );
      // An update of a seeded entry with its right ids (the rotation workflow), fields as above.
      const updateArb = fc
        .tuple(
          fc.nat({ max: 2 }),
          text(['+4930123456', '1002', '1003']),
          text(['sip.example.com']),
          text(['Name']),
          text(['0049301', '1002', '1003']),
          text(['rotated-1', 'seed-2', 'p"w,1']),
          fc.constantFrom('', 'JBSWY3DPEHPK3PXP', 'mzxw 6ytb oi', 'bad!'),
        )
        .map(([k, ...cells]) => [`@p${k}`, `@e${k}`, ...cells]);
      const rowArb = fc.oneof(
        { weight: 4, arbitrary: updateArb },
        {
          weight: 8,
          arbitrary: fc
            .tuple(
              idCell(['@s0', '@s1', '@s0', '@os', 'new-group']),
              idCell(['@e0', '@e1', '@e2', '@oe', '']),
              text(['1001']),
              text(['sip.example.com', 'b.example.com']),
              text(['Name']),
              text(['1001']),
              text(['S3cret!', '  ', 'p"w,1']),
              fc.constantFrom('', 'JBSWY3DPEHPK3PXP', 'jbsw y3dp', 'MZXW6===', 'not-base32', 'A', '\t'),
            )
            .map((cells) => [...cells]),
        },
        { weight: 1, arbitrary: fc.array(fc.string({ maxLength: 5 }), { maxLength: 11 }) },
      );
      const fileArb = fc.record({
        rows: fc.array(rowArb, { minLength: 1, maxLength: 25 }),
        eol: fc.constantFrom('\r\n', '\n'),
        delimiter: fc.constantFrom(',', ',', ';'),
        garbage: fc.oneof(
          { weight: 9, arbitrary: fc.constant(null) },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
        ),
      });

      let run = 0;
      await fc.assert(
        fc.asyncProperty(fileArb, async (generated) => {
          run++;
          const user = await seedUser(t, { maxSets: 4 });
          const seed = await importCsv(
            t,
            user,
            csvFile([
              { pool: 'a', username: '+4930123456', auth: '0049301', password: 'seed-1', totp: 'JBSWY3DPEHPK3PXP' },
              { pool: 'a', username: '1002', password: 'seed-2' },
              { pool: 'b', username: '1003', password: 'seed-3' },
            ]),
          );
          const sets = [...new Set(seed.rows.map((r) => String(r.multi_credential_pool_id)))];
          const tokens = new Map<string, string>([
            ['@s0', sets[0]!],
            ['@s1', sets[1]!],
            ['@os', String(otherSet)],
            ['@oe', String(otherEntry)],
            ...seed.rows.flatMap((r, k) => [
              [`@e${k}`, String(r.entry_id)] as [string, string],
              [`@p${k}`, String(r.multi_credential_pool_id)] as [string, string],
            ]),
          ]);
          const file = {
            ...generated,
            rows: generated.rows.map((cells) => cells.map((c, k) => (k < 2 ? (tokens.get(c) ?? c) : c))),
          };
          const before = (await snapshotAccount(t, user.accountId)) as {
            sets: { id: number }[];
            entries: Record<string, unknown>[];
          };
          const otherBefore = await snapshotAccount(t, other.accountId);
          const body =
            file.garbage ??
            `${HEADER.replace(/,/g, file.delimiter)}${file.eol}` +
              stringify(file.rows, { delimiter: file.delimiter, record_delimiter: file.eol, quoted_match: /[\r\n]/ });
          const res = await postImport(t, user, Buffer.from(body));
          expect([200, 422], `run ${run}: ${res.body}`).toContain(res.statusCode);
          if (res.statusCode === 422) {
            expect(await snapshotAccount(t, user.accountId)).toEqual(before);
            return;
          }
          const job = res.json() as JobJson;
          expect(job.status).toBe('succeeded');
          const byRow = new Map(job.rows.map((r) => [r.row, r]));

          // Rows the rules never write are failed.
          file.rows.forEach((cells, i) => {
            const result = byRow.get(i + 2);
            if (cells.every((c) => c.trim() === '')) return; // a blank line is skipped
            expect(result, `row ${i + 2}`).toBeDefined();
            const mustFail =
              cells.length !== 8 ||
              cells.some((c) => CONTROL.some((ch) => c.includes(ch))) ||
              [2, 3, 4, 5, 6].some((k) => (cells[k] ?? '').trim() === '') ||
              [2, 3, 4, 5, 6].some((k) => /^[+-]?\d(?:[.,]\d+)?E[+-]\d{1,3}$/i.test((cells[k] ?? '').trim())) ||
              ['not-base32', 'A', 'bad!'].includes(cells[7] ?? '');
            if (mustFail) expect(result!.action, `row ${i + 2}: ${JSON.stringify(cells)}`).toBe('failed');
            if (result!.action !== 'failed' && cells[1] !== undefined && cells[1].trim() === String(otherEntry)) {
              expect(result!.action).toBe('created');
            }
          });

          // Nothing else changed: untouched entries are byte-identical, and every write matches its row.
          const after = (await snapshotAccount(t, user.accountId)) as typeof before;
          const plain = new Map(
            (parse((await exportAll(t, user)).body, { bom: true, relax_quotes: false }) as string[][])
              .slice(1)
              .map((r) => [Number(r[1]), r]),
          );
          const written = new Set<number>();
          for (const r of job.rows) {
            if (r.action === 'failed') continue;
            expect(r.entry_id).toBeTypeOf('number');
            written.add(r.entry_id!);
            const cells = file.rows[r.row - 2]!;
            const stored = plain.get(r.entry_id!)!;
            expect(stored, `row ${r.row}`).toBeDefined();
            expect(Number(stored[0])).toBe(r.multi_credential_pool_id);
            expect(stored.slice(2, 6)).toEqual(cells.slice(2, 6).map((c) => c.trim()));
            if (r.message !== 'no changes') expect(stored[6]).toBe(cells[6]);
            expect(stored[7]).toBe(cells[7]!.replace(/ /g, '').toUpperCase().replace(/=+$/, ''));
          }
          for (const e of before.entries) {
            if (written.has(e.id as number)) continue;
            expect(after.entries.find((a) => a.id === e.id)).toEqual(e);
          }
          const created = job.rows.filter((r) => r.action === 'created');
          expect(after.entries.length).toBe(before.entries.length + created.length);
          expect(job.counts.created).toBe(created.length);
          const newSets = new Set(created.map((r) => r.multi_credential_pool_id)).size;
          const existingTargets = new Set(before.sets.map((s) => s.id));
          const brandNew = new Set(
            created.map((r) => r.multi_credential_pool_id).filter((id) => !existingTargets.has(id!)),
          );
          expect(after.sets.length).toBe(before.sets.length + brandNew.size);
          expect(after.sets.length).toBeLessThanOrEqual(4);
          expect(newSets).toBeGreaterThanOrEqual(brandNew.size);
          expect(await snapshotAccount(t, other.accountId)).toEqual(otherBefore);
        }),
        { numRuns: 150, seed: 20261205 },
      );
    },
  );
});
