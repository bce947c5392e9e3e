// Load: 50 concurrent users on the page APIs and 5 concurrent imports of 2,000 rows, against a
// real `sipcreds serve` on loopback, on SQLite and on PostgreSQL. Each scenario runs for a bounded
// time (LOAD_SECONDS, default 10). Prints requests, errors and p50/p99 latencies per scenario and
// writes them to bench/out/load-<time>.json.
//
//   npm run load                       # both databases (PostgreSQL at TEST_DATABASE_URL)
//   LOAD_DIALECTS=sqlite npm run load  # one of them
//
// The account is seeded through the import API first: 40 bulk sets of 2,000 entries and 5,000
// small sets of 4 entries (100,000 entries), plus one account per importer with 2,000 entries
// that the importers rotate (every import changes every password).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'sipcreds.mjs');
// The server under load is the production build (npm start runs the same bundle).
const SERVER = join(ROOT, 'dist', 'main.js');
const SECONDS = Number(process.env.LOAD_SECONDS || 10);
const DIALECTS = (process.env.LOAD_DIALECTS || 'sqlite,postgres').split(',').map((s) => s.trim()) as Array<
  'sqlite' | 'postgres'
>;
const PG_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const PAGE_USERS = 50;
const IMPORTERS = 5;
const IMPORT_ROWS = 2000;
const HEADER = 'multi_credential_pool_id,entry_id,username,domain,display_name,auth_username,auth_password,totp_secret';

// autocannon 9 ships no type declarations: the part of its API used here.
interface Histogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
}
interface CannonResult {
  latency: Histogram;
  requests: Histogram & { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  duration: number;
}
interface CannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: CannonRequest) => CannonRequest;
}
type Autocannon = (
  opts: {
    url: string;
    connections: number;
    duration: number;
    timeout?: number;
    headers?: Record<string, string>;
    requests?: CannonRequest[];
  },
  cb: (err: Error | null, result: CannonResult) => void,
) => unknown;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

function cannon(opts: Parameters<Autocannon>[0]): Promise<CannonResult> {
  return new Promise((resolve, reject) => autocannon(opts, (err, res) => (err ? reject(err) : resolve(res))));
}

interface Row {
  dialect: string;
  scenario: string;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  statuses: string;
}

function summarize(dialect: string, scenario: string, r: CannonResult): Row {
  const statuses = [
    ...Object.entries(r.statusCodeStats).map(([code, s]) => `${code}×${s.count}`),
    ...(r.timeouts ? [`timeouts (no answer in 10 s)×${r.timeouts}`] : []),
    ...(r.errors > r.timeouts ? [`connection errors×${r.errors - r.timeouts}`] : []),
  ].join(' ');
  return {
    dialect,
    scenario,
    requests: r.requests.total,
    perSecond: Math.round(r.requests.total / r.duration),
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    // autocannon counts timeouts among its errors; non-2xx answers are errors too.
    errors: r.errors + r.non2xx,
    statuses,
  };
}

// ---- the server ---------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function cli(env: NodeJS.ProcessEnv, args: string[], stdin?: string): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env, input: stdin, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sipcreds ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

