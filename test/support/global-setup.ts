import { assertPostgresReachable } from './databases.ts';

// Fails the whole run at once, with a sentence, when PostgreSQL is missing: storage tests never skip.
export default async function setup(): Promise<void> {
  await assertPostgresReachable();
}
