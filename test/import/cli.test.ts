import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/app/auth.ts';
import { TEST_MASTER_KEY } from '../support/app.ts';
import { runCli } from '../support/cli.ts';
import { createTestDb, DIALECTS, type TestDb } from '../support/databases.ts';
import { csvFile, HEADER, type JobJson } from './helpers.ts';

function cli(url: string, args: string[]) {
  return runCli({ DATABASE_URL: url, SIPCREDS_MASTER_KEY: TEST_MASTER_KEY, LOG_LEVEL: 'warn' }, args);
}

describe.each(DIALECTS)('sipcreds import and sipcreds export, run as a child process (%s)', (dialect) => {
  let testDb: TestDb;
  let dir: string;
  let accountId: number;
  let otherAccountId: number;
  beforeAll(async () => {
    testDb = await createTestDb(dialect);
    dir = mkdtempSync(join(tmpdir(), 'sipcreds-cli-'));
    accountId = (await createAccount(testDb.db, 'CLI', 100)).id;
    otherAccountId = (await createAccount(testDb.db, 'Other', 100)).id;
  });
  afterAll(async () => {
    await testDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('import prints per-row results and exits 0 when no row failed', { timeout: 90_000 }, async () => {
    const path = file(
      'ok.csv',
      csvFile([
        { username: '1001', password: 'p"1', totp: 'JBSWY3DPEHPK3PXP' },
        { username: '1002', password: 'p,2' },
      ]),
    );
    const run = await cli(testDb.url, ['import', path, '--account', String(accountId)]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^row 2: created \(set \d+, entry \d+\) 1001: New credential set and entry created$/m);
    expect(run.stdout).toMatch(/^2 rows imported: 0 updated, 2 created, 0 failed \(job [\w-]+\)$/m);
    expect(run.stdout).not.toContain('p"1');
  });

  it('exits 1 when some rows failed, and --json prints the job as one JSON object', { timeout: 90_000 }, async () => {
    const path = file(
      'some-fail.csv',
      csvFile([
        { username: '1003', password: 'p' },
        { username: '1004', password: '' },
      ]),
    );
    const run = await cli(testDb.url, ['import', path, '--account', String(accountId), '--json']);
    expect(run.code).toBe(1);
    const job = JSON.parse(run.stdout) as JobJson;
    expect(job.counts).toEqual({ updated: 0, created: 1, failed: 1 });
    expect(job.rows[1]).toMatchObject({ row: 3, action: 'failed', message: 'missing value for auth_password' });
  });

  it(
    'exits 2 with one line on stderr when the file is rejected, and applies nothing',
    { timeout: 90_000 },
    async () => {
      const before = await testDb.db.kysely.selectFrom('credential_entries').select('id').execute();
      const bad = file('bad.csv', `${HEADER},extra\n,,1,d,x,1,p,,e\n`);
      const run = await cli(testDb.url, ['import', bad, '--account', String(accountId)]);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(
        /^sipcreds: .*bad\.csv was rejected: Nothing was imported\. The header must be exactly/,
      );
      const missing = await cli(testDb.url, ['import', join(dir, 'nope.csv'), '--account', String(accountId)]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/cannot read/);
      const after = await testDb.db.kysely.selectFrom('credential_entries').select('id').execute();
      expect(after).toEqual(before);
    },
  );

  it('--dry-run reports and applies nothing', { timeout: 90_000 }, async () => {
    const path = file('dry.csv', csvFile([{ username: '1005', password: 'p' }]));
    const run = await cli(testDb.url, ['import', path, '--account', String(accountId), '--dry-run', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ dry_run: true, counts: { created: 1 } });
    const rows = await testDb.db.kysely.selectFrom('credential_entries').select('username').execute();
    expect(rows.map((r) => r.username)).not.toContain('1005');
  });

  it(
    'export writes the same CSV as Export All to stdout or -o FILE (mode 0600); --set limits it to one set',
    { timeout: 90_000 },
    async () => {
      const all = await cli(testDb.url, ['export', '--account', String(accountId)]);
      expect(all.code).toBe(0);
      expect(all.stdout.startsWith(`\uFEFF${HEADER}\r\n`)).toBe(true);
      const rows = (parse(all.stdout, { bom: true }) as string[][]).slice(1);
      expect(rows.map((r) => [r[2], r[6], r[7]])).toEqual([
        ['1001', 'p"1', 'JBSWY3DPEHPK3PXP'],
        ['1002', 'p,2', ''],
        ['1003', 'p', ''],
      ]);
      const out = join(dir, 'export.csv');
      const toFile = await cli(testDb.url, ['export', '--account', String(accountId), '-o', out]);
      expect(toFile.code).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(all.stdout);
      expect(statSync(out).mode & 0o777).toBe(0o600);

      const setId = rows[2]![0]!;
      const one = await cli(testDb.url, ['export', '--account', String(accountId), '--set', setId]);
      expect((parse(one.stdout, { bom: true }) as string[][]).slice(1).map((r) => r[2])).toEqual(['1003']);

      // The export, imported unchanged, updates every row with "no changes".
      const again = await cli(testDb.url, ['import', out, '--account', String(accountId), '--json']);
      expect(again.code).toBe(0);
      const job = JSON.parse(again.stdout) as JobJson;
      expect(job.rows.every((r) => r.action === 'updated' && r.message === 'no changes')).toBe(true);
    },
  );

  it(
    "export of another account's set, or of an unknown account, fails with one line and exit 1",
    { timeout: 90_000 },
    async () => {
      const all = await cli(testDb.url, ['export', '--account', String(accountId)]);
      const setId = (parse(all.stdout, { bom: true }) as string[][])[1]![0]!;
      const other = await cli(testDb.url, ['export', '--account', String(otherAccountId), '--set', setId]);
      expect(other.code).toBe(1);
      expect(other.stdout).toBe('');
      expect(other.stderr).toMatch(/^sipcreds: There is no credential set \d+ in your account/);
      const none = await cli(testDb.url, ['export', '--account', '999999']);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/There is no account 999999/);
    },
  );
});
