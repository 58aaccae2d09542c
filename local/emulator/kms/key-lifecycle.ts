import type { Operation } from '../types.js';
import { checkRange, optionalInteger } from '../validation.js';
import { assertKeyState } from './key-state.js';
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
 * NOTE: the range error uses the AWS validator's wording; the exact text AWS returns for this
 * service-side range was not confirmed.
 */
export const scheduleKeyDeletion: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  const pendingWindowInDays = optionalInteger(input, 'PendingWindowInDays') ?? 30;
  checkRange(pendingWindowInDays, 'pendingWindowInDays', 7, 30);
  assertKeyState(key, 'ScheduleKeyDeletion');

  const deletionDate = context.clock.now().getTime() + pendingWindowInDays * DAY_MS;
  key.keyState = 'PendingDeletion';
  key.deletionDate = deletionDate;
  key.pendingWindowInDays = pendingWindowInDays;
  return {
    KeyId: key.arn,
    DeletionDate: new Date(deletionDate),
    KeyState: key.keyState,
    PendingWindowInDays: pendingWindowInDays,
  };
};

/** Cancels a scheduled deletion; as in AWS, the key returns to Disabled, not to its earlier state. */
export const cancelKeyDeletion: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  assertKeyState(key, 'CancelKeyDeletion');
  key.keyState = 'Disabled';
  delete key.deletionDate;
  delete key.pendingWindowInDays;
  return { KeyId: key.arn };
};
