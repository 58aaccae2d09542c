import type { ManagedAlias } from '../config/load.js';
import { ROTATION_STEPS } from '../state/records.js';
import type { RotationDeps } from './deps.js';
import { describeAwsError } from './errors.js';
import { OUTCOMES, type AliasOutcome } from './outcome.js';
import { failed, report } from './report.js';

export interface AbandonCreateRequest {
  runId: string;
  reason: string;
  requestedBy?: string;
}

/**
 * Drops the record of an earlier run's CreateKey whose outcome is unknown, after a person checked
 * KMS for the key it may have made. The next sweep then creates a successor. Nothing else changes:
 * a key that the abandoned call made stays as it is, unused by kms-rotator.
 */
export async function abandonCreate(deps: RotationDeps, managed: ManagedAlias, request: AbandonCreateRequest): Promise<AliasOutcome> {
  const { alias, region } = managed;
  if (!(await deps.table.acquireLease(region, alias, request.runId, deps.clock.now().getTime(), deps.leaseDurationMs))) {
    return report(deps, { alias, region, outcome: OUTCOMES.busy, message: 'Another run holds the lease of this alias; try again in a few minutes' });
  }
  try {
    const item = await deps.table.getAlias(region, alias);
    const rotation = item?.rotation;
    if (!rotation || rotation.step !== ROTATION_STEPS.intent) {
      return report(deps, {
        alias,
        region,
        outcome: OUTCOMES.rejected,
        currentKeyId: item?.currentKeyId,
        message: `${alias} has no CreateKey of unknown outcome to abandon${rotation ? `; its rotation ${rotation.id} is at step ${rotation.step} and the next sweep resumes it` : ''}.`,
      });
    }
    await deps.table.clearRotation(region, alias, request.runId, rotation.id);
    deps.logger.warn('Abandoned a CreateKey of unknown outcome', { alias, region, rotationId: rotation.id, reason: request.reason, requestedBy: request.requestedBy });
    return report(deps, {
      alias,
      region,
      outcome: OUTCOMES.abandoned,
      currentKeyId: item?.currentKeyId,
      message: `Abandoned the CreateKey that run ${rotation.id} called at ${rotation.startedAt}; the next sweep creates a successor. A key that call made is not used by kms-rotator: schedule its deletion if you found one.`,
    });
  } catch (error) {
    return failed(deps, managed, 'create', error);
  } finally {
    await deps.table.releaseLease(region, alias, request.runId).catch((error: unknown) => {
      deps.logger.error('Could not release the lease', { alias, region, runId: request.runId, error: describeAwsError(error) });
    });
  }
}
