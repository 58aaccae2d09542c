import { GetPublicKeyCommand, UpdateAliasCommand, type KeyMetadata } from '@aws-sdk/client-kms';
import type { ManagedAlias } from '../config/load.js';
import { publishEvent } from '../events/publish.js';
import { ROTATION_STEPS, type GenerationItem, type RotationRecord } from '../state/records.js';
import { describeAliasTarget } from './alias-target.js';
import type { RotationDeps } from './deps.js';
import { OUTCOMES, type AliasOutcome } from './outcome.js';
import { moveAliasesInEveryRegion } from './multi-region-promote.js';
import { overlapMs } from './plan.js';
import { announceMadeChange, days, report } from './report.js';
import type { RotationRequest } from './rotation-request.js';

/**
 * Publishes an asymmetric or HMAC successor before the alias moves, because callers of these keys
 * choose the key themselves (only symmetric ciphertext names its key) and public keys are used
 * outside KMS. `Successor Published` carries the key id and, for asymmetric keys, the public key.
 */
export async function publishSuccessor(
  deps: RotationDeps,
  managed: ManagedAlias,
  request: RotationRequest,
  rotation: RotationRecord,
  successor: KeyMetadata,
): Promise<RotationRecord> {
  const publishedAt = deps.clock.now();
  const promoteAfter = new Date(publishedAt.getTime() + overlapMs(managed, successor));
  let publicKey: string | undefined;
  if (successor.KeyUsage !== 'GENERATE_VERIFY_MAC' && successor.KeySpec !== 'SYMMETRIC_DEFAULT') {
    const output = await deps.kms.send(new GetPublicKeyCommand({ KeyId: successor.Arn }));
    publicKey = Buffer.from(output.PublicKey as Uint8Array).toString('base64');
  }

  await publishEvent(
    deps.eventbridge,
    deps.busName,
    'Successor Published',
    {
      version: 1,
      alias: managed.alias,
      region: managed.region,
      rotationId: rotation.id,
      currentKeyId: rotation.oldKeyId,
      successorKeyId: rotation.successorKeyId,
      successorKeyArn: rotation.successorKeyArn,
      keySpec: successor.KeySpec,
      keyUsage: successor.KeyUsage,
      publicKey,
      replicas: replicaKeyArns(rotation, 'keyArn'),
      promoteAfter: promoteAfter.toISOString(),
    },
    [rotation.successorKeyArn as string],
  );
  const published: RotationRecord = { ...rotation, step: ROTATION_STEPS.published, publishedAt: publishedAt.toISOString() };
  await deps.table.updateRotation(managed.region, managed.alias, request.runId, published);
  deps.logger.info('Published the successor key', { alias: managed.alias, region: managed.region, successorKeyId: rotation.successorKeyId, promoteAfter });
  return published;
}

/** Returns when a published successor may be promoted, or undefined when it may be now. */
export function promotionWaitsUntil(managed: ManagedAlias, rotation: RotationRecord, successor: KeyMetadata, now: Date): Date | undefined {
  if (rotation.step !== ROTATION_STEPS.published || rotation.skipOverlap || !rotation.publishedAt) return undefined;
  const promoteAfter = new Date(Date.parse(rotation.publishedAt) + overlapMs(managed, successor));
  return promoteAfter > now ? promoteAfter : undefined;
}

/**
 * Re-reads the alias and points it at the successor, unless someone else moved it during the
 * rotation: then nothing changes and the outcome says so. A multi-Region alias moves in each
 * replica Region first, then in the primary Region. Records the promotion and announces it.
 */
