import type { KeyMetadata } from '@aws-sdk/client-kms';
import type { ManagedAlias, RotationSettings } from '../config/load.js';
import { publishEvent } from '../events/publish.js';
import { ROTATION_STEPS, type AliasItem, type RotationRecord } from '../state/records.js';
import { describeAliasTarget } from './alias-target.js';
import { createSuccessor } from './create-successor.js';
import { adoptKey } from './adopt.js';
import type { RotationDeps } from './deps.js';
import { RotationBlockedError, RotationStepError, describeAwsError, type RotationStepName } from './errors.js';
import { checkReplicaRegions, multiRegionMismatch } from './multi-region.js';
import { replicateSuccessor } from './multi-region-replicas.js';
import { OUTCOMES, type AliasOutcome } from './outcome.js';
import { isDue, keyAgeMs, msUntilDue, overlapMs } from './plan.js';
import { promoteSuccessor, promotionWaitsUntil, publishSuccessor } from './promote.js';
import { days, failed, report } from './report.js';
import type { RotationRequest } from './rotation-request.js';
import { selfTest } from './self-test.js';

export type { RotationRequest } from './rotation-request.js';

/**
 * Rotates one alias if it is due or a person asked: lease, adopt, create, test, publish, promote,
 * record, announce. Each step is recorded in the state table before the next, so a run that dies
 * anywhere is resumed from the record by the next run. The old key stays enabled.
 * Returns the outcome; one alias failing never throws into the sweep.
 */
export async function rotateAlias(
  deps: RotationDeps,
  settings: Pick<RotationSettings, 'dueSoonNoticeMs'>,
  managed: ManagedAlias,
  request: RotationRequest,
  prefetched?: PrefetchedAlias,
): Promise<AliasOutcome> {
  const { alias, region } = managed;
  const now = deps.clock.now();

  // A sweep reads every alias target and item up front; an alias known not to be due ends here.
  if (prefetched && request.trigger === 'schedule') {
    const planned = await planFromPrefetch(deps, settings, managed, request, prefetched, now);
    if (planned) return planned;
  }

  // Plan without the lease first: most aliases are not due, and a lease costs a write.
  let planned: KeyMetadata;
  let item: AliasItem | undefined;
  try {
    planned = await describeAliasTarget(deps.kms, alias, region);
    item = await deps.table.getAlias(region, alias);
  } catch (error) {
    return failed(deps, managed, 'plan', error);
  }
  const notRotatable = blockUnlessEnabled(alias, planned) ?? blockOnMultiRegionMismatch(managed, planned);
  if (notRotatable) return failed(deps, managed, 'plan', notRotatable, planned.KeyId);

  const ageMs = keyAgeMs(planned, item, now);
  const adopted = item?.currentKeyId === planned.KeyId;
  if (item?.paused && !request.force) {
    return report(deps, {
      alias,
      region,
      outcome: OUTCOMES.paused,
      currentKeyId: planned.KeyId,
      keyAgeDays: days(ageMs),
      message: `Paused at ${item.paused.at}${item.paused.by ? ` by ${item.paused.by}` : ''}: ${item.paused.reason}. Resume the alias${request.trigger === 'manual' ? ', or pass force: true,' : ''} to rotate it.`,
    });
  }
  if (adopted && request.trigger === 'schedule' && !item?.rotation && !isDue(ageMs, managed)) {
    await announceDueSoon(deps, managed, planned, msUntilDue(ageMs, managed), settings.dueSoonNoticeMs);
    return report(deps, { alias, region, outcome: OUTCOMES.notDue, currentKeyId: planned.KeyId, keyAgeDays: days(ageMs) });
  }

  try {
    if (!(await deps.table.acquireLease(region, alias, request.runId, now.getTime(), deps.leaseDurationMs))) {
      return report(deps, { alias, region, outcome: OUTCOMES.busy, currentKeyId: planned.KeyId, message: 'Another run holds the lease of this alias' });
    }
  } catch (error) {
    return failed(deps, managed, 'lease', error);
  }

  try {
    return await rotateLeased(deps, managed, request);
  } finally {
    await deps.table.releaseLease(region, alias, request.runId).catch((error: unknown) => {
      // The lease expires on its own after leaseDurationMs, so the alias is only delayed.
      deps.logger.error('Could not release the lease', { alias, region, runId: request.runId, error: describeAwsError(error) });
    });
  }
}

/** One alias's share of a sweep's bulk reads: its target from ListAliases and its table item. */
export interface PrefetchedAlias {
  targetKeyId?: string;
  item?: AliasItem;
}

