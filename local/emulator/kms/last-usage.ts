import type { Operation } from '../types.js';
import type { KeyRecord } from './model.js';
import { resolveKeyIdOrArn } from './store.js';

/**
 * Operations whose success GetKeyLastUsage records: the KeyLastUsageTrackingOperation values of
 * the KMS API (@aws-sdk/client-kms 3.1178), less Encapsulate, Decapsulate, DeriveSharedSecret and
 * the GenerateDataKeyPair and WithoutPlaintext variants, which the emulator does not serve.
 * GetPublicKey, DescribeKey and the other read operations do not count as use.
 */
export const USAGE_TRACKED_OPERATIONS: ReadonlySet<string> = new Set([
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateMac',
  'ReEncrypt',
  'Sign',
  'Verify',
  'VerifyMac',
]);

/**
 * Records a successful cryptographic use on each key the request used. ReEncrypt records on both
 * its source and destination key, as the GetKeyLastUsage reference describes. Use before the
 * key's tracking start is not recorded.
 */
export function recordKeyUsage(keys: readonly KeyRecord[], operation: string, time: number, eventId: string, requestId: string): void {
  if (!USAGE_TRACKED_OPERATIONS.has(operation)) return;
  for (const key of keys) {
    if (time < (key.usageTrackingStart ?? key.createdAt)) continue;
    key.lastUsage = { operation, timestamp: time, cloudTrailEventId: eventId, kmsRequestId: requestId };
  }
}

/**
 * Returns the last successful cryptographic use of a key. KeyId is a key id or key ARN (the API
 * reference does not accept aliases). Every key state is accepted, because the operation's
 * documented errors include no KMSInvalidStateException or DisabledException.
 * TrackingStartDate is the later of the key's creation and the start of tracking.
 */
export const getKeyLastUsage: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  const trackingStart = Math.max(key.createdAt, key.usageTrackingStart ?? key.createdAt);
  const usage = key.lastUsage;
  return {
    KeyId: key.keyId,
    KeyLastUsage: usage
      ? {
          Operation: usage.operation,
          Timestamp: new Date(usage.timestamp),
          CloudTrailEventId: usage.cloudTrailEventId,
          KmsRequestId: usage.kmsRequestId,
        }
      : {},
    TrackingStartDate: new Date(trackingStart),
    KeyCreationDate: new Date(key.createdAt),
  };
};
