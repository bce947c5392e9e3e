import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/app/auth.ts';
import { parseMasterKey, SecretCipher } from '../../src/crypto/secret-cipher.ts';
import { TEST_MASTER_KEY } from '../support/app.ts';
import { runCli, type CliResult } from '../support/cli.ts';
import { createTestDb, type TestDb } from '../support/databases.ts';
import { seedSet, startRegistrar, type Registrar } from './support.ts';

// `sipcreds verify` as api.md fixes it, run as a child process against a real registrar (Kamailio):
// it prints the final SIP status and reason; exit 0 on a 2xx, 1 when refused or no answer.

const PORT = 15091;
const NOBODY_PORT = 15097;
const PASSWORD = 'carol-Rotated#2026';

let registrar: Registrar;
let testDb: TestDb;
let accountId: number;
let otherAccountId: number;
let entry: { right: number; wrong: number; unknown: number; byDomain: number };

function verify(...args: string[]): Promise<CliResult> {
  return runCli({ DATABASE_URL: testDb.url, SIPCREDS_MASTER_KEY: TEST_MASTER_KEY }, ['verify', ...args]);
}

beforeAll(async () => {
  registrar = startRegistrar(PORT, [['carol', '127.0.0.1', PASSWORD]]);
  testDb = await createTestDb('sqlite');
  const cipher = new SecretCipher([parseMasterKey(TEST_MASTER_KEY, 'test key')]);
  accountId = (await createAccount(testDb.db, 'CLI corp')).id;
  otherAccountId = (await createAccount(testDb.db, 'Other corp')).id;
  const { entryIds } = await seedSet({ db: testDb.db, cipher }, accountId, 'Carol', [
    { username: 'carol', domain: '127.0.0.1', password: PASSWORD },
    { username: 'carol', domain: '127.0.0.1', password: 'carol-old-password' },
    { username: 'nobody-here', domain: '127.0.0.1', password: PASSWORD },
    { username: 'carol', domain: `127.0.0.1:${PORT}`, password: PASSWORD },
  ]);
  entry = { right: entryIds[0]!, wrong: entryIds[1]!, unknown: entryIds[2]!, byDomain: entryIds[3]! };
});
afterAll(async () => {
  registrar?.stop();
  await testDb?.drop();
});

// Each child process starts tsx (a few seconds on a busy machine): independent calls run side by side.
describe('sipcreds verify against Kamailio', { timeout: 120_000 }, () => {
  const account = () => ['--account', String(accountId)];
  const proxy = ['--proxy', `127.0.0.1:${PORT}`];

  it('a right password: prints 200 OK and exits 0, over UDP and TCP', async () => {
    const [udp, tcp] = await Promise.all([
      verify(...account(), '--entry', String(entry.right), ...proxy),
      verify(...account(), '--entry', String(entry.right), ...proxy, '--transport', 'tcp', '--json'),
    ]);
    expect(udp.code, udp.stderr).toBe(0);
    expect(udp.stdout).toMatch(/^200 OK \(\d+ ms\): Registration succeeded/);
    expect(tcp.code, tcp.stderr).toBe(0);
    expect(JSON.parse(tcp.stdout)).toEqual({
      entry_id: entry.right,
      status_code: 200,
      reason: 'OK',
      duration_ms: expect.any(Number),
      message: 'Registration succeeded (200 OK) and the binding was removed again.',
    });
  });

  it('a wrong password and an unknown user: prints 403 Forbidden and exits 1', async () => {
    const cases = [entry.wrong, entry.unknown].flatMap((id) => ['udp', 'tcp'].map((transport) => ({ id, transport })));
    const [json, ...results] = await Promise.all([
      verify(...account(), '--entry', String(entry.wrong), ...proxy, '--json'),
      ...cases.map(({ id, transport }) =>
        verify(...account(), '--entry', String(id), ...proxy, '--transport', transport),
      ),
    ]);
    results.forEach((res, i) => {
      expect(res!.code, JSON.stringify(cases[i])).toBe(1);
      expect(res!.stdout).toMatch(/^403 Forbidden \(\d+ ms\): The registrar refused the credentials/);
    });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ entry_id: entry.wrong, status_code: 403, reason: 'Forbidden' });
  });

  it('without --proxy the entry’s domain is the registrar (RFC 3263)', async () => {
    const res = await verify(...account(), '--entry', String(entry.byDomain), '--transport', 'tcp');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^200 OK/);
  });

  it('no answer exits 1 and says what to check', async () => {
    const res = await verify(
      ...account(),
      '--entry',
      String(entry.right),
      '--proxy',
      `127.0.0.1:${NOBODY_PORT}`,
      '--json',
    );
    expect(res.code).toBe(1);
    expect(JSON.parse(res.stdout)).toMatchObject({ status_code: null, reason: 'Connection refused' });
  });

  it('an entry of another account, or a bad option: one line on stderr, and nothing printed on stdout', async () => {
    const [foreign, badTransport, badProxy] = await Promise.all([
      verify('--account', String(otherAccountId), '--entry', String(entry.right), ...proxy),
      verify(...account(), '--entry', String(entry.right), '--transport', 'sctp'),
      verify(...account(), '--entry', String(entry.right), '--proxy', 'a b'),
    ]);
    expect(foreign.code).toBe(2);
    expect(foreign.stdout).toBe('');
    expect(foreign.stderr).toBe(`sipcreds: There is no credential entry ${entry.right} in your account.\n`);
    expect(badTransport.code).toBe(2);
    expect(badTransport.stderr).toMatch(/--transport must be udp or tcp/);
    expect(badProxy.code).toBe(2);
    expect(badProxy.stderr.trim().split('\n')).toHaveLength(1);
    for (const r of [foreign, badTransport, badProxy]) expect(r.stderr).not.toContain(PASSWORD);
  });
});
