import {
  CreateKeyCommand,
  GetKeyPolicyCommand,
  ListResourceTagsCommand,
  TagResourceCommand,
  UpdateAliasCommand,
  type KeyMetadata,
  type Tag,
} from '@aws-sdk/client-kms';
import type { ManagedAlias } from '../config/load.js';
import { publishEvent } from '../events/publish.js';
import { ROTATION_STEPS, type AliasItem, type GenerationItem, type RotationRecord, type RotationTrigger } from '../state/records.js';
import { toolTags } from '../tags.js';
import { describeAliasTarget } from './alias-target.js';
import type { RotationDeps } from './deps.js';
import { RotationBlockedError, RotationStepError, describeAwsError } from './errors.js';
import { OUTCOMES, type AliasOutcome } from './outcome.js';
import { keyAgeMs, isDue } from './plan.js';
import { selfTest } from './self-test.js';
import { buildSuccessorRequest } from './successor.js';

export interface RotationRequest {
  /** Identifies the run; also the lease owner. */
  runId: string;
  trigger: RotationTrigger;
  /** Why a person asked for this rotation; recorded in the table, the event and the log. */
  reason?: string;
  /** False when the run may not create another key (its cap is reached). */
  mayCreate: boolean;
  /** Rotate now whatever the key's age (a person's request; the force cooldown applies). */
  force?: boolean;
  /** Promote without waiting out the overlap window (a compromised asymmetric or HMAC key). */
  skipOverlap?: boolean;
  /** ARN of the person who asked, from a verified identity proof. */
  requestedBy?: string;
}

const MS_PER_DAY = 86_400_000;

/**
 * Rotates one alias if it is due (or a person asked for it): lease, adopt, create, test, promote,
 * record, announce. Each step is recorded in the state table before the next, so a run that dies
 * anywhere is resumed from the record by the next run. The old key stays enabled.
 * Returns the outcome; throws only when the state table itself cannot be reached.
 */
