import { DescribeKeyCommand, UpdateAliasCommand } from '@aws-sdk/client-kms';
import type { ManagedAlias } from '../config/load.js';
import { publishEvent } from '../events/publish.js';
import type { GenerationItem } from '../state/records.js';
import { describeAliasTarget } from './alias-target.js';
import type { RotationDeps } from './deps.js';
import { describeAwsError } from './errors.js';
import { OUTCOMES, type AliasOutcome } from './outcome.js';
import { failed, report } from './report.js';

export interface RollbackRequest {
  runId: string;
  reason: string;
  requestedBy?: string;
}

/**
 * Points the alias back at its previous generation while that key is enabled, and pauses the
 * alias so the next sweep does not rotate again until a person resumes it. The rolled-back key
 * stays enabled: ciphertext made with it in the meantime must still decrypt.
 */
export async function rollbackAlias(deps: RotationDeps, managed: ManagedAlias, request: RollbackRequest): Promise<AliasOutcome> {
  const { alias, region } = managed;
  const now = deps.clock.now();
  if (!(await deps.table.acquireLease(region, alias, request.runId, now.getTime(), deps.leaseDurationMs))) {
    return report(deps, { alias, region, outcome: OUTCOMES.busy, message: 'Another run holds the lease of this alias; try the rollback again in a few minutes' });
  }

  try {
    const item = await deps.table.getAlias(region, alias);
    const target = await describeAliasTarget(deps.kms, alias, region);
    const reject = (message: string) => report(deps, { alias, region, outcome: OUTCOMES.rejected, currentKeyId: target.KeyId, message });

    if (item?.rotation) {
      return reject(`A rotation of ${alias} is in flight (successor ${item.rotation.successorKeyId ?? 'not yet created'}); the alias still targets ${target.KeyId}, so there is nothing to roll back. Pause the alias to hold the rotation.`);
    }
    if (item?.currentKeyId !== target.KeyId) {
      return reject(`${alias} targets ${target.KeyId}, which kms-rotator did not promote (it recorded ${item?.currentKeyId ?? 'no key'}); roll back only what kms-rotator did, or point the alias yourself.`);
    }
    const generations = await deps.table.listGenerations(region, alias);
    const current = generations.find((generation) => generation.keyId === target.KeyId);
    const previous = generations
      .filter((generation) => current && generation.generation < current.generation && generation.state === 'superseded')
      .at(-1);
    if (!current || !previous) return reject(`${alias} has no previous generation to roll back to.`);

    const previousKey = (await deps.kms.send(new DescribeKeyCommand({ KeyId: previous.keyArn }))).KeyMetadata;
    if (previousKey?.KeyState !== 'Enabled') {
      return reject(`The previous key ${previous.keyId} of ${alias} is ${previousKey?.KeyState}; enable it before rolling back to it.`);
    }

    await deps.kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: previous.keyId }));
    const at = now.toISOString();
    const restored: GenerationItem = { ...previous, state: 'current', supersededAt: undefined };
    const rolledBack: GenerationItem = { ...current, state: 'superseded', supersededAt: at, rolledBackAt: at };
    await deps.table.recordRollback(region, alias, request.runId, restored, rolledBack, {
      reason: request.reason,
      cause: 'rollback',
      by: request.requestedBy,
      at,
    });
    await publishEvent(
      deps.eventbridge,
      deps.busName,
      'Rotation Rolled Back',
      {
        version: 1,
        alias,
        region,
        restoredKeyId: restored.keyId,
        restoredKeyArn: restored.keyArn,
        rolledBackKeyId: rolledBack.keyId,
        rolledBackKeyArn: rolledBack.keyArn,
        reason: request.reason,
        requestedBy: request.requestedBy,
        rolledBackAt: at,
        paused: true,
      },
      [restored.keyArn, rolledBack.keyArn],
    );
    return report(deps, {
      alias,
      region,
      outcome: OUTCOMES.rolledBack,
      previousKeyId: rolledBack.keyId,
      currentKeyId: restored.keyId,
      message: `${alias} points at ${restored.keyId} again and is paused; resume it when the next rotation may run.`,
    });
  } catch (error) {
    return failed(deps, managed, 'rollback', error);
  } finally {
    await deps.table.releaseLease(region, alias, request.runId).catch((error: unknown) => {
      deps.logger.error('Could not release the lease', { alias, region, runId: request.runId, error: describeAwsError(error) });
    });
  }
}
