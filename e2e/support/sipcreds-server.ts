import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'bin', 'sipcreds.mjs');

export interface RunningServer {
  baseUrl: string;
  email: string;
  password: string;
  accountId: number;
  /** A Bearer API token of the same user: scripts' access, which needs no CSRF or password re-entry. */
  apiToken: string;
  stop: () => Promise<void>;
}

/**
 * Starts `sipcreds serve` on a free port with its own SQLite file and master key, and creates an
 * account with one user through the CLI, as a person setting it up would.
 */
export async function startServer(): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sipcreds-e2e-'));
  const webDir = await buildWeb(join(dir, 'web')).catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite:${join(dir, 'sipcreds.db')}`,
    SIPCREDS_MASTER_KEY: randomBytes(32).toString('base64'),
    SIPCREDS_DATA_DIR: dir,
    SIPCREDS_WEB_DIR: webDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
  };
  const email = 'rotator@example.test';
  const password = `e2e-${randomBytes(9).toString('base64url')}`;

  runCli(env, ['migrate']);
  const account = JSON.parse(runCli(env, ['account', 'create', '--name', 'E2E Telecom', '--json'])) as { id: number };
  runCli(env, ['user', 'create', '--account', String(account.id), '--email', email, '--password-stdin'], password);
  const token = JSON.parse(runCli(env, ['token', 'create', '--email', email, '--name', 'e2e', '--json'])) as {
    token: string;
  };

  const child = spawn(process.execPath, [CLI, 'serve'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(baseUrl, child, () => output);
  } catch (error) {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    baseUrl,
    email,
    password,
    accountId: account.id,
    apiToken: token.token,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function runCli(env: NodeJS.ProcessEnv, args: string[], stdin?: string): string {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env, input: stdin, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`sipcreds ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
  return result.stdout;
}

// Each server serves a build of the web UI from the current source, made into its own folder
// (removed with the server's): web/dist may be stale, or rebuilt by another run half-way through.
async function buildWeb(outDir: string): Promise<string> {
  await build({
    configFile: join(ROOT, 'web', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  if (!existsSync(join(outDir, 'index.html'))) throw new Error(`The web build wrote no index.html to ${outDir}`);
  return outDir;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(baseUrl: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sipcreds serve exited (${child.exitCode}):\n${output()}`);
    try {
      const response = await fetch(`${baseUrl}/readyz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`sipcreds serve did not become ready within 30 s:\n${output()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
