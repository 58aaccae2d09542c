import {
  EnableKeyRotationCommand,
  GetKeyRotationStatusCommand,
  LimitExceededException,
  ListKeyRotationsCommand,
  RotateKeyOnDemandCommand,
  type GetKeyRotationStatusResponse,
  type KeyMetadata,
} from '@aws-sdk/client-kms';
import { MS_PER_DAY } from '../config/duration.js';
import type { ManagedAlias } from '../config/load.js';
import { publishEvent, type DetailType } from '../events/publish.js';
import type { AliasItem } from '../state/records.js';
import { describeAliasTarget } from './alias-target.js';
import { adoptKey } from './adopt.js';
import type { RotationDeps } from './deps.js';
import { RotationBlockedError, RotationStepError, describeAwsError, type RotationStepName } from './errors.js';
import { describeNativeBlocker, describeScheduleChange, matchesConfig, toRotationSchedule, type RotationSchedule } from './native-eligibility.js';
import { OUTCOMES, type AliasOutcome, type Outcome } from './outcome.js';
import { keyAgeMs } from './plan.js';
import { failed, report } from './report.js';
import type { PrefetchedAlias } from './rotate-alias.js';
import type { RotationRequest } from './rotation-request.js';

const NATIVE_STEPS = { schedule: 'schedule', rotate: 'rotate' } as const satisfies Record<string, RotationStepName>;

/**
 * Manages an alias whose key KMS rotates itself (`strategy: native`): keeps automatic rotation on
 * with the configured period, repairs and announces drift, and rotates the key material on demand
 * at a person's request. The key id never changes. Takes the alias's lease as rotateAlias does.
 * Returns the outcome and does not throw: KMS, EventBridge and state table errors all become a
 * failed outcome.
 */
export async function rotateNative(deps: RotationDeps, managed: ManagedAlias, request: RotationRequest, prefetched?: PrefetchedAlias): Promise<AliasOutcome> {
  const { alias, region } = managed;
  // A manual request rotates now, as in rotateAlias; so does a forced one, which also overrides a pause.
  const rotateNow = request.force === true || request.trigger === 'manual';

  // Plan without the lease first: most sweeps find the schedule as configured, and a lease costs a write.
  let key: KeyMetadata | undefined;
  try {
    let item: AliasItem | undefined;
    const known = prefetched?.item;
    if (!rotateNow && known && !known.rotation && !known.paused && known.currentKeyCreatedAt && known.currentKeyId === prefetched?.targetKeyId) {
      // The sweep's bulk reads show the adopted key still behind the alias; it was checked when adopted.
      item = known;
      key = { KeyId: known.currentKeyId, Arn: known.currentKeyArn, CreationDate: new Date(known.currentKeyCreatedAt) };
    } else {
      key = await describeAliasTarget(deps.kms, alias, region);
      assertManageable(key, alias);
      item = await deps.table.getAlias(region, alias);
    }
    // The pause of every alias of the Region is checked by the callers, sweep and handleRotateInvoke.
    const pause = item?.paused;
    if (pause && request.force !== true) {
      const by = pause.by ? ` by ${pause.by}` : '';
      const override = request.trigger === 'manual' ? ', or pass force: true,' : '';
      return report(deps, {
        alias,
        region,
        outcome: OUTCOMES.paused,
        currentKeyId: key.KeyId,
        message: `Paused at ${pause.at}${by}: ${pause.reason}. Resume the alias${override} to rotate it.`,
      });
    }
    const schedule = toRotationSchedule(await readRotationStatus(deps, key));
    const adopted = item !== undefined && item.currentKeyId === key.KeyId && !item.rotation;
    if (adopted && !rotateNow && matchesConfig(schedule, periodInDays(managed))) {
      const keyAgeDays = await materialAgeDays(deps, key, item);
      return report(deps, { alias, region, outcome: OUTCOMES.notDue, currentKeyId: key.KeyId, keyAgeDays });
    }
  } catch (error) {
    return failed(deps, managed, 'plan', error, key?.KeyId);
  }

  const nowMs = deps.clock.now().getTime();
  try {
    if (!(await deps.table.acquireLease(region, alias, request.runId, nowMs, deps.leaseDurationMs))) {
      return report(deps, { alias, region, outcome: OUTCOMES.busy, currentKeyId: key.KeyId, message: 'Another run holds the lease of this alias' });
    }
  } catch (error) {
    return failed(deps, managed, 'lease', error, key.KeyId);
  }

  try {
    return await manageLeased(deps, managed, request, rotateNow);
  } finally {
    await deps.table.releaseLease(region, alias, request.runId).catch((error: unknown) => {
      // The lease expires on its own after leaseDurationMs, so the alias is only delayed.
      deps.logger.error('Could not release the lease', { alias, region, runId: request.runId, error: describeAwsError(error) });
    });
  }
}

