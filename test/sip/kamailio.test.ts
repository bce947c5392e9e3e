// Registration checks against a real registrar: Kamailio from ../shared/sip-registrar, on loopback.
// Without Kamailio these tests fail (they do not skip): the SIP client is only proven against a real stack.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerCheck, type RegisterCheckOptions } from '../../src/sip/register.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE = path.resolve(repoRoot, '../shared/sip-registrar');
const MD5_PORT = 15080;
const SHA256_PORT = 15081;
const ODD_PASSWORD = 'p#ss:w\\rd"é';

const workDir = mkdtempSync(path.join(tmpdir(), 'sipcreds-kamailio-'));
const md5Dir = path.join(workDir, 'md5');
const sha256Dir = path.join(workDir, 'sha256');

function kamailioInstalled(): boolean {
  try {
    execFileSync('bash', ['-c', 'command -v kamailio || test -x /usr/sbin/kamailio'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function startRegistrar(dir: string, port: number, usersFile: string, env: Record<string, string> = {}): void {
  execFileSync('bash', [path.join(FIXTURE, 'start.sh'), dir, String(port), usersFile], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function stopRegistrar(dir: string): void {
  if (existsSync(dir)) execFileSync('bash', [path.join(FIXTURE, 'stop.sh'), dir], { stdio: 'ignore' });
}

beforeAll(() => {
  if (!existsSync(path.join(FIXTURE, 'start.sh'))) {
    throw new Error(`The SIP registrar fixture is missing: expected ${FIXTURE} (shared/ beside the repository).`);
  }
  if (!kamailioInstalled()) {
    throw new Error(
      `Kamailio is not installed, so the registration tests cannot run: run \`bash ${path.join(FIXTURE, 'install.sh')}\` (root or sudo) and run the tests again.`,
    );
  }
  const usersFile = path.join(workDir, 'users.txt');
  writeFileSync(
    usersFile,
    ['alice 127.0.0.1 alice-secret', 'bob 127.0.0.1 bob-secret', `dave 127.0.0.1 ${ODD_PASSWORD}`, ''].join('\n'),
  );
  startRegistrar(md5Dir, MD5_PORT, usersFile);
  startRegistrar(sha256Dir, SHA256_PORT, usersFile, { SIP_DIGEST_ALGORITHM: 'SHA-256' });
});

afterAll(() => {
  stopRegistrar(md5Dir);
  stopRegistrar(sha256Dir);
  rmSync(workDir, { recursive: true, force: true });
});

function check(port: number, overrides: Partial<RegisterCheckOptions> = {}) {
  return registerCheck({
    username: 'alice',
    domain: '127.0.0.1',
    authUsername: 'alice',
    password: 'alice-secret',
    target: { host: '127.0.0.1', port, transport: 'udp' },
    timeoutMs: 5000,
    ...overrides,
  });
}

/** The bindings the registrar holds for an AoR, through its JSON-RPC `ul.lookup`. */
async function bindings(port: number, aor: string): Promise<string[]> {
  const answer = await fetch(`http://127.0.0.1:${port}/RPC`, {
    method: 'POST',
    body: JSON.stringify({ jsonrpc: '2.0', method: 'ul.lookup', params: ['location', aor], id: 1 }),
  });
  const json = (await answer.json()) as {
    result?: { Contacts?: Array<{ Contact: { Address: string } }> };
    error?: { message: string };
  };
  if (json.error) {
    expect(json.error.message).toMatch(/not found/i); // anything else is a broken fixture, not "no bindings"
    return [];
  }
  return (json.result?.Contacts ?? []).map((c) => c.Contact.Address);
}

function logLines(dir: string): string[] {
  return readFileSync(path.join(dir, 'kamailio.log'), 'utf8').split('\n');
}

describe('registration check against Kamailio', () => {
  it('ul.lookup sees a binding that is left in place (control for the unregister checks)', async () => {
    execFileSync('node', [
      path.join(FIXTURE, 'check-register.mjs'),
      '--port',
      String(MD5_PORT),
      '--user',
      'bob',
      '--password',
      'bob-secret',
      '--quiet',
    ]);
    expect(await bindings(MD5_PORT, 'bob@127.0.0.1')).toHaveLength(1);
    await fetch(`http://127.0.0.1:${MD5_PORT}/RPC`, {
      method: 'POST',
      body: JSON.stringify({ jsonrpc: '2.0', method: 'ul.rm', params: ['location', 'bob@127.0.0.1'], id: 1 }),
    });
    expect(await bindings(MD5_PORT, 'bob@127.0.0.1')).toEqual([]);
  });

  it.each(['udp', 'tcp'] as const)(
    'the right password registers over %s and the binding is removed again',
    async (transport) => {
      const outcome = await check(MD5_PORT, { target: { host: '127.0.0.1', port: MD5_PORT, transport } });
      expect(outcome).toMatchObject({
        kind: 'registered',
        statusCode: 200,
        reason: 'OK',
        message: 'Registration succeeded (200 OK) and the binding was removed again.',
      });
      expect(outcome.durationMs).toBeLessThan(2000);
      expect(await bindings(MD5_PORT, 'alice@127.0.0.1')).toEqual([]);
    },
  );

  it('a wrong password is refused with 403 and a sentence about the credentials', async () => {
    const outcome = await check(MD5_PORT, { password: 'wrong' });
    expect(outcome).toMatchObject({
      kind: 'rejected',
      statusCode: 403,
      reason: 'Forbidden',
      message: 'The registrar refused the credentials (403 Forbidden): check the password and auth username.',
    });
  });

  it('an unknown user is refused with 403', async () => {
    const outcome = await check(MD5_PORT, { username: 'mallory', authUsername: 'mallory', password: 'x' });
    expect(outcome).toMatchObject({ kind: 'rejected', statusCode: 403 });
  });

  it('registers against a SHA-256 registrar (RFC 8760) and removes the binding', async () => {
    const outcome = await check(SHA256_PORT, { target: { host: '127.0.0.1', port: SHA256_PORT, transport: 'udp' } });
    expect(outcome).toMatchObject({ kind: 'registered', statusCode: 200 });
    expect(await bindings(SHA256_PORT, 'alice@127.0.0.1')).toEqual([]);
  });

  it('a password with #, :, backslash, quote and non-ASCII registers', async () => {
    const outcome = await check(MD5_PORT, { username: 'dave', authUsername: 'dave', password: ODD_PASSWORD });
    expect(outcome.kind).toBe('registered');
    expect(await bindings(MD5_PORT, 'dave@127.0.0.1')).toEqual([]);
  });

  it('sends the auth username, not the username, in the digest', async () => {
    // This registrar insists that the digest user equals the To user, so bob's valid credentials for
    // alice's AoR get 403; its log tells "user mismatch" (-8) apart from a wrong password (-2).
    const outcome = await check(MD5_PORT, { authUsername: 'bob', password: 'bob-secret' });
    expect(outcome).toMatchObject({ kind: 'rejected', statusCode: 403 });
    expect(
      logLines(md5Dir).some((line) => /REGISTER sip:alice@127\.0\.0\.1 .*auth_check=-8 user=bob$/.test(line)),
    ).toBe(true);
  });
});
