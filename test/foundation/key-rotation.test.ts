import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCipher } from '../../src/crypto/keyring.ts';
import { SecretCipher } from '../../src/crypto/secret-cipher.ts';
import { openDb } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { runCli } from '../support/cli.ts';
import { createTestDb, DIALECTS, type TestDb } from '../support/databases.ts';

const cli = runCli;

const now = new Date().toISOString();

async function seedSecrets(url: string, cipher: SecretCipher, n: number): Promise<Map<number, [string, string]>> {
  const db = openDb(url);
  try {
    const acc = await db.kysely
      .insertInto('accounts')
      .values({ name: 'A', max_sets: 10, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const set = await db.kysely
      .insertInto('credential_sets')
      .values({ account_id: acc.id, name: 'S', created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const plain = new Map<number, [string, string]>();
    for (let i = 0; i < n; i++) {
      const pw = `UniquePassword-${randomBytes(6).toString('hex')}`;
      const totp = `JBSWY3DPEHPK3PXP${randomBytes(4)
        .toString('hex')
        .toUpperCase()
        .replace(/[^A-Z2-7]/g, 'Q')}`;
      const row = await db.kysely
        .insertInto('credential_entries')
        .values({
          account_id: acc.id,
          set_id: set.id,
          username: `10${i}`,
          domain: 'sip.example.com',
          display_name: `Ext ${i}`,
          auth_username: `10${i}`,
          password_enc: cipher.encrypt(pw, acc.id),
          totp_enc: cipher.encrypt(totp, acc.id),
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      plain.set(row.id, [pw, totp]);
    }
    return plain;
  } finally {
    await db.close();
  }
}

describe('secrets at rest in the database', () => {
  it('no password or TOTP secret appears in the SQLite database file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipcreds-rest-'));
    const url = `sqlite:${join(dir, 'db.sqlite')}`;
    const db = openDb(url);
    await migrateToLatest(db);
    await db.close();
    const cipher = createCipher({ masterKey: undefined, masterKeyFile: join(dir, 'master.key') });
    const plain = await seedSecrets(url, cipher, 20);
    const bytes = Buffer.concat(
      ['db.sqlite', 'db.sqlite-wal'].map((f) => {
        try {
          return readFileSync(join(dir, f));
        } catch {
          return Buffer.alloc(0);
        }
      }),
    );
    expect(bytes.length).toBeGreaterThan(0);
    // The seeded usernames are there in clear, which proves we read the right bytes…
    expect(bytes.includes(Buffer.from('sip.example.com'))).toBe(true);
    // …and no secret is.
    for (const [pw, totp] of plain.values()) {
      expect(bytes.includes(Buffer.from(pw))).toBe(false);
      expect(bytes.includes(Buffer.from(totp))).toBe(false);
    }
    rmSync(dir, { recursive: true, force: true });
  });
});

describe.each(DIALECTS)('sipcreds keys rotate on %s', (dialect) => {
  let d: TestDb;
  const dir = mkdtempSync(join(tmpdir(), 'sipcreds-rot-'));
  afterAll(async () => {
    await d?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('re-encrypts every secret under a new key, and everything still decrypts', async () => {
    d = await createTestDb(dialect);
    const src = { masterKey: undefined, masterKeyFile: join(dir, 'master.key') };
    const before = createCipher(src);
    const oldId = before.activeKeyId;
    const plain = await seedSecrets(d.url, before, 30);

    const r = await cli({ DATABASE_URL: d.url, SIPCREDS_MASTER_KEY_FILE: src.masterKeyFile, SIPCREDS_MASTER_KEY: '' }, [
      'keys',
      'rotate',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.new_key_id).not.toBe(oldId);
    expect(out.rewritten).toBe(30);
    expect(out.secrets_by_key).toEqual({ [out.new_key_id]: 60 });

    const after = createCipher(src);
    expect(after.activeKeyId).toBe(out.new_key_id);
    const rows = await d.db.kysely
      .selectFrom('credential_entries')
      .select(['id', 'account_id', 'password_enc', 'totp_enc'])
      .execute();
    for (const row of rows) {
      expect(SecretCipher.keyIdOfCiphertext(row.password_enc)).toBe(out.new_key_id);
      expect(after.decrypt(row.password_enc, row.account_id)).toBe(plain.get(row.id)![0]);
      expect(after.decrypt(row.totp_enc!, row.account_id)).toBe(plain.get(row.id)![1]);
    }
    // A server started before the rotation still reads the new ciphertexts (it reloads the key file).
    expect(before.decrypt(rows[0]!.password_enc, rows[0]!.account_id)).toBe(plain.get(rows[0]!.id)![0]);
  });
});
