import { Command } from 'commander';
import { auditCommand } from './commands/audit.js';
import { personCommands } from './commands/person.js';
import { planCommand } from './commands/plan.js';
import { requestsCommand } from './commands/requests.js';
import { statusCommand } from './commands/status.js';

/** Builds the kms-rotator command with every subcommand. */
export function buildProgram(): Command {
  const program = new Command('kms-rotator')
    .description('Operate kms-rotator: plan, rotate, roll back, pause and resume aliases, follow their keys, handle retirement requests and replay CloudTrail logs.')
    .enablePositionalOptions();
  program.addCommand(planCommand());
  for (const command of personCommands()) program.addCommand(command);
  program.addCommand(statusCommand());
  program.addCommand(requestsCommand());
  program.addCommand(auditCommand());
  return program;
}