/** Runs the steps under the lease, reading everything again because another run may have just finished. */
async function manageLeased(deps: RotationDeps, managed: ManagedAlias, request: RotationRequest, rotateNow: boolean): Promise<AliasOutcome> {
  const { alias, region } = managed;
  const period = periodInDays(managed);
  let step: RotationStepName = 'plan';
  let keyId: string | undefined;
  try {
    const item = (await deps.table.getAlias(region, alias)) as AliasItem;
    const key = await describeAliasTarget(deps.kms, alias, region);
    keyId = key.KeyId;
    assertManageable(key, alias);
    if (item.rotation) {
      throw new RotationBlockedError(
        `The state table records an unfinished alias-strategy rotation of ${alias} (run ${item.rotation.id}, step ${item.rotation.step}), which the native strategy does not resume. Set strategy: alias for ${alias} until a sweep finishes that rotation, then set strategy: native again.`,
      );
    }
    const status = await readRotationStatus(deps, key);
    const before = toRotationSchedule(status);
    const keyAgeDays = await materialAgeDays(deps, key, item);
    const adopting = item.currentKeyId !== key.KeyId;
    let outcome: Outcome = OUTCOMES.notDue;
    const notes: string[] = [];

    // Enabling rotation on a key being adopted is not drift, because the tool had set nothing on it
    // yet, and an alarm for every newly managed alias would bury the real ones. So adoption reports
    // 'repaired' with a message that states what it enabled, and publishes nothing. After adoption,
    // any change is someone else's doing (a person who disabled rotation, say), so it is repaired
    // and published as Rotation Drift Repaired. EnableKeyRotation runs before the adoption is
    // recorded, so if it fails the next run adopts again instead of calling its own work drift.
    if (!matchesConfig(before, period)) {
      step = adopting ? 'adopt' : NATIVE_STEPS.schedule;
      await callKms(step, `EnableKeyRotation of the key ${key.KeyId}`, () =>
        deps.kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: period })),
      );
      outcome = OUTCOMES.repaired;
      notes.push(describeScheduleChange(before, period, adopting));
      if (!adopting) {
        step = 'announce';
        await announce(notes, () => publishDriftRepaired(deps, managed, key, before, period), 'Rotation Drift Repaired');
      }
    }
    if (adopting) {
      step = 'adopt';
      await adoptKey(deps, managed, item, key, request.runId);
    }

    if (rotateNow) {
      step = NATIVE_STEPS.rotate;
      const rotatedAt = await rotateOnDemand(deps, managed, key, status);
      step = 'record';
      await deps.table.recordMaterialRotation(request.runId, {
        alias: managed.alias,
        region: managed.region,
        keyId: key.KeyId as string,
        keyArn: key.Arn as string,
        rotationType: 'ON_DEMAND',
        trigger: request.trigger,
        reason: request.reason,
        requestedBy: request.requestedBy,
        runId: request.runId,
        rotatedAt,
      });
      outcome = OUTCOMES.rotated;
      notes.push(`Rotated the key material on demand; the key id stays ${key.KeyId}`);
      step = 'announce';
      await announce(notes, () => publishKeyRotated(deps, managed, request, key, rotatedAt), 'Key Rotated');
    }

    return report(deps, {
      alias,
      region,
      outcome,
      currentKeyId: key.KeyId,
      keyAgeDays,
      ...(notes.length > 0 ? { message: notes.join('. ') } : {}),
    });
  } catch (error) {
    return failed(deps, managed, error instanceof RotationStepError ? error.step : step, error, keyId);
  }
}

/** Throws RotationBlockedError when KMS cannot rotate the key's material. */
function assertManageable(key: KeyMetadata, alias: string): void {
  const blocker = describeNativeBlocker(key, alias);
  if (blocker) throw new RotationBlockedError(blocker);
}

async function readRotationStatus(deps: RotationDeps, key: KeyMetadata): Promise<GetKeyRotationStatusResponse> {
  return callKms('plan', `GetKeyRotationStatus of the key ${key.KeyId}`, () => deps.kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId })));
}

/** Runs one KMS call and words its error as "<what> failed: Name: message" for the outcome. */
async function callKms<T>(step: RotationStepName, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new RotationStepError(step, `${what} failed: ${describeAwsError(error)}`, { cause: error });
  }
}

/**
 * Days since the key material last changed: the newest rotation that ListKeyRotations returns,
 * else the promotion or creation of the key as rotateAlias counts it.
 */
async function materialAgeDays(deps: RotationDeps, key: KeyMetadata, item: AliasItem | undefined): Promise<number> {
  const now = deps.clock.now();
  let ageMs = keyAgeMs(key, item, now);
  const lastRotation = await lastRotationDate(deps, key);
  if (lastRotation) ageMs = Math.min(ageMs, Math.max(0, now.getTime() - lastRotation.getTime()));
  return Math.floor(ageMs / MS_PER_DAY);
}

