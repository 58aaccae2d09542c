import { randomUUID } from 'node:crypto';
import { aliasesInRegion, type RotationConfig } from '../config/load.js';
import type { RotationDeps } from './deps.js';
import { InvalidRequestError, parseInvokeRequest } from './invoke-request.js';
import type { AliasOutcome } from './outcome.js';
import { rotateAlias } from './rotate-alias.js';
import { sweep, type SweepResult } from './sweep.js';

/**
 * Runs one invoke of the rotate function: a schedule's sweep, or a person's rotation of one alias
 * now. Throws InvalidRequestError, before any AWS call, for an event it does not accept.
 */
export async function handleRotateInvoke(
  deps: RotationDeps,
  config: RotationConfig,
  event: unknown,
  runId: string = randomUUID(),
): Promise<SweepResult | AliasOutcome> {
  const request = parseInvokeRequest(event);
  if (request.kind === 'sweep') return sweep(deps, config, runId);

  const managed = aliasesInRegion(config, deps.region).find((entry) => entry.alias === request.alias);
  if (!managed) {
    throw new InvalidRequestError(
      `The alias ${request.alias} is not managed in ${deps.region}: only aliases listed for this Region in rotation.config.yml can be rotated`,
    );
  }
  deps.logger.info('Rotation requested by a person', { alias: managed.alias, region: managed.region, reason: request.reason, runId });
  return rotateAlias(deps, managed, { runId, trigger: 'manual', reason: request.reason, mayCreate: true });
}