export async function rotateAlias(deps: RotationDeps, managed: ManagedAlias, request: RotationRequest): Promise<AliasOutcome> {
  const { alias, region } = managed;

  // Plan without the lease first: most aliases are not due, and a lease costs a write.
  let planned: KeyMetadata;
  let item: AliasItem | undefined;
  try {
    planned = await describeAliasTarget(deps.kms, alias, region);
    item = await deps.table.getAlias(region, alias);
  } catch (error) {
    return failed(deps, managed, 'plan', error);
  }
  if (planned.KeyState !== 'Enabled') {
    return failed(
      deps,
      managed,
      'plan',
      new RotationBlockedError(
        `The key ${planned.KeyId} of ${alias} is ${planned.KeyState}; kms-rotator rotates only aliases whose key is Enabled, because a person may have disabled it on purpose. Enable the key, or point the alias at an enabled key.`,
      ),
    );
  }
  const ageMs = keyAgeMs(planned, item, deps.clock.now());
  const adopted = item?.currentKeyId === planned.KeyId;
  if (adopted && request.trigger === 'schedule' && !item?.rotation && !isDue(ageMs, managed.periodMs)) {
    return report(deps, { alias, region, outcome: OUTCOMES.notDue, currentKeyId: planned.KeyId, keyAgeDays: days(ageMs) });
  }

  const nowMs = deps.clock.now().getTime();
  try {
    if (!(await deps.table.acquireLease(region, alias, request.runId, nowMs, deps.leaseDurationMs))) {
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

/** The steps that run under the lease. Everything is read again, since another run may have just finished. */
async function rotateLeased(deps: RotationDeps, managed: ManagedAlias, request: RotationRequest): Promise<AliasOutcome> {
  const { alias, region } = managed;
  let step: RotationStepError['step'] = 'plan';
  try {
    let item = (await deps.table.getAlias(region, alias)) as AliasItem;
    let target = await describeAliasTarget(deps.kms, alias, region);

    if (!item.rotation && item.currentKeyId !== target.KeyId) {
      step = 'adopt';
      await adopt(deps, managed, item, target, request.runId);
      item = (await deps.table.getAlias(region, alias)) as AliasItem;
    }

    const ageMs = keyAgeMs(target, item, deps.clock.now());
    let rotation = item.rotation;
    if (!rotation) {
      if (request.trigger === 'schedule' && !isDue(ageMs, managed.periodMs)) {
        return report(deps, { alias, region, outcome: OUTCOMES.notDue, currentKeyId: target.KeyId, keyAgeDays: days(ageMs) });
      }
      if (!request.mayCreate) {
        return report(deps, {
          alias,
          region,
          outcome: OUTCOMES.deferred,
          currentKeyId: target.KeyId,
          keyAgeDays: days(ageMs),
          message: 'This run reached maxRotationsPerRun; the next sweep rotates the alias',
        });
      }
      step = 'create';
      rotation = await createSuccessor(deps, managed, request, item, target);
    } else {
      deps.logger.info('Resuming an earlier rotation', { alias, region, rotationId: rotation.id, step: rotation.step });
      if (rotation.step === ROTATION_STEPS.intent) {
        return report(deps, {
          alias,
          region,
          outcome: OUTCOMES.failed,
          step: 'create',
          currentKeyId: target.KeyId,
          message: `Run ${rotation.id} called CreateKey at ${rotation.startedAt} and its outcome is unknown, so no key is created or promoted until a person checks. Look for keys tagged kms-rotator:alias=${alias} created since then, schedule their deletion if unused, then remove the rotation record of this alias from the state table.`,
        });
      }
    }

    if (rotation.step === ROTATION_STEPS.created) {
      step = 'test';
      rotation = await testSuccessor(deps, managed, request, rotation);
    }

    step = 'promote';
    target = await describeAliasTarget(deps.kms, alias, region);
    if (target.KeyId !== rotation.oldKeyId && target.KeyId !== rotation.successorKeyId) {
      await deps.table.clearRotation(region, alias, request.runId, rotation.id);
      return report(deps, {
        alias,
        region,
        outcome: OUTCOMES.failed,
        step: 'promote',
        currentKeyId: target.KeyId,
        message: `The alias moved to ${target.KeyId} during the rotation, not by kms-rotator; it was left alone. The unused successor ${rotation.successorKeyId} stays enabled: schedule its deletion if nobody needs it.`,
      });
    }
    if (target.KeyId === rotation.oldKeyId) {
      await deps.kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: rotation.successorKeyId }));
    }

    step = 'record';
    const promotedAt = deps.clock.now().toISOString();
    const previous: GenerationItem = {
      ...(await previousGeneration(deps, managed, rotation)),
      state: 'superseded',
      supersededAt: promotedAt,
    };
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
    };
    await deps.table.recordPromotion(region, alias, request.runId, rotation, successor, previous);

    step = 'announce';
    await publishEvent(
      deps.eventbridge,
      deps.busName,
      'Key Rotated',
      {
        version: 1,
        alias,
        region,
        rotationId: rotation.id,
        trigger: rotation.trigger,
        reason: rotation.reason,
        previousKeyId: rotation.oldKeyId,
        previousKeyArn: rotation.oldKeyArn,
        newKeyId: successor.keyId,
        newKeyArn: successor.keyArn,
        generation: successor.generation,
        rotatedAt: promotedAt,
      },
      [rotation.oldKeyArn, successor.keyArn],
    );

    return report(deps, {
      alias,
      region,
      outcome: OUTCOMES.rotated,
      previousKeyId: rotation.oldKeyId,
      currentKeyId: successor.keyId,
      keyAgeDays: days(ageMs),
    });
  } catch (error) {
    return failed(deps, managed, error instanceof RotationStepError ? error.step : step, error);
  }
}

/** Tags the alias's current key as managed and records it as a generation. */
async function adopt(deps: RotationDeps, managed: ManagedAlias, item: AliasItem, target: KeyMetadata, runId: string): Promise<void> {
  const { alias, region } = managed;
  if (item.currentKeyId) {
    deps.logger.warn('The alias targets a key the state table does not record as current; following KMS', {
      alias,
      region,
      recordedKeyId: item.currentKeyId,
      targetKeyId: target.KeyId,
    });
  }
  await deps.kms.send(new TagResourceCommand({ KeyId: target.KeyId, Tags: toolTags(alias) }));
  await deps.table.recordAdoption(region, alias, runId, {
    alias,
    region,
    generation: item.generation + 1,
    keyId: target.KeyId as string,
    keyArn: target.Arn as string,
    state: 'current',
    source: 'adopted',
    recordedAt: deps.clock.now().toISOString(),
  });
  deps.logger.info('Adopted the key the alias targets', { alias, region, keyId: target.KeyId, generation: item.generation + 1 });
}

/**
 * Records the intent, then calls CreateKey exactly once through the client without retries. Only a
 * call that KMS answered with an error is known not to have created a key; any other failure
 * leaves the intent in place, and the next run reports it instead of creating a second key.
 */
