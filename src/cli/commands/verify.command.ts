import type { Command } from 'commander';
import { AppError } from '../../app/errors.ts';
import { TEST_LIMITS } from '../../app/projects.ts';
import { checkEntry } from '../../app/registration-runs.ts';
import { openRuntime } from '../../app/runtime.ts';
import { loadConfig } from '../../config.ts';
import { fail, print } from '../output.ts';
import { positiveInt } from './admin.commands.ts';

interface VerifyOptions {
  account: number;
  entry: number;
  proxy?: string;
  transport: string;
  timeout?: number;
  json?: boolean;
}

// Exit codes: 0 the registrar accepted (2xx); 1 it refused or did not answer; 2 the check could not
// be made at all (no such entry, a bad option), with one line on stderr.
const REFUSED = 1;
const NOT_CHECKED = 2;

/** `sipcreds verify`: one entry's registration check, for scripts and pipelines. */
export function addVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('register one credential entry (digest authentication), unregister again, print the final SIP status')
    .requiredOption('--account <id>', 'account id', positiveInt('--account'))
    .requiredOption('--entry <id>', 'entry id', positiveInt('--entry'))
    .option('--proxy <host:port>', 'send the REGISTER here instead of to the entry’s domain (RFC 3263)')
    .option('--transport <udp|tcp>', 'transport', 'udp')
    .option('--timeout <seconds>', 'how long to wait for each answer', positiveInt('--timeout'))
    .option('--json', 'print one JSON object: {entry_id, status_code, reason, duration_ms, message}')
    .action(async (opts: VerifyOptions) => {
      try {
        if (opts.transport !== 'udp' && opts.transport !== 'tcp') {
          throw new AppError(
            'invalid',
            'Invalid option',
            `--transport must be udp or tcp; "${opts.transport}" is not.`,
          );
        }
        const { min, max } = TEST_LIMITS.timeoutSeconds;
        if (opts.timeout !== undefined && (opts.timeout < min || opts.timeout > max)) {
          throw new AppError('invalid', 'Invalid option', `--timeout must be from ${min} to ${max} seconds.`);
        }
      } catch (e) {
        fail(e, NOT_CHECKED);
      }
      const rt = await openRuntime(loadConfig());
      let exitCode = 0;
      try {
        const result = await checkEntry(
          rt,
          { accountId: opts.account, userId: null, name: 'cli' },
          {
            entryId: opts.entry,
            proxy: opts.proxy,
            transport: opts.transport as 'udp' | 'tcp',
            timeoutSeconds: opts.timeout,
          },
        );
        const status = result.statusCode === null ? result.reason : `${result.statusCode} ${result.reason}`.trim();
        print(
          opts.json,
          {
            entry_id: result.entryId,
            status_code: result.statusCode,
            reason: result.reason,
            duration_ms: result.durationMs,
            message: result.message,
          },
          `${status} (${result.durationMs} ms): ${result.message}`,
        );
        if (!result.passed) exitCode = REFUSED;
      } catch (e) {
        await rt.close();
        fail(e, NOT_CHECKED);
      }
      await rt.close();
      process.exitCode = exitCode;
    });
}
