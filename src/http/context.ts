import type { Config } from '../config.ts';
import type { Db } from '../db/connect.ts';
import type { SecretCipher } from '../crypto/secret-cipher.ts';
import type { Principal } from '../db/accounts.repository.ts';

/** What every route needs; built once per process. */
export interface AppContext {
  readonly config: Config;
  readonly db: Db;
  readonly cipher: SecretCipher;
  /** Identifies this process as the owner of the jobs it runs (for finding orphans). */
  readonly instanceId: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set when the server is shutting down: /readyz answers 503 so load balancers move away. */
    drainState: { draining: boolean };
  }
  interface FastifyRequest {
    principal: (Principal & { via: 'session' | 'token' }) | null;
  }
}
