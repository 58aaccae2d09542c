import { UpdateAliasCommand } from '@aws-sdk/client-kms';
import type { ManagedAlias } from '../config/load.js';
import { publishEvent } from '../events/publish.js';
import type { RotationRecord } from '../state/records.js';
import { describeAliasTarget } from './alias-target.js';
import type { RotationDeps } from './deps.js';
import { RotationStepError, describeAwsError } from './errors.js';
import { kmsFor } from './multi-region.js';
import { OUTCOMES, type AliasOutcome } from './outcome.js';
import { report } from './report.js';
import type { RotationRequest } from './rotation-request.js';

/** Either every Region's alias targets the successor, or a Region's alias is elsewhere and nothing more moved. */
export type MultiRegionMove = { rotation: RotationRecord; stopped?: undefined } | { stopped: AliasOutcome };

/**
 * Points the alias at the successor in each replica Region, then in the primary Region, re-reading
 * each Region's alias first. An alias already on the successor (a resumed run) is skipped; an
 * alias on any key other than the old one stops the promotion there. Each move is recorded at once,
 * and every key stays enabled, so a run that dies between Regions leaves each alias on a working
 * key and the next run moves the rest.
 */
export async function moveAliasesInEveryRegion(
  deps: RotationDeps,
  managed: ManagedAlias,
  request: RotationRequest,
  rotation: RotationRecord,
): Promise<MultiRegionMove> {
  const { alias } = managed;
  const untested = managed.replicaRegions.filter((region) => !rotation.replicas?.[region]?.testedAt);
  if (untested.length > 0) {
    throw new RotationStepError('promote', `The successor ${rotation.successorKeyId} has no tested replica in ${untested.join(', ')}, so no alias was moved`);
  }

  // Read every Region's alias before moving any, so an alias someone moved elsewhere stops the
  // promotion before a single Region changes.
  const regions = [...managed.replicaRegions, managed.region];
  const targets = new Map<string, string | undefined>();
  for (const region of regions) targets.set(region, (await describeAliasTarget(kmsFor(deps, region), alias, region)).KeyId);
  const moved = regions.find((region) => targets.get(region) !== rotation.oldKeyId && targets.get(region) !== rotation.successorKeyId);
  if (moved) return { stopped: await stopPromotion(deps, managed, request, rotation, moved, targets.get(moved) as string) };

  let current = rotation;
  for (const region of regions) {
    const client = kmsFor(deps, region);
    const target = await describeAliasTarget(client, alias, region);
    if (target.KeyId === current.successorKeyId) {
      if (current.aliasesMovedAt?.[region]) continue;
    } else if (target.KeyId === current.oldKeyId) {
      try {
        await client.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: current.successorKeyId }));
      } catch (error) {
        throw new RotationStepError('promote', `UpdateAlias of ${alias} in ${region} failed: ${describeAwsError(error)}. ${describeMoves(managed, current)}`, { cause: error });
      }
    } else {
      return { stopped: await stopPromotion(deps, managed, request, current, region, target.KeyId as string) };
    }

    current = { ...current, aliasesMovedAt: { ...current.aliasesMovedAt, [region]: deps.clock.now().toISOString() } };
    await deps.table.updateRotation(managed.region, alias, request.runId, current);
    deps.logger.info('Moved the alias to the successor key', { alias, region, rotationId: current.id, successorKeyId: current.successorKeyId });
  }
  return { rotation: current };
}

/** Says which Regions' aliases target the successor and which still target the old key. */
function describeMoves(managed: ManagedAlias, rotation: RotationRecord): string {
  const regions = [...managed.replicaRegions, managed.region];
  const moved = regions.filter((region) => rotation.aliasesMovedAt?.[region]);
  const left = regions.filter((region) => !rotation.aliasesMovedAt?.[region]);
  const movedText = moved.length > 0 ? `${managed.alias} targets the successor ${rotation.successorKeyId} in ${moved.join(', ')}` : `${managed.alias} was moved in no Region`;
  return `${movedText}, and still targets the old key ${rotation.oldKeyId} in ${left.join(', ')}; every key stays enabled, and the next sweep moves the rest.`;
}

/**
 * Reports a Region whose alias someone moved to another key during the rotation. When no Region
 * moved yet, the rotation ends as a single-Region one does. Otherwise its record stays, so the
 * next sweep finishes the move once a person points that alias back.
 */
async function stopPromotion(
  deps: RotationDeps,
  managed: ManagedAlias,
  request: RotationRequest,
  rotation: RotationRecord,
  region: string,
  foundKeyId: string,
): Promise<AliasOutcome> {
  const { alias } = managed;
  const anyMoved = Object.keys(rotation.aliasesMovedAt ?? {}).length > 0;
  let message: string;
  if (!anyMoved) {
    await deps.table.clearRotation(managed.region, alias, request.runId, rotation.id);
    message = `The alias ${alias} in ${region} moved to ${foundKeyId} during the rotation, not by kms-rotator; no alias was moved in any Region. The unused successor ${rotation.successorKeyId} and its replicas stay enabled: schedule their deletion if nobody needs them.`;
  } else {
    message = `The alias ${alias} in ${region} targets ${foundKeyId}, neither the old key ${rotation.oldKeyId} nor the successor ${rotation.successorKeyId}, and kms-rotator did not move it there; it was left alone. ${describeMoves(managed, rotation)} Point ${alias} in ${region} at ${rotation.oldKeyId} or ${rotation.successorKeyId} first.`;
  }
  await publishEvent(deps.eventbridge, deps.busName, 'Rotation Failed', { version: 1, alias, region: managed.region, aliasRegion: region, keyId: foundKeyId, step: 'promote', error: message });
  return report(deps, { alias, region: managed.region, outcome: OUTCOMES.failed, step: 'promote', currentKeyId: rotation.oldKeyId, message });
}