/**
 * Returns the outcome when the sweep's bulk reads settle it: the alias still targets the key the
 * table records, with nothing in flight or paused, and that key is not due (`not-due`), or is due
 * while the run may create no more keys (`deferred`). Otherwise returns undefined and the alias is
 * planned in full.
 */
async function planFromPrefetch(
  deps: RotationDeps,
  settings: Pick<RotationSettings, 'dueSoonNoticeMs'>,
  managed: ManagedAlias,
  request: RotationRequest,
  { targetKeyId, item }: PrefetchedAlias,
  now: Date,
): Promise<AliasOutcome | undefined> {
  if (!item || item.rotation || item.paused || !targetKeyId || item.currentKeyId !== targetKeyId) return undefined;
  // NOTE: ListAliases gives no key state, so a key someone disabled is reported not-due here until
  // it is due. The full plan then reports it blocked.
  const startedAt = item.promotedAt ?? item.currentKeyCreatedAt;
  if (!startedAt) return undefined;
  const ageMs = Math.max(0, now.getTime() - Date.parse(startedAt));
  const untilDueMs = msUntilDue(ageMs, managed);
  if (untilDueMs <= 0) {
    if (request.mayCreate) return undefined;
    // A due alias that this run may not rotate costs no further call: the next sweep plans it in full.
    return report(deps, {
      alias: managed.alias,
      region: managed.region,
      outcome: OUTCOMES.deferred,
      currentKeyId: targetKeyId,
      keyAgeDays: days(ageMs),
      message: request.deferReason ?? 'This run reached maxRotationsPerRun; the next sweep rotates the alias',
    });
  }

  await announceDueSoon(deps, managed, { KeyId: item.currentKeyId, Arn: item.currentKeyArn }, untilDueMs, settings.dueSoonNoticeMs);
  return report(deps, { alias: managed.alias, region: managed.region, outcome: OUTCOMES.notDue, currentKeyId: targetKeyId, keyAgeDays: days(ageMs) });
}

/** Runs the steps under the lease, reading everything again, since another run may have just finished. */
async function rotateLeased(deps: RotationDeps, managed: ManagedAlias, request: RotationRequest): Promise<AliasOutcome> {
  const { alias, region } = managed;
  let step: RotationStepName = 'plan';
  let target: KeyMetadata | undefined;
  try {
    let item = (await deps.table.getAlias(region, alias)) as AliasItem;
    target = await describeAliasTarget(deps.kms, alias, region);
    const notRotatable = blockUnlessEnabled(alias, target) ?? blockOnMultiRegionMismatch(managed, target);
    if (notRotatable) return failed(deps, managed, 'plan', notRotatable, target.KeyId);
    // Every replica Region is checked before adoption or CreateKey changes anything.
    if (managed.multiRegion) await checkReplicaRegions(deps, managed, target, item.rotation);

    if (!item.rotation && item.currentKeyId !== target.KeyId) {
      step = 'adopt';
      await adoptKey(deps, managed, item, target, request.runId);
      item = (await deps.table.getAlias(region, alias)) as AliasItem;
    }

    const ageMs = keyAgeMs(target, item, deps.clock.now());
    let rotation = item.rotation;
    if (!rotation) {
      if (request.trigger === 'schedule' && !isDue(ageMs, managed)) {
        return report(deps, { alias, region, outcome: OUTCOMES.notDue, currentKeyId: target.KeyId, keyAgeDays: days(ageMs) });
      }
      if (item.paused && !request.force) {
        return report(deps, { alias, region, outcome: OUTCOMES.paused, currentKeyId: target.KeyId, message: `Paused: ${item.paused.reason}` });
      }
      if (!request.mayCreate) {
        return report(deps, {
          alias,
          region,
          outcome: OUTCOMES.deferred,
          currentKeyId: target.KeyId,
          keyAgeDays: days(ageMs),
          message: request.deferReason ?? 'This run reached maxRotationsPerRun; the next sweep rotates the alias',
        });
      }
      step = 'create';
      rotation = await createSuccessor(deps, managed, request, item, target);
    } else {
      deps.logger.info('Resuming an earlier rotation', { alias, region, rotationId: rotation.id, step: rotation.step });
      if (rotation.step === ROTATION_STEPS.intent) return reportUnknownCreate(deps, managed, rotation, target);
      if (request.skipOverlap) rotation = { ...rotation, skipOverlap: true };
    }

    const successor = await describeAliasTarget(deps.kms, rotation.successorKeyArn as string, region);
    if (rotation.step === ROTATION_STEPS.created) {
      step = 'test';
      rotation = await testSuccessor(deps, managed, request, rotation, successor);
    }
    // Steps tested and published both come here; replication is a no-op once every replica is recorded as tested.
    if (managed.multiRegion) {
      step = 'create';
      rotation = await replicateSuccessor(deps, managed, request, rotation);
    }
    if (rotation.step === ROTATION_STEPS.tested && !rotation.skipOverlap && overlapMs(managed, successor) > 0) {
      step = 'publish';
      rotation = await publishSuccessor(deps, managed, request, rotation, successor);
    }
    const waitsUntil = promotionWaitsUntil(managed, rotation, successor, deps.clock.now());
    if (waitsUntil) {
      return report(deps, {
        alias,
        region,
        outcome: OUTCOMES.published,
        currentKeyId: rotation.oldKeyId,
        message: `Successor ${rotation.successorKeyId} is published; the alias moves to it after ${waitsUntil.toISOString()}, when the overlap window ends.`,
      });
    }

    step = 'promote';
    return await promoteSuccessor(deps, managed, request, rotation, ageMs);
  } catch (error) {
    return failed(deps, managed, error instanceof RotationStepError ? error.step : step, error, target?.KeyId);
  }
}

