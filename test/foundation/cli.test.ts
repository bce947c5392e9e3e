import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_MASTER_KEY } from '../support/app.ts';
import { runCli, SIPCREDS_BIN } from '../support/cli.ts';
import { createTestDb, DIALECTS, type TestDb } from '../support/databases.ts';

const BIN = SIPCREDS_BIN;
const cli = runCli;

describe.each(DIALECTS)('the sipcreds CLI on %s', (dialect) => {
  const dbs: TestDb[] = [];
  afterAll(async () => {
    for (const d of dbs) await d.drop();
  });

  it('migrate, account create, user create and token create, with --json', async () => {
    const d = await createTestDb(dialect);
    dbs.push(d);
    const env = { DATABASE_URL: d.url, SIPCREDS_MASTER_KEY: TEST_MASTER_KEY };
    const m = await cli(env, ['migrate', '--json']);
    expect(m.code).toBe(0);
    expect(JSON.parse(m.stdout)).toEqual({ applied: [] });

    const acc = await cli(env, ['account', 'create', '--name', 'Ops team', '--max-sets', '3', '--json']);
    expect(acc.code).toBe(0);
    const account = JSON.parse(acc.stdout);
    expect(account).toMatchObject({ name: 'Ops team', max_sets: 3 });

    const usr = await cli(
      env,
      ['user', 'create', '--account', String(account.id), '--email', 'Ops@Example.com', '--password-stdin', '--json'],
      'a long enough password\n',
    );
    expect(usr.code).toBe(0);
    expect(JSON.parse(usr.stdout)).toMatchObject({ account_id: account.id, email: 'ops@example.com' });

    const plain = await cli(env, ['token', 'create', '--email', 'ops@example.com']);
    expect(plain.code).toBe(0);
    expect(plain.stdout.trim()).toMatch(/^sipc_[A-Za-z0-9_-]{40,}$/);
  });

  it('fails with one clear line and a non-zero exit', async () => {
    const d = await createTestDb(dialect);
    dbs.push(d);
    const env = { DATABASE_URL: d.url, SIPCREDS_MASTER_KEY: TEST_MASTER_KEY };
    const r = await cli(
      env,
      ['user', 'create', '--account', '999', '--email', 'x@example.com', '--password-stdin'],
      'a long enough password',
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no account 999/);
    const short = await cli(env, ['account', 'create', '--name', 'X', '--max-sets', 'lots']);
    expect(short.code).not.toBe(0);
    expect(short.stderr).toMatch(/--max-sets must be a whole number/);
  });
});

describe('first start on an empty database', () => {
  it('serve creates a first account and user, prints the password once, and it logs in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipcreds-first-'));
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const env = {
      ...process.env,
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      SIPCREDS_DATA_DIR: dir,
      PORT: port,
    };
    delete (env as Record<string, string | undefined>).SIPCREDS_MASTER_KEY;
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, 'serve'], { env });
    try {
      let out = '';
      await new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`server did not start: ${out}`)), 20000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('is serving on')) {
            clearTimeout(timer);
            ok();
          }
        });
      });
      const email = /email:\s+(\S+)/.exec(out)![1]!;
      const password = /password:\s+(\S+)/.exec(out)![1]!;
      const res = await fetch(`http://127.0.0.1:${port}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      expect(res.status).toBe(200);
      // The key file was created once, private to its owner.
      const { statSync } = await import('node:fs');
      expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the production build that npm start runs', () => {
  it('bundles the server, which serves, imports through its crypto worker, and exports', async () => {
    const { spawnSync, spawn } = await import('node:child_process');
    const root = resolve(import.meta.dirname, '../..');
    const build = spawnSync('npm', ['run', '--silent', 'build:server'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    const main = join(root, 'dist', 'main.js');
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(root, 'dist', 'cipher-worker.js'))).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'sipcreds-dist-'));
    const env = {
      ...process.env,
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      SIPCREDS_MASTER_KEY: TEST_MASTER_KEY,
    };
    const node = (args: string[], input = '') =>
      spawnSync(process.execPath, [main, ...args], { env, input, encoding: 'utf8' });
    const account = JSON.parse(node(['account', 'create', '--name', 'Dist', '--json']).stdout);
    expect(
      node(
        ['user', 'create', '--account', String(account.id), '--email', 'd@example.com', '--password-stdin'],
        'a long enough password',
      ).status,
    ).toBe(0);
    const token = node(['token', 'create', '--email', 'd@example.com']).stdout.trim();
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const child = spawn(process.execPath, [main, 'serve'], { env: { ...env, PORT: port } });
    try {
      await new Promise<void>((ok, fail) => {
        let out = '';
        const timer = setTimeout(() => fail(new Error(`bundled server did not start: ${out}`)), 20000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('is serving on')) {
            clearTimeout(timer);
            ok();
          }
        });
      });
      // 300 rows: enough for the batch codec to hand half of the secrets to its worker thread.
      const rows = Array.from(
        { length: 300 },
        (_, i) => `,,${1000 + i},dist.example.test,Ext ${i},${1000 + i},pw-${i}-secret,`,
      );
      const csv = [
        'multi_credential_pool_id,entry_id,username,domain,display_name,auth_username,auth_password,totp_secret',
        ...rows,
      ].join('\r\n');
      const base = `http://127.0.0.1:${port}`;
      const auth = { authorization: `Bearer ${token}` };
      const res = await fetch(`${base}/api/credential-passwords/imports?wait=true`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'text/csv' },
        body: csv,
      });
      expect(res.status).toBe(200);
      expect((await res.json()).counts).toEqual({ updated: 0, created: 300, failed: 0 });
      const exported = await (await fetch(`${base}/api/credential-passwords/export.csv`, { headers: auth })).text();
      expect(exported).toContain(',1299,dist.example.test,Ext 299,1299,pw-299-secret,');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('first start of several servers on one empty PostgreSQL', () => {
  it('creates the first account and user once, however many servers start together', async () => {
    const { bootstrapFirstUser } = await import('../../src/app/bootstrap.ts');
    const { openDb } = await import('../../src/db/connect.ts');
    const d = await createTestDb('postgres');
    // Three servers: three connection pools on one database, bootstrapping at the same moment.
    const servers = [0, 1, 2].map(() => openDb(d.url, { poolSize: 2 }));
    try {
      const outcomes = await Promise.all(servers.map((db) => bootstrapFirstUser(db)));
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      const accounts = await d.db.kysely.selectFrom('accounts').select('id').execute();
      const users = await d.db.kysely.selectFrom('users').select('email').execute();
      expect(accounts).toHaveLength(1);
      expect(users.map((u) => u.email)).toEqual(['admin@sipcreds.local']);
      // And a later start finds the account and creates nothing.
      expect(await bootstrapFirstUser(servers[0]!)).toBeUndefined();
    } finally {
      for (const db of servers) await db.close();
      await d.drop();
    }
  });
});
