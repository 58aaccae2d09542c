/**
 * rotate, rollback, pause and resume: a person's requests to the rotate function. Each carries an
 * identity proof signed with the caller's credentials and bound to a fresh request id.
 * Against AWS they invoke the deployed function; with --endpoint they run the core in process.
 */
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { handleRotateInvoke, type InvokeResult } from '../../src/rotation/handle-invoke.js';
import { verbOf } from '../../src/rotation/identity.js';
import { InvalidRequestError, parseInvokeRequest, type PersonInvokeRequest } from '../../src/rotation/invoke-request.js';
import type { AliasOutcome } from '../../src/rotation/outcome.js';
import type { PauseResult } from '../../src/rotation/pause.js';
import { addCommonOptions, resolveContext, type CliContext, type CommonOptions } from '../context.js';
import { loadConfig, openCore } from '../core.js';
import { CliError, EXIT } from '../errors.js';
import { signProof } from '../proof.js';
import { invokeRotateFunction } from '../lambda.js';
import { formatTable, printJson, printLine } from '../output.js';

interface PersonOptions extends CommonOptions {
  reason?: string;
  function?: string;
  config: string;
}

/** Outcomes after which each command exits 0; any other outcome exits 1. */
const SUCCESS: Record<string, string[]> = {
  rotate: ['rotated', 'published', 'repaired'],
  rollback: ['rolled-back'],
  pause: ['paused'],
  resume: ['resumed'],
};

export function personCommands(): Command[] {
  const rotate = addPersonOptions(new Command('rotate'))
    .description('rotate one alias now: create a successor key, test it and point the alias at it')
    .argument('<alias>', 'managed alias, such as alias/payments')
    .requiredOption('--reason <text>', 'why, recorded with the rotation (at most 1000 characters)')
    .option('--force', 'rotate even while the alias or the Region is paused; needs an identity proof')
    .option('--skip-overlap', 'promote an asymmetric or HMAC successor without waiting out the overlap window (a compromised key)')
    .action((alias: string, options: PersonOptions & { force?: boolean; skipOverlap?: boolean }) =>
      runPersonRequest('rotate', options, { alias, reason: options.reason, ...(options.force ? { force: true } : {}), ...(options.skipOverlap ? { skipOverlap: true } : {}) }),
    );

  const rollback = addPersonOptions(new Command('rollback'))
    .description('point the alias back at its previous key, if that key is enabled, and pause the alias')
    .argument('<alias>', 'managed alias')
    .requiredOption('--reason <text>', 'why, recorded with the rollback')
    .action((alias: string, options: PersonOptions) => runPersonRequest('rollback', options, { alias, reason: options.reason, rollback: true }));

  const pause = addPersonOptions(new Command('pause'))
    .description('stop sweeps from rotating one alias, or with --all every alias of the Region')
    .argument('[alias]', 'managed alias; omit with --all')
    .option('--all', 'pause every alias of the Region')
    .requiredOption('--reason <text>', 'why, recorded with the pause')
    .action((alias: string | undefined, options: PersonOptions & { all?: boolean }) =>
      runPersonRequest('pause', options, { ...target('pause', alias, options.all), reason: options.reason, pause: true }),
    );

  const resume = addPersonOptions(new Command('resume'))
    .description('let sweeps rotate a paused alias again, or with --all clear the Region\'s pause')
    .argument('[alias]', 'managed alias; omit with --all')
    .option('--all', 'clear the pause of the whole Region (paused aliases stay paused)')
    .option('--reason <text>', 'why, recorded with the resume')
    .action((alias: string | undefined, options: PersonOptions & { all?: boolean }) =>
      runPersonRequest('resume', options, { ...target('resume', alias, options.all), ...(options.reason !== undefined ? { reason: options.reason } : {}), resume: true }),
    );

  return [rotate, rollback, pause, resume];
}

function addPersonOptions(command: Command): Command {
  return addCommonOptions(command)
    .option('--function <name>', 'deployed rotate function to invoke without --endpoint (default: kms-rotator-<stage>-rotate)')
    .option('--config <file>', 'rotation config, used with --endpoint', 'rotation.config.yml');
}

function target(verb: string, alias: string | undefined, all: boolean | undefined): { alias?: string } {
  if (alias !== undefined && all) throw new CliError(`Give an alias or --all to ${verb}, not both`, EXIT.usage);
  if (alias === undefined && !all) throw new CliError(`Missing alias: name the alias to ${verb}, or pass --all for every alias of the Region`, EXIT.usage);
  return alias === undefined ? {} : { alias };
}

async function runPersonRequest(command: keyof typeof SUCCESS, options: PersonOptions, event: Record<string, unknown>): Promise<void> {
  const context = await resolveContext(options);
  const request = validate(event);
  const requestId = randomUUID();
  const identityProof = await signProof(context, { requestId, verb: verbOf(request), alias: request.alias });
  const payload = { ...event, requestId, identityProof };

  let result: unknown;
  if (context.endpoint) {
    const config = loadConfig(options.config);
    const core = openCore(context);
    try {
      result = await handleRotateInvoke(core.deps, config, payload);
    } catch (error) {
      if (error instanceof InvalidRequestError) throw new CliError(error.message, EXIT.usage, { cause: error });
      throw error;
    } finally {
      core.close();
    }
  } else {
    result = await invokeRotateFunction(context, options.function ?? `kms-rotator-${context.stage}-rotate`, payload);
  }
  report(command, context, result as InvokeResult);
}

/** Checks the event as the function will, so a bad request fails before anything is signed or sent. */
function validate(event: Record<string, unknown>): PersonInvokeRequest {
  try {
    return parseInvokeRequest(event) as PersonInvokeRequest;
  } catch (error) {
    if (error instanceof InvalidRequestError) throw new CliError(error.message.replace(/field reason/g, '--reason'), EXIT.usage, { cause: error });
    throw error;
  }
}


function report(command: keyof typeof SUCCESS, context: CliContext, result: InvokeResult): void {
  const outcome = result as Partial<AliasOutcome & PauseResult>;
  // The core words its messages for the invoke event; on the command line the field is an option.
  if (outcome.message) outcome.message = outcome.message.replace(/\bpass force: true/gi, (match) => `${match[0]}ass --force`);
  if (context.json) {
    printJson(result);
  } else {
    printLine(
      formatTable(
        ['alias', 'region', 'outcome', 'current key', 'previous key', 'message'],
        [[outcome.alias, outcome.region, outcome.outcome, outcome.currentKeyId, outcome.previousKeyId, outcome.message]],
      ),
    );
  }
  if (!SUCCESS[command]?.includes(String(outcome.outcome))) {
    throw new CliError(`${command} ${outcome.alias ?? ''} ended with outcome ${String(outcome.outcome)}: ${outcome.message ?? 'see the output above'}`, EXIT.failed);
  }
}
