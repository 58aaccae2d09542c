import type { Operation } from '../types.js';
import { checkRange, optionalInteger } from '../validation.js';
import { assertKeyState } from './key-state.js';
import { isReplica } from './multi-region.js';
import { DAY_MS } from './rotation-schedule.js';
import { resolveKeyIdOrArn } from './store.js';

export const enableKey: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  assertKeyState(key, 'EnableKey');
  key.keyState = 'Enabled';
  return {};
};

export const disableKey: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  assertKeyState(key, 'DisableKey');
  key.keyState = 'Disabled';
  return {};
};

/**
 * Puts a key in PendingDeletion for 7 to 30 days (default 30), per the ScheduleKeyDeletion API
 * reference. The key is deleted once the clock passes its DeletionDate (see regionState).
 * A multi-Region primary key that still has replica keys (even replicas pending deletion) goes to
 * PendingReplicaDeletion instead, with no DeletionDate: its window starts when its last replica
 * is deleted, as the ScheduleKeyDeletion API reference describes.
 * NOTE: the range error uses the AWS validator's wording; the exact text AWS returns for this
 * service-side range was not confirmed.
 */
export const scheduleKeyDeletion: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  const pendingWindowInDays = optionalInteger(input, 'PendingWindowInDays') ?? 30;
  checkRange(pendingWindowInDays, 'pendingWindowInDays', 7, 30);
  assertKeyState(key, 'ScheduleKeyDeletion');

  key.pendingWindowInDays = pendingWindowInDays;
  if (key.multiRegion && !isReplica(key) && (key.replicaRegions ?? []).length > 0) {
    key.keyState = 'PendingReplicaDeletion';
    delete key.deletionDate;
    return { KeyId: key.arn, KeyState: key.keyState, PendingWindowInDays: pendingWindowInDays };
  }

  const deletionDate = context.clock.now().getTime() + pendingWindowInDays * DAY_MS;
  key.keyState = 'PendingDeletion';
  key.deletionDate = deletionDate;
  return {
    KeyId: key.arn,
    DeletionDate: new Date(deletionDate),
    KeyState: key.keyState,
    PendingWindowInDays: pendingWindowInDays,
  };
};

/**
 * Cancels a scheduled deletion, from PendingDeletion or PendingReplicaDeletion. As in AWS, the key
 * returns to Disabled, not to its earlier state.
 */
export const cancelKeyDeletion: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  assertKeyState(key, 'CancelKeyDeletion');
  key.keyState = 'Disabled';
  delete key.deletionDate;
  delete key.pendingWindowInDays;
  return { KeyId: key.arn };
};
