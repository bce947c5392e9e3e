import type { Command } from 'commander';
import { createAccount, createUser } from '../../app/auth.ts';
import { openRuntime, type Runtime } from '../../app/runtime.ts';
import { generatePassword } from '../../app/passwords.ts';
import { loadConfig } from '../../config.ts';
import { countAccounts } from '../../db/accounts.repository.ts';
import { buildApp } from '../../http/build-app.ts';
import { shutdownHooks } from '../../http/lifecycle.ts';

const FIRST_EMAIL = 'admin@sipcreds.local';

/** On an empty database, a first account and user so a new user can log in at once. */
async function bootstrapFirstUser(rt: Runtime): Promise<void> {
  if ((await countAccounts(rt.db.kysely)) > 0) return;
  const account = await createAccount(rt.db, 'My account', 100);
  const password = generatePassword();
  await createUser(rt.db, account.id, FIRST_EMAIL, password);
  // Printed once, to the terminal only (never to the log): it is the only way to the first login.
  process.stdout.write(
    `\nFirst start: created account ${account.id} and a user to log in with.\n  email:    ${FIRST_EMAIL}\n  password: ${password}\nIt is shown only this once; add more users with \`sipcreds user create\`.\n\n`,
  );
}

export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description('migrate, then serve the web UI and the API')
    .action(async () => {
      const config = loadConfig();
      const rt = await openRuntime(config);
      await bootstrapFirstUser(rt);
      const app = await buildApp(rt);
      await app.listen({ host: config.host, port: config.port });
      process.stdout.write(`sipcreds is serving on http://${config.host}:${config.port}\n`);

      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        app.log.info({ signal }, 'shutting down: no new requests, finishing running work');
        app.drainState.draining = true;
        const deadline = Date.now() + config.shutdownGraceMs;
        await app.close();
        for (const hook of shutdownHooks) await hook(deadline);
        await rt.close();
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}
