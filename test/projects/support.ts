import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AppContext } from '../../src/http/context.ts';

// Helpers for the projects and registration tests: credential sets seeded straight into the
// database (encrypted the way the app stores them), and a real Kamailio registrar on loopback.

const REPO_ROOT = resolve(import.meta.dirname, '../..');
/** CI clones the repository with shared/ beside it. */
export const REGISTRAR_FIXTURE = resolve(REPO_ROOT, '../shared/sip-registrar');

export interface SeedEntry {
  username: string;
  domain: string;
  password: string;
  authUsername?: string;
  displayName?: string;
}

/** A credential set with entries, in the account; returns the set id and the entry ids in order. */
export async function seedSet(
  ctx: Pick<AppContext, 'db' | 'cipher'>,
  accountId: number,
  name: string,
  entries: SeedEntry[],
): Promise<{ setId: number; entryIds: number[] }> {
  const now = new Date().toISOString();
  const db = ctx.db.kysely;
  const set = await db
    .insertInto('credential_sets')
    .values({ account_id: accountId, name, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  const entryIds: number[] = [];
  for (const e of entries) {
    const row = await db
      .insertInto('credential_entries')
      .values({
        account_id: accountId,
        set_id: set.id,
        username: e.username,
        domain: e.domain,
        display_name: e.displayName ?? e.username,
        auth_username: e.authUsername ?? e.username,
        password_enc: ctx.cipher.encrypt(e.password, accountId),
        totp_enc: null,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    entryIds.push(row.id);
  }
  return { setId: set.id, entryIds };
}

/** Changes an entry's password the way a later import would. */
export async function setPassword(
  ctx: Pick<AppContext, 'db' | 'cipher'>,
  accountId: number,
  entryId: number,
  password: string,
) {
  await ctx.db.kysely
    .updateTable('credential_entries')
    .set({ password_enc: ctx.cipher.encrypt(password, accountId), updated_at: new Date().toISOString() })
    .where('id', '=', entryId)
    .execute();
}

export interface Registrar {
  port: number;
  dir: string;
  stop(): void;
}

/** Fails (never skips) with the command to run when Kamailio is not installed. */
export function assertKamailioInstalled(): void {
  const found = ['/usr/sbin/kamailio', '/usr/bin/kamailio', '/usr/local/sbin/kamailio'].some((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `Kamailio is not installed, and the registration tests need a real registrar: run \`sudo bash ${join(REGISTRAR_FIXTURE, 'install.sh')}\` (npm test does it for you as root).`,
    );
  }
}

/**
 * Starts Kamailio on 127.0.0.1:port (UDP and TCP) with these users (`username domain password`).
 * `env` passes the fixture's switches, such as SIP_DIGEST_ALGORITHM=SHA-256.
 */
export function startRegistrar(
  port: number,
  users: Array<[username: string, domain: string, password: string]>,
  env: Record<string, string> = {},
): Registrar {
  assertKamailioInstalled();
  if (!existsSync(join(REGISTRAR_FIXTURE, 'start.sh'))) {
    throw new Error(
      `The registrar fixture is missing at ${REGISTRAR_FIXTURE}: check out shared/ beside the repository.`,
    );
  }
  const work = mkdtempSync(join(tmpdir(), 'sipcreds-registrar-'));
  const dir = join(work, 'run');
  const usersFile = join(work, 'users.txt');
  writeFileSync(usersFile, users.map((u) => u.join(' ')).join('\n') + '\n');
  try {
    execFileSync('bash', [join(REGISTRAR_FIXTURE, 'start.sh'), dir, String(port), usersFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim();
    throw new Error(`The registrar did not start on port ${port}: ${stderr || (e as Error).message}`, { cause: e });
  }
  return {
    port,
    dir,
    stop() {
      try {
        execFileSync('bash', [join(REGISTRAR_FIXTURE, 'stop.sh'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
  };
}

/** Polls until `check` returns a value, or fails after `timeoutMs` with what it last saw. */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`gave up waiting; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await probe();
  }
  return last;
}