export async function promoteSuccessor(
  deps: RotationDeps,
  managed: ManagedAlias,
  request: RotationRequest,
  inFlight: RotationRecord,
  ageMs: number,
): Promise<AliasOutcome> {
  const { alias, region } = managed;
  let rotation = inFlight;
  if (managed.multiRegion) {
    const moved = await moveAliasesInEveryRegion(deps, managed, request, rotation);
    if (moved.stopped) return moved.stopped;
    rotation = moved.rotation;
  } else {
    const stopped = await moveAlias(deps, managed, request, rotation);
    if (stopped) return stopped;
  }

  const promotedAt = deps.clock.now().toISOString();
  const generations = await deps.table.listGenerations(region, alias);
  const previous: GenerationItem = {
    ...(generations.find((generation) => generation.keyId === rotation.oldKeyId) ?? {
      alias,
      region,
      generation: rotation.generation - 1,
      keyId: rotation.oldKeyId,
      keyArn: rotation.oldKeyArn,
      source: 'adopted' as const,
      recordedAt: rotation.startedAt,
    }),
    state: 'superseded',
    supersededAt: promotedAt,
  };
  const replicas = replicaKeyArns(rotation, 'keyArn');
  if (replicas && !previous.replicaKeyArns) previous.replicaKeyArns = replicaKeyArns(rotation, 'oldKeyArn');
  const successor: GenerationItem = {
    alias,
    region,
    generation: rotation.generation,
    keyId: rotation.successorKeyId as string,
    keyArn: rotation.successorKeyArn as string,
    state: 'current',
    source: 'rotated',
    recordedAt: promotedAt,
    promotedAt,
    rotationId: rotation.id,
    reason: rotation.reason,
    requestedBy: rotation.requestedBy,
    replicaKeyArns: replicas,
  };
  await deps.table.recordPromotion(region, alias, request.runId, rotation, successor, previous);

  const detail = {
    version: 1,
    alias,
    region,
    strategy: 'alias',
    rotationId: rotation.id,
    trigger: rotation.trigger,
    reason: rotation.reason,
    requestedBy: rotation.requestedBy,
    previousKeyId: rotation.oldKeyId,
    previousKeyArn: rotation.oldKeyArn,
    newKeyId: successor.keyId,
    newKeyArn: successor.keyArn,
    generation: successor.generation,
    previousKeyGrants: rotation.oldKeyGrants ?? [],
    replicas,
    rotatedAt: promotedAt,
  };
  const resources = [rotation.oldKeyArn, successor.keyArn, ...Object.values(replicas ?? {})];
  const announceFailure = await announceMadeChange(deps, { alias, region }, 'Key Rotated', () =>
    publishEvent(deps.eventbridge, deps.busName, 'Key Rotated', detail, resources),
  );

  return report(deps, {
    alias,
    region,
    outcome: OUTCOMES.rotated,
    previousKeyId: rotation.oldKeyId,
    currentKeyId: successor.keyId,
    keyAgeDays: days(ageMs),
    message: announceFailure,
  });
}

/** Moves a single-Region alias; returns the failed outcome when someone else moved it during the rotation. */
async function moveAlias(deps: RotationDeps, managed: ManagedAlias, request: RotationRequest, rotation: RotationRecord): Promise<AliasOutcome | undefined> {
  const { alias, region } = managed;
  const target = await describeAliasTarget(deps.kms, alias, region);
  if (target.KeyId !== rotation.oldKeyId && target.KeyId !== rotation.successorKeyId) {
    await deps.table.clearRotation(region, alias, request.runId, rotation.id);
    const message = `The alias moved to ${target.KeyId} during the rotation, not by kms-rotator; it was left alone. The unused successor ${rotation.successorKeyId} stays enabled: schedule its deletion if nobody needs it.`;
    await publishEvent(deps.eventbridge, deps.busName, 'Rotation Failed', { version: 1, alias, region, keyId: target.KeyId, step: 'promote', error: message });
    return report(deps, { alias, region, outcome: OUTCOMES.failed, step: 'promote', currentKeyId: target.KeyId, message });
  }
  if (target.KeyId === rotation.oldKeyId) {
    await deps.kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: rotation.successorKeyId }));
  }
  return undefined;
}

/** Returns the recorded replicas' new (`keyArn`) or old (`oldKeyArn`) ARNs by Region, or undefined for a single-Region rotation. */
export function replicaKeyArns(rotation: RotationRecord, field: 'keyArn' | 'oldKeyArn'): Record<string, string> | undefined {
  if (!rotation.replicas) return undefined;
  return Object.fromEntries(Object.entries(rotation.replicas).map(([region, replica]) => [region, replica[field]]));
}
