import { DescribeKeyCommand, UpdateAliasCommand } from '@aws-sdk/client-kms';
import type { ManagedAlias } from '../config/load.js';
import { publishEvent } from '../events/publish.js';
import type { GenerationItem } from '../state/records.js';
import { describeAliasTarget } from './alias-target.js';
import { keyArnIn, kmsFor } from './multi-region.js';
import type { RotationDeps } from './deps.js';
import { describeAwsError } from './errors.js';
import { OUTCOMES, type AliasOutcome } from './outcome.js';
import { announceMadeChange, failed, report } from './report.js';

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
    const generations = await deps.table.listGenerations(region, alias);
    const current = generations.find((generation) => generation.keyId === item?.currentKeyId);
    const previous = generations
      .filter((generation) => current && generation.generation < current.generation && generation.state === 'superseded')
      .at(-1);
    // The alias may already target the previous key when an earlier rollback died before recording it.
    if (!current || (target.KeyId !== current.keyId && target.KeyId !== previous?.keyId)) {
      return reject(`${alias} targets ${target.KeyId}, which kms-rotator did not promote (it recorded ${item?.currentKeyId ?? 'no key'}); roll back only what kms-rotator did, or point the alias yourself.`);
    }
    if (!previous) return reject(`${alias} has no previous generation to roll back to.`);

    // Replica Regions first, the primary last, as promotion does; each Region's copy must be enabled.
    const regions = [...managed.replicaRegions, region];
    for (const keyRegion of regions) {
      const previousKey = (await kmsFor(deps, keyRegion).send(new DescribeKeyCommand({ KeyId: keyArnIn(previous.keyArn, keyRegion) }))).KeyMetadata;
      if (previousKey?.KeyState !== 'Enabled') {
        const where = keyRegion === region ? '' : ` in ${keyRegion}`;
        return reject(`The previous key ${previous.keyId} of ${alias}${where} is ${previousKey?.KeyState}; enable it before rolling back to it.`);
      }
    }

    // Pause first, so a run that dies after moving an alias leaves the alias held, not rotated again.
    const pause = { reason: request.reason, cause: 'rollback' as const, by: request.requestedBy, at: now.toISOString() };
    await deps.table.setPaused(region, alias, pause);
    for (const keyRegion of regions) {
      const kms = kmsFor(deps, keyRegion);
      const regionTarget = keyRegion === region ? target : await describeAliasTarget(kms, alias, keyRegion);
      if (regionTarget.KeyId === previous.keyId) continue;
      if (regionTarget.KeyId !== current.keyId) {
        return reject(`${alias} in ${keyRegion} targets ${regionTarget.KeyId}, neither the current nor the previous key; it is paused and left alone. Point it yourself, then resume it.`);
      }
      await kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: previous.keyId }));
    }

    const at = now.toISOString();
    const restored: GenerationItem = { ...previous, state: 'current', supersededAt: undefined };
    const rolledBack: GenerationItem = { ...current, state: 'superseded', supersededAt: at, rolledBackAt: at };
    await deps.table.recordRollback(region, alias, request.runId, restored, rolledBack, pause);
    const announceFailure = await announceMadeChange(deps, { alias, region }, 'Rotation Rolled Back', () =>
      publishEvent(
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
      ),
    );

    return report(deps, {
      alias,
      region,
      outcome: OUTCOMES.rolledBack,
      previousKeyId: rolledBack.keyId,
      currentKeyId: restored.keyId,
      message: [`${alias} points at ${restored.keyId} again and is paused; resume it when the next rotation may run.`, announceFailure].filter(Boolean).join(' '),
    });
  } catch (error) {
    return failed(deps, managed, 'rollback', error);
  } finally {
    await deps.table.releaseLease(region, alias, request.runId).catch((error: unknown) => {
      deps.logger.error('Could not release the lease', { alias, region, runId: request.runId, error: describeAwsError(error) });
    });
  }
}
