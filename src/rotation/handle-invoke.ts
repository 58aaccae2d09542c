import { randomUUID } from 'node:crypto';
import { aliasesInRegion, type ManagedAlias, type RotationConfig } from '../config/load.js';
import { abandonCreate } from './abandon-create.js';
import type { PauseRecord } from '../state/records.js';
import type { RotationDeps } from './deps.js';
import { planSweep, type DryRunResult } from './dry-run.js';
import { callerOf } from './identity.js';
import { InvalidRequestError, parseInvokeRequest } from './invoke-request.js';
import { rotateNative } from './native.js';
import { OUTCOMES, type AliasOutcome } from './outcome.js';
import { describeAwsError } from './errors.js';
import { failed, report } from './report.js';
import { setPause, type PauseResult } from './pause.js';
import { rollbackAlias } from './rollback.js';
import { rotateAlias } from './rotate-alias.js';
import { sweep, type SweepResult } from './sweep.js';

export type InvokeResult = SweepResult | DryRunResult | AliasOutcome | PauseResult;

/**
 * Runs one invoke of the rotate function: a schedule's sweep, an alias a sweep handed over, a dry
 * run, or a person's rotation, rollback, pause or resume. Throws InvalidRequestError, before any
 * change, for an event it does not accept or a person's request whose identity proof does not hold.
 */
export async function handleRotateInvoke(
  deps: RotationDeps,
  config: RotationConfig,
  event: unknown,
  runId: string = randomUUID(),
): Promise<InvokeResult> {
  const request = parseInvokeRequest(event);
  if (request.kind === 'sweep') return sweep(deps, config, runId);
  if (request.kind === 'dry-run') return planSweep(deps, config);
  if (request.kind === 'fan-out') return rotateHandedOver(deps, config, request.alias, request.sweepRunId, runId);

  const managed = request.alias === undefined ? undefined : managedAlias(deps, config, request.alias);
  const requestedBy = await callerOf(deps, request);
  deps.logger.info('Request from a person', { kind: request.kind, alias: request.alias, region: deps.region, reason: request.reason, requestedBy, runId });

  switch (request.kind) {
    case 'pause':
    case 'resume':
      return setPause(deps, { managed, paused: request.kind === 'pause', reason: request.reason, requestedBy });
    case 'rollback':
      return rollbackAlias(deps, managed as ManagedAlias, { runId, reason: request.reason, requestedBy });
    case 'abandon-create':
      return abandonCreate(deps, managed as ManagedAlias, { runId, reason: request.reason, requestedBy });
    case 'rotate': {
      const target = managed as ManagedAlias;
      const globalPause = request.force ? undefined : await deps.table.getGlobalPause(deps.region);
      if (globalPause) {
        return { alias: target.alias, region: target.region, outcome: 'paused', message: `Every alias of ${deps.region} is paused: ${globalPause.reason}. Pass force: true to rotate anyway.` };
      }
      const cooldown = await cooldownRejection(deps, config, target);
      if (cooldown) return cooldown;
      const rotation = { runId, trigger: 'manual' as const, reason: request.reason, mayCreate: true, force: request.force, skipOverlap: request.skipOverlap, requestedBy };
      return target.strategy === 'native' ? rotateNative(deps, target, rotation) : rotateAlias(deps, config, target, rotation);
    }
  }
}

/**
 * Rotates one alias a sweep handed over, as the sweep would have. It decides again, with fresh
 * reads, whether the alias is due, so a duplicate or late event rotates nothing twice.
 */
async function rotateHandedOver(deps: RotationDeps, config: RotationConfig, alias: string, sweepRunId: string, runId: string): Promise<AliasOutcome> {
  const managed = managedAlias(deps, config, alias);
  deps.logger.info('Rotation handed over by a sweep', { alias, region: deps.region, sweepRunId, runId });
  let globalPause: PauseRecord | undefined;
  try {
    globalPause = await deps.table.getGlobalPause(deps.region);
  } catch (error) {
    // As in a sweep: without the pause switch the alias may not rotate, since a person may have paused them all.
    const message = `Could not read the pause switch of ${deps.region}, so the alias was not rotated: ${describeAwsError(error)}`;
    return failed(deps, managed, 'plan', new Error(message, { cause: error }));
  }
  if (globalPause) {
    return { alias: managed.alias, region: managed.region, outcome: OUTCOMES.paused, message: `Every alias of ${deps.region} is paused: ${globalPause.reason}` };
  }
  const rotation = { runId: `${runId}:${alias}`, trigger: 'schedule' as const, mayCreate: true };
  return managed.strategy === 'native' ? rotateNative(deps, managed, rotation) : rotateAlias(deps, config, managed, rotation);
}

/** Returns a rejection while the alias is inside settings.forceCooldown after a person's last rotation. */
async function cooldownRejection(deps: RotationDeps, config: RotationConfig, managed: ManagedAlias): Promise<AliasOutcome | undefined> {
  const item = await deps.table.getAlias(managed.region, managed.alias);
  if (!item?.lastManualRotationAt) return undefined;
  const nextAllowed = Date.parse(item.lastManualRotationAt) + config.forceCooldownMs;
  if (deps.clock.now().getTime() >= nextAllowed) return undefined;
  return report(deps, {
    alias: managed.alias,
    region: managed.region,
    outcome: OUTCOMES.rejected,
    currentKeyId: item.currentKeyId,
    message: `A person rotated ${managed.alias} at ${item.lastManualRotationAt}; settings.forceCooldown allows the next manual rotation at ${new Date(nextAllowed).toISOString()}.`,
  });
}

function managedAlias(deps: RotationDeps, config: RotationConfig, alias: string): ManagedAlias {
  const managed = aliasesInRegion(config, deps.region).find((entry) => entry.alias === alias);
  if (!managed) {
    throw new InvalidRequestError(`The alias ${alias} is not managed in ${deps.region}: only aliases listed for this Region in rotation.config.yml can be rotated`);
  }
  return managed;
}
