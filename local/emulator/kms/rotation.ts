import { AwsError } from '../errors.js';
import { hooksOf } from '../hooks.js';
import { stateOf } from '../state.js';
import type { Operation } from '../types.js';
import { checkRange, optionalInteger } from '../validation.js';
import { assertKeyState } from './key-state.js';
import { generateMaterial } from './material.js';
import type { KeyRecord } from './model.js';
import { isReplica, primaryRegionOf } from './multi-region.js';
import { DAY_MS } from './rotation-schedule.js';
import { pageOf } from './pagination.js';
import { resolveKeyIdOrArn } from './store.js';

/**
 * On-demand rotations allowed per key. The "Resource quotas" page of the AWS KMS Developer Guide
 * gives 25 (not adjustable).
 * NOTE: older copies of the RotateKeyOnDemand API reference give 10.
 */
export const MAX_ON_DEMAND_ROTATIONS = 25;
const DEFAULT_ROTATION_PERIOD_DAYS = 365;

/**
 * Rejects keys that cannot rotate: only symmetric encryption keys with AWS KMS key material do
 * (EnableKeyRotation and RotateKeyOnDemand API references). Multi-Region replica keys are
 * rejected too, because they take their material and rotation settings from the primary key.
 * NOTE: the message for a non-symmetric key spec is the emulator's; the EXTERNAL origin message
 * is the key-state table's.
 */
function assertRotatable(key: KeyRecord): void {
  if (key.origin === 'EXTERNAL') {
    throw new AwsError('UnsupportedOperationException', `${key.arn} origin is EXTERNAL which is not valid for this operation.`);
  }
  if (key.keySpec !== 'SYMMETRIC_DEFAULT') {
    throw new AwsError('UnsupportedOperationException', `${key.arn} key spec is ${key.keySpec} which is not valid for this operation.`);
  }
  if (isReplica(key)) {
    // "You manage automatic key rotation only on the primary key" (Managing multi-Region keys, AWS
    // KMS Developer Guide). NOTE: the exception name and message are the emulator's.
    throw new AwsError(
      'UnsupportedOperationException',
      `${key.arn} is a multi-Region replica key. Manage rotation on its primary key in ${primaryRegionOf(key)}.`,
    );
  }
}

/**
 * Turns on automatic rotation, or changes its period. The next rotation is one period after this
 * call, on the emulator clock.
 * NOTE: when only the period of an enabled key changes, AWS counts it from the last rotation; the
 * emulator counts it from this call.
 */
export const enableKeyRotation: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  const periodInDays = optionalInteger(input, 'RotationPeriodInDays');
  if (periodInDays !== undefined) checkRange(periodInDays, 'rotationPeriodInDays', 90, 2560);
  assertKeyState(key, 'EnableKeyRotation');
  assertRotatable(key);

  const period = periodInDays ?? DEFAULT_ROTATION_PERIOD_DAYS;
  key.rotation.enabled = true;
  key.rotation.periodInDays = period;
  key.rotation.nextRotationDate = context.clock.now().getTime() + period * DAY_MS;
  return {};
};

export const disableKeyRotation: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  assertKeyState(key, 'DisableKeyRotation');
  assertRotatable(key);
  key.rotation.enabled = false;
  delete key.rotation.periodInDays;
  delete key.rotation.nextRotationDate;
  return {};
};

/**
 * Returns the rotation settings. Rotations complete at once in the emulator, so no on-demand
 * rotation is ever in progress and OnDemandRotationStartDate is never returned.
 */
export const getKeyRotationStatus: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  assertKeyState(key, 'GetKeyRotationStatus');
  if (key.origin === 'EXTERNAL') assertRotatable(key);
  const { rotation } = key;
  return {
    KeyId: key.arn,
    KeyRotationEnabled: rotation.enabled,
    ...(rotation.enabled && rotation.periodInDays !== undefined ? { RotationPeriodInDays: rotation.periodInDays } : {}),
    ...(rotation.enabled && rotation.nextRotationDate !== undefined
      ? { NextRotationDate: new Date(rotation.nextRotationDate) }
      : {}),
  };
};

/** Adds a key material version now, without changing the automatic rotation schedule. */
export const rotateKeyOnDemand: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  assertKeyState(key, 'RotateKeyOnDemand');
  assertRotatable(key);
  if (key.rotation.onDemandRotations.length >= MAX_ON_DEMAND_ROTATIONS) {
    // Wording from LocalStack's emulator, whose KMS tests are recorded against AWS.
    throw new AwsError(
      'LimitExceededException',
      `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${key.arn}`,
    );
  }
  const now = context.clock.now().getTime();
  const previous = key.material.at(-1);
  const material = generateMaterial(key.keySpec, now);
  key.material.push(material);
  key.rotation.onDemandRotations.push(now);
  hooksOf(stateOf(context)).onKmsServiceEvent({
    kind: 'RotateKey',
    key,
    time: now,
    rotationType: 'ON_DEMAND',
    previousMaterialId: previous?.id,
    currentMaterialId: material.id,
  });
  return { KeyId: key.keyId };
};

/**
 * Lists the completed rotations of a key, oldest first: every material version after the first,
 * ON_DEMAND when RotateKeyOnDemand made it and AUTOMATIC otherwise. Limit 1 to 1000, default 100
 * (ListKeyRotations API reference).
 */
export const listKeyRotations: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  assertKeyState(key, 'ListKeyRotations');
  assertRotatable(key);
  const onDemand = new Set(key.rotation.onDemandRotations);
  const rotations = key.material.slice(1).map((material) => ({
    KeyId: key.arn,
    RotationDate: new Date(material.createdAt),
    RotationType: onDemand.has(material.createdAt) ? 'ON_DEMAND' : 'AUTOMATIC',
    sortKey: `${String(material.createdAt).padStart(16, '0')}:${material.id}`,
  }));
  const page = pageOf(rotations, (rotation) => rotation.sortKey, input.Marker, optionalInteger(input, 'Limit'), { min: 1, max: 1000, defaultLimit: 100 });
  return {
    Rotations: page.items.map(({ sortKey: _sortKey, ...rotation }) => rotation),
    Truncated: page.truncated,
    ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}),
  };
};
