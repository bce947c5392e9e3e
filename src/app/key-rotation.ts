import type { Db } from '../db/connect.ts';
import { sql } from 'kysely';
import type { SecretCipher } from '../crypto/secret-cipher.ts';

/**
 * Re-encrypts every secret not yet under the active key, in small batches of short
 * transactions, so servers keep reading (old ciphertexts stay readable until replaced).
 * Returns how many entries were rewritten.
 */
export async function reencryptAll(db: Db, cipher: SecretCipher, batchSize = 500): Promise<number> {
  const active = cipher.activeKeyId;
  const marker = `v1.${active}.%`;
  let rewritten = 0;
  let afterId = 0;
  for (;;) {
    const batch = await db.kysely
      .selectFrom('credential_entries')
      .select(['id', 'account_id', 'password_enc', 'totp_enc'])
      .where('id', '>', afterId)
      .where((eb) =>
        eb.or([
          eb('password_enc', 'not like', marker),
          eb.and([eb('totp_enc', 'is not', null), eb('totp_enc', 'not like', marker)]),
        ]),
      )
      .orderBy('id')
      .limit(batchSize)
      .execute();
    if (batch.length === 0) return rewritten;
    await db.kysely.transaction().execute(async (trx) => {
      for (const row of batch) {
        const password = cipher.encrypt(cipher.decrypt(row.password_enc, row.account_id), row.account_id);
        const totp =
          row.totp_enc === null ? null : cipher.encrypt(cipher.decrypt(row.totp_enc, row.account_id), row.account_id);
        // Only replace what we read: a concurrent write since then wins and is already fresh.
        await trx
          .updateTable('credential_entries')
          .set({ password_enc: password, totp_enc: totp })
          .where('id', '=', row.id)
          .where('password_enc', '=', row.password_enc)
          .execute();
      }
    });
    rewritten += batch.length;
    afterId = batch[batch.length - 1]!.id;
  }
}

/** Counts secrets per key id, to show progress and to know when old keys can go. */
export async function countByKey(db: Db): Promise<Record<string, number>> {
  // "v1.<8 hex key id>.…": the key id is characters 4 to 11, on both backends; counted in SQL.
  const counts: Record<string, number> = {};
  for (const column of ['password_enc', 'totp_enc'] as const) {
    const kid = sql<string>`substr(${sql.ref(column)}, 4, 8)`;
    const rows = await db.kysely
      .selectFrom('credential_entries')
      .select([kid.as('kid'), (eb) => eb.fn.countAll<number>().as('n')])
      .where(column, 'is not', null)
      .groupBy(kid)
      .execute();
    for (const r of rows) counts[r.kid] = (counts[r.kid] ?? 0) + Number(r.n);
  }
  return counts;
}
