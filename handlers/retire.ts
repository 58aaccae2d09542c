import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { RotationConfig } from '../src/config/load.js';
import type { RetirementDeps } from '../src/retirement/deps.js';
import { retirementColdStart } from '../src/retirement/runtime.js';
import { loadStage } from '../src/runtime/environment.js';
import { retireSweep } from '../src/retirement/sweep.js';

const logger = new Logger({ serviceName: 'kms-rotator' });

let runtime: { deps: RetirementDeps; config: RotationConfig } | undefined;

/**
 * Entry point of the `retire` function, on settings.retireSchedule: files disable and deletion
 * requests, sends reminders, expires and withdraws requests. It never acts on a key.
 */
export async function handler(_event: unknown, context?: Context) {
  runtime ??= retirementColdStart(logger, loadStage());
  if (context) logger.addContext(context);
  return retireSweep(runtime.deps, runtime.config);
}