async function createSuccessor(
  deps: RotationDeps,
  managed: ManagedAlias,
  request: RotationRequest,
  item: AliasItem,
  oldKey: KeyMetadata,
): Promise<RotationRecord> {
  const { alias, region } = managed;
  const [policy, tags] = await Promise.all([readPolicy(deps, oldKey), readTags(deps, oldKey)]);
  const createRequest = buildSuccessorRequest(alias, oldKey, policy, tags);

  const intent: RotationRecord = {
    id: request.runId,
    step: ROTATION_STEPS.intent,
    trigger: request.trigger,
    reason: request.reason,
    oldKeyId: oldKey.KeyId as string,
    oldKeyArn: oldKey.Arn as string,
    generation: item.generation + 1,
    startedAt: deps.clock.now().toISOString(),
  };
  await deps.table.recordIntent(region, alias, request.runId, intent);

  let created: KeyMetadata | undefined;
  try {
    created = (await deps.kmsSingleAttempt.send(new CreateKeyCommand(createRequest))).KeyMetadata;
  } catch (error) {
    if (isServiceRejection(error)) {
      await deps.table.clearRotation(region, alias, request.runId, intent.id);
    }
    throw new RotationStepError('create', `CreateKey failed: ${describeAwsError(error)}`, { cause: error });
  }
  if (!created?.KeyId || !created.Arn) {
    throw new RotationStepError('create', 'CreateKey returned no key metadata; the outcome is unknown');
  }

  const recorded: RotationRecord = { ...intent, step: ROTATION_STEPS.created, successorKeyId: created.KeyId, successorKeyArn: created.Arn };
  await deps.table.updateRotation(region, alias, request.runId, recorded);
  deps.logger.info('Created the successor key', { alias, region, rotationId: intent.id, oldKeyId: intent.oldKeyId, successorKeyId: created.KeyId });
  return recorded;
}

async function testSuccessor(deps: RotationDeps, managed: ManagedAlias, request: RotationRequest, rotation: RotationRecord): Promise<RotationRecord> {
  const successor = await describeAliasTarget(deps.kms, rotation.successorKeyArn as string, managed.region);
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

async function previousGeneration(deps: RotationDeps, managed: ManagedAlias, rotation: RotationRecord): Promise<GenerationItem> {
  const generations = await deps.table.listGenerations(managed.region, managed.alias);
  const found = generations.find((generation) => generation.keyId === rotation.oldKeyId);
  if (found) return found;
  return {
    alias: managed.alias,
    region: managed.region,
    generation: rotation.generation - 1,
    keyId: rotation.oldKeyId,
    keyArn: rotation.oldKeyArn,
    state: 'current',
    source: 'adopted',
    recordedAt: rotation.startedAt,
  };
}

async function readPolicy(deps: RotationDeps, key: KeyMetadata): Promise<string> {
  const output = await deps.kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: 'default' }));
  if (!output.Policy) throw new RotationStepError('create', `GetKeyPolicy returned no policy for ${key.KeyId}`);
  return output.Policy;
}

async function readTags(deps: RotationDeps, key: KeyMetadata): Promise<Tag[]> {
  const tags: Tag[] = [];
  let marker: string | undefined;
  do {
    const output = await deps.kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId, Marker: marker, Limit: 50 }));
    tags.push(...(output.Tags ?? []));
    marker = output.Truncated ? output.NextMarker : undefined;
  } while (marker);
  return tags;
}

/** True when KMS answered with an error, so the request was processed and refused. */
function isServiceRejection(error: unknown): boolean {
  const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  const status = metadata?.httpStatusCode;
  return (error as { $fault?: string }).$fault === 'client' && status !== undefined && status >= 400 && status < 500;
}

async function failed(deps: RotationDeps, managed: ManagedAlias, step: RotationStepError['step'], error: unknown): Promise<AliasOutcome> {
  const blocked = error instanceof RotationBlockedError;
  const outcome: AliasOutcome = {
    alias: managed.alias,
    region: managed.region,
    outcome: blocked ? OUTCOMES.blocked : OUTCOMES.failed,
    step,
    message: error instanceof Error ? error.message : String(error),
  };
  // TODO: publish Rotation Blocked once per change of the key's state, not on every sweep.
  try {
    await publishEvent(deps.eventbridge, deps.busName, blocked ? 'Rotation Blocked' : 'Rotation Failed', {
      version: 1,
      alias: managed.alias,
      region: managed.region,
      step,
      error: outcome.message,
    });
  } catch (publishError) {
    deps.logger.error('Could not publish the rotation failure', { alias: managed.alias, region: managed.region, error: describeAwsError(publishError) });
  }
  return report(deps, outcome);
}

function report(deps: RotationDeps, outcome: AliasOutcome): AliasOutcome {
  const level = outcome.outcome === OUTCOMES.failed ? 'error' : outcome.outcome === OUTCOMES.blocked ? 'warn' : 'info';
  deps.logger[level]('Alias checked', { ...outcome });
  return outcome;
}

function days(ageMs: number): number {
  return Math.floor(ageMs / MS_PER_DAY);
}