/** Returns why a key that is not Enabled must not be rotated, or undefined. */
function blockUnlessEnabled(alias: string, key: KeyMetadata): RotationBlockedError | undefined {
  if (key.KeyState === 'Enabled') return undefined;
  return new RotationBlockedError(
    `The key ${key.KeyId} of ${alias} is ${key.KeyState}; kms-rotator rotates only aliases whose key is Enabled, because a person may have disabled it on purpose. Enable the key, or point the alias at an enabled key.`,
  );
}

/** Returns why the key does not match the alias's multiRegion setting, or undefined. */
function blockOnMultiRegionMismatch(managed: ManagedAlias, key: KeyMetadata): RotationBlockedError | undefined {
  const mismatch = multiRegionMismatch(managed, key);
  return mismatch ? new RotationBlockedError(mismatch) : undefined;
}

async function testSuccessor(
  deps: RotationDeps,
  managed: ManagedAlias,
  request: RotationRequest,
  rotation: RotationRecord,
  successor: KeyMetadata,
): Promise<RotationRecord> {
  try {
    await selfTest(deps.kms, successor);
  } catch (error) {
    throw new RotationStepError('test', `The successor ${rotation.successorKeyId} failed its self-test and was not promoted: ${describeAwsError(error)}`, {
      cause: error,
    });
  }
  const tested: RotationRecord = { ...rotation, step: ROTATION_STEPS.tested };
  await deps.table.updateRotation(managed.region, managed.alias, request.runId, tested);
  return tested;
}

/** A run recorded its intent and never learned whether CreateKey made a key: a person must look. */
function reportUnknownCreate(deps: RotationDeps, managed: ManagedAlias, rotation: RotationRecord, target: KeyMetadata): Promise<AliasOutcome> {
  const error = new RotationStepError(
    'create',
    `Run ${rotation.id} called CreateKey at ${rotation.startedAt} and its outcome is unknown, so no key is created or promoted until a person checks. Look for keys tagged kms-rotator:alias=${managed.alias} created since then and schedule their deletion if unused, then invoke the rotate function with {"alias": "${managed.alias}", "reason": "...", "abandonCreate": true} and an identity proof; the next sweep then creates a successor.`,
  );
  return failed(deps, managed, 'create', error, target.KeyId);
}

/** Publishes `Rotation Due Soon` once per key when its due time is within the notice. */
async function announceDueSoon(deps: RotationDeps, managed: ManagedAlias, key: KeyMetadata, untilDueMs: number, noticeMs: number): Promise<void> {
  if (untilDueMs > noticeMs) return;
  try {
    if (!(await deps.table.recordDueSoonNotice(managed.region, managed.alias, key.KeyId as string))) return;
    const dueAt = new Date(deps.clock.now().getTime() + untilDueMs).toISOString();
    await publishEvent(deps.eventbridge, deps.busName, 'Rotation Due Soon', { version: 1, alias: managed.alias, region: managed.region, keyId: key.KeyId, keyArn: key.Arn, dueAt }, [
      key.Arn as string,
    ]);
  } catch (error) {
    deps.logger.error('Could not announce that a rotation is due soon', { alias: managed.alias, region: managed.region, error: describeAwsError(error) });
  }
}
