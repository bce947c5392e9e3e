// npm run bench — imports, exports and page APIs of Account → Credential Passwords, measured
// through HTTP against a real listening server (`sipcreds serve`, a child process), on SQLite and
// PostgreSQL, beside the floor: sqlite3's .import and psql's \copy of the same file into a plain
// table. Prints a table and writes it into docs/performance.md (between the bench markers).
//
// Environment: BENCH_DIALECTS=sqlite,postgres (default both), BENCH_PG_URL (an admin URL; default
// TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres), BENCH_CPU_PROF=DIR (run the
// server under --cpu-prof and leave the profiles there), BENCH_NO_DOC=1 (do not touch the doc).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createAccount, createApiToken, createUser } from '../src/app/auth.ts';
import { openDb } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const HEADER = 'multi_credential_pool_id,entry_id,username,domain,display_name,auth_username,auth_password,totp_secret';
const MASTER_KEY = randomBytes(32).toString('base64');
const DIALECTS = (process.env.BENCH_DIALECTS ?? 'sqlite,postgres').split(',') as ('sqlite' | 'postgres')[];
const PG_ADMIN =
  process.env.BENCH_PG_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// ---------- realistic data (deterministic) ----------
let seed = 20261205;
function rand(): number {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const DOMAINS = ['sip.example.com', 'voice.example.net', 'pbx.example.org', 'sbc1.carrier.example', 'ims.example.de'];
const ROLES = ['Reception', 'Sales', 'Support', 'Lab', 'Warehouse', 'Müller, Büro', 'CEO "office"', 'Night desk'];
const PW_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#$%&*+-=?@^_~,;."';
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const password = () => Array.from({ length: 16 + Math.floor(rand() * 9) }, () => pick([...PW_CHARS])).join('');
const totp = () => Array.from({ length: 32 }, () => pick([...B32])).join('');
const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

interface Row {
  pool: string;
  entry: string;
  username: string;
  domain: string;
  display: string;
  auth: string;
  password: string;
  totp: string;
}
let serial = 0;
function newRow(pool: string): Row {
  const n = serial++;
  const username = n % 2 ? String(1000 + n) : `+49${String(301234000000 + n)}`;
  return {
    pool,
    entry: '',
    username,
    domain: pick(DOMAINS),
    display: `${pick(ROLES)} ${n}`,
    auth: n % 7 ? username : `auth-${n}`,
    password: password(),
    totp: n % 3 === 0 ? totp() : '',
  };
}
const toCsv = (rows: Row[]) =>
  `${HEADER}\r\n${rows.map((r) => [r.pool, r.entry, r.username, r.domain, r.display, r.auth, r.password, r.totp].map(cell).join(',')).join('\r\n')}\r\n`;

// ---------- server ----------
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Server {
  proc: ChildProcess;
  base: string;
}

async function startServer(url: string, dataDir: string): Promise<Server> {
  const port = await freePort();
  // The production build (npm start runs the same bundle), not the TypeScript loader.
  const args = [join(ROOT, 'dist/main.js'), 'serve'];
  if (process.env.BENCH_CPU_PROF) args.unshift('--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`);
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: url,
      SIPCREDS_MASTER_KEY: MASTER_KEY,
      SIPCREDS_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SIPCREDS_IMPORT_RATE_LIMIT: '1000000',
      SIPCREDS_EXPORT_RATE_LIMIT: '1000000',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return { proc, base };
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

async function stopServer(s: Server): Promise<void> {
  s.proc.kill('SIGINT');
  await new Promise((r) => s.proc.once('exit', r));
}

/** Peak resident memory since the last reset, in MB (Linux: VmHWM, reset through clear_refs). */
function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not Linux or not permitted: the peak is then since the start
  }
}
function peakMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

// ---------- measurements ----------
interface Result {
  db: string;
  what: string;
  rows: number;
  ms: number;
  peakMb: number;
  floorMs?: number;
  note?: string;
}
const results: Result[] = [];

async function timedImport(s: Server, auth: Record<string, string>, csv: string) {
  resetPeak(s.proc.pid!);
  const t0 = performance.now();
  const res = await fetch(`${s.base}/api/credential-passwords/imports?wait=true`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'text/csv' },
    body: csv,
  });
  const job = (await res.json()) as {
    status: string;
    counts: Record<string, number>;
    rows: { entry_id: number; multi_credential_pool_id: number }[];
  };
  const ms = performance.now() - t0;
  if (res.status !== 200 || job.status !== 'succeeded' || job.counts.failed) {
    throw new Error(`import failed: ${res.status} ${JSON.stringify(job).slice(0, 300)}`);
  }
  return { ms, peak: peakMb(s.proc.pid!), job };
}

