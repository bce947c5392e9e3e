import type { Command } from 'commander';
import { bootstrapFirstUser } from '../../app/bootstrap.ts';
import { openRuntime } from '../../app/runtime.ts';
import { loadConfig } from '../../config.ts';
import { buildApp } from '../../http/build-app.ts';

export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description('migrate, then serve the web UI and the API')
    .action(async () => {
      const config = loadConfig();
      const rt = await openRuntime(config);
      const first = await bootstrapFirstUser(rt.db);
      if (first) {
        // Printed once, to the terminal only (never to the log): it is the only way to the first login.
        process.stdout.write(
          `\nFirst start: created account ${first.account.id} and a user to log in with.\n  email:    ${first.email}\n  password: ${first.password}\nIt is shown only this once; add more users with \`sipcreds user create\`.\n\n`,
        );
      }
      const app = await buildApp(rt);
      await app.listen({ host: config.host, port: config.port });
      process.stdout.write(`sipcreds is serving on http://${config.host}:${config.port}\n`);

      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        app.log.info({ signal }, 'shutting down: no new requests, finishing running work');
        // Draining: close() first lets running imports finish or roll back (the app's preClose hook).
        app.drainState.draining = true;
        await app.close();
        await rt.close();
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}
