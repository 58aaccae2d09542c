import { CancelKeyDeletionCommand } from '@aws-sdk/client-kms';
import { publishEvent } from '../events/publish.js';
import { describeAwsError } from '../rotation/errors.js';
import type { AuditDeps } from './deps.js';
import type { AuditRecord } from './record.js';

/**
 * What the safety net did: `cancelled` the deletion, found it `already-cancelled` (a duplicate
 * event, or a person was quicker), was `off` in the settings, had `no-key` to act on, or `failed`.
 */
export interface SafetyNetResult {
  action: 'cancelled' | 'already-cancelled' | 'off' | 'no-key' | 'failed';
  error?: string;
  /** True when this run set the key's deletion mark. */
  marked: boolean;
}

/**
 * Cancels the deletion of a key that something just tried to use, marks the key so that it is not
 * proposed for deletion again until a person clears the mark, and publishes `Key Deletion
 * Cancelled`. CancelKeyDeletion leaves the key Disabled, so the use stays blocked while people
 * find out who still needs the key.
 */
export async function cancelDeletionOnUse(deps: AuditDeps, record: AuditRecord, enabled: boolean): Promise<SafetyNetResult> {
  if (!enabled) return { action: 'off', marked: false };
  if (!record.keyArn) return { action: 'no-key', marked: false };

  const kms = record.region !== deps.region && deps.kmsIn ? deps.kmsIn(record.region) : deps.kms;
  let action: SafetyNetResult['action'] = 'cancelled';
  try {
    await kms.send(new CancelKeyDeletionCommand({ KeyId: record.keyArn }));
  } catch (error) {
    if (error instanceof Error && error.name === 'KMSInvalidStateException' && /is not pending deletion/.test(error.message)) {
      action = 'already-cancelled';
    } else {
      const description = describeAwsError(error);
      deps.logger.error('Could not cancel the deletion of a key in use', { keyArn: record.keyArn, region: record.region, eventId: record.eventId, error: description });
      return { action: 'failed', error: description, marked: false };
    }
  }

  const marked = await deps.marks.markDeletionCancelled({
    keyArn: record.keyArn,
    cancelledAt: deps.clock.now().toISOString(),
    eventId: record.eventId,
    operation: record.operation,
    principal: record.principal.arn ?? record.principal.id,
  });
  if (action === 'cancelled') {
    await publishEvent(
      deps.eventbridge,
      deps.busName,
      'Key Deletion Cancelled',
      {
        version: 1,
        keyArn: record.keyArn,
        region: record.region,
        reason: `${record.principal.arn ?? record.principal.id} called ${record.operation} with the key while it was pending deletion`,
        eventId: record.eventId,
        usedAt: record.time,
        cancelledBy: 'kms-rotator audit safety net',
      },
      [record.keyArn],
    );
  }
  deps.logger.warn('Safety net ran on a key pending deletion', { keyArn: record.keyArn, region: record.region, eventId: record.eventId, action, marked });
  return { action, marked };
}