function floorSqlite(file: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'bench-floor-'));
  const t0 = performance.now();
  const r = spawnSync('sqlite3', [join(dir, 'floor.db')], {
    input: `create table t(a,b,c,d,e,f,g,h);\n.mode csv\n.import --skip 1 ${file} t\nselect count(*) from t;\n`,
  });
  const ms = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0 || !/20000/.test(String(r.stdout))) throw new Error(`sqlite3 .import: ${r.stderr}`);
  return ms;
}

function floorPostgres(url: string, file: string): number {
  spawnSync('psql', [
    url,
    '-qc',
    'drop table if exists floor_t; create table floor_t(a text,b text,c text,d text,e text,f text,g text,h text)',
  ]);
  const t0 = performance.now();
  const r = spawnSync('psql', [url, '-qc', `\\copy floor_t from '${file}' csv header`]);
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`psql \\copy: ${r.stderr}`);
  return ms;
}

async function latency(s: Server, auth: Record<string, string>, path: string, n = 100) {
  const times: number[] = [];
  let body = '';
  for (let i = 0; i < n + 10; i++) {
    const t0 = performance.now();
    const res = await fetch(`${s.base}${path}`, { headers: auth });
    body = await res.text();
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body}`);
    if (i >= 10) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const total = (JSON.parse(body) as { total: number }).total;
  return { p50: times[Math.floor(n / 2)]!, p95: times[Math.floor(n * 0.95)]!, max: times[n - 1]!, total };
}
const latencies: { db: string; path: string; p50: number; p95: number; max: number; total: number }[] = [];

async function benchDialect(dialect: 'sqlite' | 'postgres', workDir: string) {
  let url: string;
  let drop = async () => {};
  if (dialect === 'sqlite') {
    url = `sqlite:${join(workDir, 'bench.db')}`;
  } else {
    const name = `sipcreds_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(PG_ADMIN);
    u.pathname = `/${name}`;
    url = u.toString();
    drop = async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  try {
    const db = openDb(url);
    const migrated = await migrateToLatest(db);
    if (migrated.kind === 'failed') throw new Error(migrated.message);
    const account = await createAccount(db, 'Bench', 10_000);
    await createUser(db, account.id, 'bench@example.com', 'bench-password-1');
    const { token } = await createApiToken(db, 'bench@example.com', 'bench');
    await db.close();
    const auth = { authorization: `Bearer ${token}` };
    const server = await startServer(url, workDir);
    try {
      // 20,000 rows creating 10 new sets of 2,000.
      const createRows = Array.from({ length: 20_000 }, (_, i) => newRow(`new-${i % 10}`));
      const createCsv = toCsv(createRows);
      const createFile = join(workDir, `create-${dialect}.csv`);
      writeFileSync(createFile, createCsv);
      const floor = dialect === 'sqlite' ? floorSqlite(createFile) : floorPostgres(url, createFile);
      const created = await timedImport(server, auth, createCsv);
      results.push({
        db: dialect,
        what: 'import 20,000 rows: new sets',
        rows: 20_000,
        ms: created.ms,
        peakMb: created.peak,
        floorMs: floor,
      });

      // 20,000 rows rotating the passwords of those entries (TOTP kept).
      const rotateRows = createRows.map((r, i) => ({
        ...r,
        pool: String(created.job.rows[i]!.multi_credential_pool_id),
        entry: String(created.job.rows[i]!.entry_id),
        password: password(),
      }));
      const rotateCsv = toCsv(rotateRows);
      const rotateFile = join(workDir, `rotate-${dialect}.csv`);
      writeFileSync(rotateFile, rotateCsv);
      const rotateFloor = dialect === 'sqlite' ? floorSqlite(rotateFile) : floorPostgres(url, rotateFile);
      const rotated = await timedImport(server, auth, rotateCsv);
      results.push({
        db: dialect,
        what: 'import 20,000 rows: rotate passwords',
        rows: 20_000,
        ms: rotated.ms,
        peakMb: rotated.peak,
        floorMs: rotateFloor,
      });

      // Fill the account to 100,000 entries: 30 more bulk sets, then 4,000 small sets of 5.
      for (let f = 0; f < 3; f++)
        await timedImport(server, auth, toCsv(Array.from({ length: 20_000 }, (_, i) => newRow(`fill${f}-${i % 10}`))));
      await timedImport(
        server,
        auth,
        toCsv(Array.from({ length: 20_000 }, (_, i) => newRow(`small-${Math.floor(i / 5)}`))),
      );

      // Export All of 100,000 entries.
      const before = rssMb(server.proc.pid!);
      resetPeak(server.proc.pid!);
      const t0 = performance.now();
      const res = await fetch(`${server.base}/api/credential-passwords/export.csv`, { headers: auth });
      let bytes = 0;
      let lines = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.byteLength;
        for (const b of chunk) if (b === 10) lines++;
      }
      const exportMs = performance.now() - t0;
      const exportPeak = peakMb(server.proc.pid!);
      results.push({
        db: dialect,
        what: 'Export All: 100,000 entries',
        rows: lines - 1,
        ms: exportMs,
        peakMb: exportPeak,
        note: `${(bytes / 1024 / 1024).toFixed(1)} MB; RSS ${before.toFixed(0)} MB before, peak +${(exportPeak - before).toFixed(0)} MB`,
      });

      // Steady state, as autovacuum reaches it within a minute of a bulk load: statistics current.
      if (dialect === 'postgres') spawnSync('psql', [url, '-qc', 'vacuum analyze']);
      else spawnSync('sqlite3', [url.slice('sqlite:'.length), 'analyze;']);
      for (const path of [
        '/api/credential-passwords/bulk-sets?page=1',
        '/api/credential-passwords/bulk-sets?page=8',
        '/api/credential-passwords/small-set-entries?page=1',
        '/api/credential-passwords/small-set-entries?page=1500',
        '/api/credential-passwords/small-set-entries?username=%2B49*',
        '/api/credential-passwords/small-set-entries?display_name=*office*',
        '/api/credential-passwords/small-set-entries?domain=SIP.EXAMPLE.COM',
        '/api/credential-passwords/small-set-entries?username=1081&domain=*example*',
      ]) {
        latencies.push({
          db: dialect,
          path: path.replace('/api/credential-passwords', ''),
          ...(await latency(server, auth, path)),
        });
      }
    } finally {
      await stopServer(server);
    }
  } finally {
    await drop();
  }
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main() {
  const workDir = mkdtempSync(join(tmpdir(), 'sipcreds-bench-'));
  try {
    for (const d of DIALECTS) await benchDialect(d, workDir);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const lines = [
    '| database | what | rows | wall time | rows/s | peak RSS (server) | floor | × floor |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.db} | ${r.what} | ${fmt(r.rows)} | ${fmt(r.ms)} ms | ${fmt((r.rows / r.ms) * 1000)} | ${fmt(r.peakMb)} MB | ${r.floorMs === undefined ? (r.note ?? '') : `${fmt(r.floorMs)} ms`} | ${r.floorMs === undefined ? '' : fmt(r.ms / r.floorMs, 1)} |`,
    ),
    '',
    '| database | page API (100,000 entries) | total | p50 | p95 | max |',
    '|---|---|---:|---:|---:|---:|',
    ...latencies.map(
      (l) =>
        `| ${l.db} | \`${l.path}\` | ${fmt(l.total)} | ${fmt(l.p50, 1)} ms | ${fmt(l.p95, 1)} ms | ${fmt(l.max, 1)} ms |`,
    ),
  ];
  const table = lines.join('\n');
  process.stdout.write(`\n${table}\n`);
  if (!process.env.BENCH_NO_DOC) {
    const doc = join(ROOT, 'docs/performance.md');
    const text = readFileSync(doc, 'utf8');
    const stamp = `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run bench\` (Node ${process.version}).`;
    const updated = text.replace(
      /<!-- bench:start -->[\s\S]*<!-- bench:end -->/,
      `<!-- bench:start -->\n${stamp}\n\n${table}\n<!-- bench:end -->`,
    );
    writeFileSync(doc, updated);
    process.stdout.write(`\nwrote the results into docs/performance.md\n`);
  }
}

await main();
