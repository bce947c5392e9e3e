import { Command, CommanderError } from 'commander';
import { addAdminCommands } from './commands/admin.commands.ts';
import { addServeCommand } from './commands/serve.command.ts';
import { addKeysCommands } from './commands/keys.commands.ts';
import { addVerifyCommand } from './commands/verify.command.ts';
import { addExportCommand } from './commands/export.command.ts';
import { addImportCommand } from './commands/import.command.ts';
import { fail } from './output.ts';

const program = new Command('sipcreds')
  .description('Keep SIP credentials, rotate their passwords in bulk by CSV, check that they still register.')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

addAdminCommands(program);
addServeCommand(program);
addKeysCommands(program);
addVerifyCommand(program);
addImportCommand(program);
addExportCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  fail(e);
}
