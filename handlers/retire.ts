import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { RotationConfig } from '../src/config/load.js';
import type { RetirementDeps } from '../src/retirement/deps.js';
import { parseRetireEvent } from '../src/retirement/retire-event.js';
import { retirementColdStart } from '../src/retirement/runtime.js';
import { loadStage } from '../src/runtime/environment.js';
import { retireSweep } from '../src/retirement/sweep.js';

const logger = new Logger({ serviceName: 'kms-rotator' });

let runtime: { deps: RetirementDeps; config: RotationConfig } | undefined;

/**
 * Entry point of the `retire` function, on settings.retireSchedule: files disable and deletion
 * requests, sends reminders, expires and withdraws requests. It never acts on a key. Any event
 * but an EventBridge `Scheduled Event` is rejected with InvalidRetireEventError before any AWS call.
 */
export async function handler(event: unknown, context?: Context) {
  if (context) logger.addContext(context);
  try {
    parseRetireEvent(event);
  } catch (error) {
    logger.error('Retire event rejected; no sweep ran', { error: error instanceof Error ? error.message : String(error) });
    throw error;
  }
  runtime ??= retirementColdStart(logger, loadStage());
  return retireSweep(runtime.deps, runtime.config);
}