/** Returns the date of the key's newest completed rotation, or undefined when it has none. */
async function lastRotationDate(deps: RotationDeps, key: KeyMetadata): Promise<Date | undefined> {
  let newest: Date | undefined;
  let marker: string | undefined;
  try {
    do {
      const output = await deps.kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId, Marker: marker, Limit: 1000 }));
      for (const rotation of output.Rotations ?? []) {
        if (rotation.RotationDate && (!newest || rotation.RotationDate > newest)) newest = rotation.RotationDate;
      }
      marker = output.Truncated ? output.NextMarker : undefined;
    } while (marker);
  } catch (error) {
    throw new RotationStepError('plan', `ListKeyRotations of the key ${key.KeyId} failed: ${describeAwsError(error)}`, { cause: error });
  }
  return newest;
}

/**
 * Calls RotateKeyOnDemand once, through the client without retries: each call spends one of the
 * key's on-demand rotations, and KMS rejects a second call while one is in progress. Returns the
 * time of the call.
 */
async function rotateOnDemand(deps: RotationDeps, managed: ManagedAlias, key: KeyMetadata, status: GetKeyRotationStatusResponse): Promise<string> {
  const { alias } = managed;
  if (status.OnDemandRotationStartDate) {
    throw new RotationStepError(
      NATIVE_STEPS.rotate,
      `An on-demand rotation of the key ${key.KeyId} of ${alias} started at ${status.OnDemandRotationStartDate.toISOString()} and is still in progress; KMS runs one at a time. Ask again after GetKeyRotationStatus no longer returns OnDemandRotationStartDate, if another rotation is still needed.`,
    );
  }

  try {
    await deps.kmsSingleAttempt.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
  } catch (error) {
    throw new RotationStepError(NATIVE_STEPS.rotate, describeOnDemandFailure(managed, key, status, error), { cause: error });
  }
  const rotatedAt = deps.clock.now().toISOString();
  deps.logger.info('Rotated the key material on demand', { alias, region: managed.region, keyId: key.KeyId, rotatedAt });
  return rotatedAt;
}

function describeOnDemandFailure(managed: ManagedAlias, key: KeyMetadata, status: GetKeyRotationStatusResponse, error: unknown): string {
  const { alias } = managed;
  if (error instanceof LimitExceededException) {
    const nextAutomatic = status.NextRotationDate
      ? `KMS still rotates it automatically, next on ${status.NextRotationDate.toISOString().slice(0, 10)}, since on-demand rotations do not change that schedule.`
      : 'Automatic rotation of the key is off, so its material does not change until someone rotates it.';
    return [
      `KMS's limit of on-demand rotations is reached for the key ${key.KeyId} of ${alias}, so its key material was not rotated (${describeAwsError(error)}).`,
      'The AWS KMS Developer Guide allows at most 25 on-demand rotations per key.',
      `For new key material now, set strategy: alias for ${alias} in rotation.config.yml and ask again: kms-rotator then points the alias at a new key.`,
      `Otherwise wait: ${nextAutomatic}`,
    ].join(' ');
  }
  const answered = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== undefined;
  const failure = `RotateKeyOnDemand failed for the key ${key.KeyId} of ${alias}: ${describeAwsError(error)}.`;
  if (answered) return failure;
  return `${failure} KMS did not answer, so the rotation may have started: check GetKeyRotationStatus and ListKeyRotations before asking again.`;
}

/**
 * Publishes an event about a change already made. When EventBridge fails, the failed outcome states
 * that the change was made, so that no one requests another on-demand rotation because of it.
 */
async function announce(done: string[], publish: () => Promise<void>, detailType: DetailType): Promise<void> {
  try {
    await publish();
  } catch (error) {
    throw new RotationStepError(
      'announce',
      `${done.join('. ')}, but the ${detailType} event was not published: ${describeAwsError(error)}. The change was made, so do not request it again.`,
      { cause: error },
    );
  }
}

async function publishDriftRepaired(deps: RotationDeps, managed: ManagedAlias, key: KeyMetadata, before: RotationSchedule, period: number): Promise<void> {
  const after: RotationSchedule = { enabled: true, rotationPeriodInDays: period };
  await publishEvent(
    deps.eventbridge,
    deps.busName,
    'Rotation Drift Repaired',
    { version: 1, alias: managed.alias, region: managed.region, keyId: key.KeyId, keyArn: key.Arn, before, after },
    [key.Arn as string],
  );
}

async function publishKeyRotated(deps: RotationDeps, managed: ManagedAlias, request: RotationRequest, key: KeyMetadata, rotatedAt: string): Promise<void> {
  await publishEvent(
    deps.eventbridge,
    deps.busName,
    'Key Rotated',
    {
      version: 1,
      alias: managed.alias,
      region: managed.region,
      strategy: 'native',
      keyId: key.KeyId,
      keyArn: key.Arn,
      trigger: request.trigger,
      reason: request.reason,
      requestedBy: request.requestedBy,
      rotatedAt,
    },
    [key.Arn as string],
  );
}

function periodInDays(managed: ManagedAlias): number {
  return managed.periodMs / MS_PER_DAY;
}