async function startServer(env: NodeJS.ProcessEnv): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [SERVER, 'serve'], {
    cwd: ROOT,
    env: { ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (c: Buffer) => (tail = (tail + c.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    if (child.exitCode !== null) throw new Error(`serve exited: ${tail}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // starting
    }
    if (i > 300) throw new Error(`serve did not start: ${tail}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

// ---- seeding ------------------------------------------------------------------------------------

async function importCsv(
  url: string,
  token: string,
  csv: string,
): Promise<{ rows: Array<{ entry_id: number; multi_credential_pool_id: number }> }> {
  const res = await fetch(`${url}/api/credential-passwords/imports?wait=true`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: csv,
  });
  if (res.status !== 200) throw new Error(`seed import: ${res.status} ${await res.text()}`);
  const job = (await res.json()) as { status: string; counts: Record<string, number>; rows: [] };
  if (job.status !== 'succeeded' || job.counts.failed) throw new Error(`seed import: ${JSON.stringify(job.counts)}`);
  return job as never;
}

interface Seeded {
  pageCookie: string;
  importers: Array<{ token: string; pool: number; entries: number[] }>;
}

async function seed(url: string, env: NodeJS.ProcessEnv): Promise<Seeded> {
  const make = (name: string, email: string) => {
    const account = JSON.parse(cli(env, ['account', 'create', '--name', name, '--max-sets', '10000', '--json'])) as {
      id: number;
    };
    const password = `load-${randomBytes(9).toString('base64url')}`;
    cli(env, ['user', 'create', '--account', String(account.id), '--email', email, '--password-stdin'], password);
    const token = (JSON.parse(cli(env, ['token', 'create', '--email', email, '--json'])) as { token: string }).token;
    return { email, password, token };
  };

  const main = make('Load main', 'pages@load.example.test');
  // 40 bulk sets of 2,000 entries: rows sharing an unknown pool id form one new set per id.
  for (let file = 0; file < 4; file += 1) {
    const lines = [HEADER];
    for (let s = 0; s < 10; s += 1) {
      for (let e = 0; e < 2000; e += 1) {
        const u = `b${file}${s}-${String(e).padStart(4, '0')}`;
        lines.push(`${800000 + file * 10 + s},,${u},bulk${s}.load.example.test,Bulk ${u},${u},pw-${u},`);
      }
    }
    await importCsv(url, main.token, lines.join('\r\n'));
  }
  // 5,000 small sets of 4 entries.
  const small = [HEADER];
  for (let s = 0; s < 5000; s += 1) {
    for (let e = 0; e < 4; e += 1) {
      const u = `s${String(s).padStart(4, '0')}-${e}`;
      small.push(`${900000 + s},,${u},small${s % 50}.load.example.test,Small ${u},${u},pw-${u},`);
    }
  }
  await importCsv(url, main.token, small.join('\r\n'));

  const login = await fetch(`${url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: main.email, password: main.password }),
  });
  const pageCookie = (login.headers.getSetCookie()[0] ?? '').split(';')[0]!;

  const importers: Seeded['importers'] = [];
  for (let i = 0; i < IMPORTERS; i += 1) {
    const who = make(`Load importer ${i}`, `importer${i}@load.example.test`);
    const lines = [HEADER];
    for (let e = 0; e < IMPORT_ROWS; e += 1)
      lines.push(`,,i${i}-${e},imp${i}.load.example.test,Imp ${e},i${i}-${e},first,`);
    const job = await importCsv(url, who.token, lines.join('\r\n'));
    importers.push({
      token: who.token,
      pool: job.rows[0]!.multi_credential_pool_id,
      entries: job.rows.map((r) => r.entry_id),
    });
  }
  return { pageCookie, importers };
}

// ---- scenarios ----------------------------------------------------------------------------------

type PageApi = 'account' | 'bulk-sets' | 'small-set-entries';

function pageRequests(only?: PageApi): CannonRequest[] {
  const pick = (n: number) => Math.floor(Math.random() * n);
  const filters = [
    () => `page=${1 + pick(200)}`,
    () => `username=${encodeURIComponent(`s${String(pick(5000)).padStart(4, '0')}-*`)}`,
    () => `domain=small${pick(50)}.load.example.test&page=${1 + pick(40)}`,
    () =>
      `set_name=${encodeURIComponent('*import*')}&display_name=${encodeURIComponent(`Small s${pick(10)}*`)}&page=${1 + pick(5)}`,
    () => `auth_username=${encodeURIComponent(`*-${pick(4)}`)}&page=${1 + pick(50)}`,
  ];
  const all: Array<[PageApi, CannonRequest]> = [
    ['account', { method: 'GET', path: '/api/account' }],
    [
      'bulk-sets',
      {
        method: 'GET',
        path: '/api/credential-passwords/bulk-sets?page=1',
        setupRequest: (r) => ({ ...r, path: `/api/credential-passwords/bulk-sets?page=${1 + pick(8)}` }),
      },
    ],
    [
      'small-set-entries',
      {
        method: 'GET',
        path: '/api/credential-passwords/small-set-entries',
        setupRequest: (r) => ({
          ...r,
          path: `/api/credential-passwords/small-set-entries?${filters[pick(filters.length)]!()}`,
        }),
      },
    ],
  ];
  return all.filter(([name]) => !only || name === only).map(([, request]) => request);
}

function pages(url: string, cookie: string, only?: PageApi): Promise<CannonResult> {
  return cannon({ url, connections: PAGE_USERS, duration: SECONDS, headers: { cookie }, requests: pageRequests(only) });
}

function rotationCsv(imp: Seeded['importers'][number], index: number): string {
  const stamp = randomBytes(6).toString('hex');
  const lines = [HEADER];
  imp.entries.forEach((id, e) => {
    const u = `i${index}-${e}`;
    lines.push(`${imp.pool},${id},${u},imp${index}.load.example.test,Imp ${e},${u},rot-${stamp}-${e},`);
  });
  return lines.join('\r\n');
}

interface LoopResult {
  latencies: number[];
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
}

/**
 * IMPORTERS clients, one per account, each rotating every password of its 2,000 entries, one
 * import after the other (?wait=true), until the time is up; the imports under way then finish.
 */
async function imports(url: string, seeded: Seeded): Promise<LoopResult> {
  const started = Date.now();
  const deadline = started + SECONDS * 1000;
  const result: LoopResult = { latencies: [], errors: 0, statuses: {}, seconds: 0 };
  await Promise.all(
    seeded.importers.map(async (imp, index) => {
      while (Date.now() < deadline) {
        const body = rotationCsv(imp, index);
        const t = performance.now();
        let status = 'network error';
        try {
          const res = await fetch(`${url}/api/credential-passwords/imports?wait=true`, {
            method: 'POST',
            headers: { authorization: `Bearer ${imp.token}`, 'content-type': 'text/csv' },
            body,
            signal: AbortSignal.timeout(120_000),
          });
          const job = (await res.json()) as { status?: string; counts?: { updated: number } };
          status = String(res.status);
          if (res.status !== 200 || job.status !== 'succeeded' || job.counts?.updated !== IMPORT_ROWS) {
            status = `${res.status} ${job.status ?? ''}`.trim();
            result.errors += 1;
          }
        } catch {
          result.errors += 1;
        }
        result.latencies.push(performance.now() - t);
        result.statuses[status] = (result.statuses[status] ?? 0) + 1;
      }
    }),
  );
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!);
}

function summarizeLoop(dialect: string, scenario: string, r: LoopResult): Row {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  return {
    dialect,
    scenario,
    requests: sorted.length,
    perSecond: Math.round((sorted.length / r.seconds) * 10) / 10,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: Math.round(sorted[sorted.length - 1] ?? 0),
    errors: r.errors,
    statuses: Object.entries(r.statuses)
      .map(([code, n]) => `${code}×${n}`)
      .join(' '),
  };
}

// ---- main ---------------------------------------------------------------------------------------

async function runDialect(dialect: 'sqlite' | 'postgres'): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sipcreds-load-'));
  let databaseUrl = `sqlite:${join(dir, 'load.db')}`;
  let dropPg: (() => Promise<void>) | undefined;
  if (dialect === 'postgres') {
    const name = `sipcreds_load_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(PG_URL);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
    dropPg = async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    SIPCREDS_MASTER_KEY: randomBytes(32).toString('base64'),
    SIPCREDS_DATA_DIR: dir,
    // Production's level: two JSON lines per request, written to a pipe this script drains.
    LOG_LEVEL: 'info',
    // The importers rotate back to back for the whole run, faster than the per-account default
    // (60 a minute) allows: the limiter is tested elsewhere, here we measure the server.
    SIPCREDS_IMPORT_RATE_LIMIT: '100000',
  };
  const rows: Row[] = [];
  try {
    cli(env, ['migrate']);
    const server = await startServer(env);
    try {
      const t0 = Date.now();
      process.stdout.write(`[${dialect}] seeding 110,000 entries through the import API… `);
      const seeded = await seed(server.url, env);
      process.stdout.write(`${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

      const load = () => `load average ${loadavg()[0]!.toFixed(1)}`;
      process.stdout.write(
        `[${dialect}] ${PAGE_USERS} users on the page APIs, ${SECONDS} s per scenario (${load()})…\n`,
      );
      rows.push(
        summarize(
          dialect,
          `page APIs (all three), ${PAGE_USERS} connections`,
          await pages(server.url, seeded.pageCookie),
        ),
      );
      for (const only of ['account', 'bulk-sets', 'small-set-entries'] as const) {
        rows.push(
          summarize(
            dialect,
            `GET ${only}, ${PAGE_USERS} connections`,
            await pages(server.url, seeded.pageCookie, only),
          ),
        );
      }

      process.stdout.write(`[${dialect}] ${IMPORTERS} concurrent imports of ${IMPORT_ROWS} rows (${load()})…\n`);
      rows.push(
        summarizeLoop(
          dialect,
          `imports of ${IMPORT_ROWS} rows, ${IMPORTERS} at a time`,
          await imports(server.url, seeded),
        ),
      );

      process.stdout.write(`[${dialect}] both at once (${load()})…\n`);
      const [p, i] = await Promise.all([pages(server.url, seeded.pageCookie), imports(server.url, seeded)]);
      rows.push(summarize(dialect, `page APIs, ${PAGE_USERS} connections, during the imports`, p));
      rows.push(summarizeLoop(dialect, `imports, ${IMPORTERS} at a time, during the page load`, i));
    } finally {
      await server.stop();
    }
  } finally {
    await dropPg?.();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

function table(rows: Row[]): string {
  const head = '| database | scenario | requests | req/s | p50 ms | p99 ms | max ms | errors |';
  const sep = '|---|---|---:|---:|---:|---:|---:|---:|';
  return [
    head,
    sep,
    ...rows.map(
      (r) =>
        `| ${r.dialect} | ${r.scenario} | ${r.requests} | ${r.perSecond} | ${r.p50} | ${r.p99} | ${r.max} | ${r.errors} |`,
    ),
  ].join('\n');
}

const all: Row[] = [];
for (const dialect of DIALECTS) all.push(...(await runDialect(dialect)));
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}`;
process.stdout.write(`\n${machine}; ${SECONDS} s per scenario, loopback\n\n${table(all)}\n`);
for (const r of all) if (r.errors > 0) process.stdout.write(`errors in "${r.dialect} ${r.scenario}": ${r.statuses}\n`);
mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
const out = join(ROOT, 'bench', 'out', `load-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify({ machine, seconds: SECONDS, rows: all }, null, 2));
process.stdout.write(`\nwritten to ${out}\n`);
process.exit(all.some((r) => r.errors > 0) ? 1 : 0);
