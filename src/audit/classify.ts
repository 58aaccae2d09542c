import { KEY_USE_OPERATIONS } from '../kms-operations.js';
import type { AuditRecord } from './record.js';


/** Meaning of a failed call, read from its code and message together. */
export type FailureMeaning = 'pending-deletion' | 'disabled' | 'access-denied' | 'other';

/**
 * Classifies a failed call. KMS reports a key pending deletion as KMSInvalidStateException with
 * the message "<key ARN> is pending deletion." (or "pending replica deletion"), and services that
 * call KMS for a caller pass it on under their own prefix (KMS.KMSInvalidStateException). The same
 * code also reports unrelated failures, such as an external key store proxy rejecting ciphertext,
 * so the message decides. A disabled key is DisabledException, "<key ARN> is disabled.".
 */
export function failureMeaning(record: AuditRecord): FailureMeaning | undefined {
  if (record.result !== 'failure' || !record.error) return undefined;
  const code = record.error.code;
  const message = record.error.message ?? '';

  if (/\bis pending (?:replica )?deletion\b/i.test(message) && !/\bis not pending deletion\b/i.test(message)) return 'pending-deletion';
  if (/(?:^|\.)DisabledException$/.test(code) || /\bis disabled\.?$/i.test(message)) return 'disabled';
  if (/(?:^|\.)AccessDenied(?:Exception)?$/.test(code) || /^(?:Client\.)?UnauthorizedOperation$/.test(code) || /\bis not authorized to perform\b/.test(message)) {
    return 'access-denied';
  }
  return 'other';
}

/** True when a failed call tried to use a key that was not usable (disabled or pending deletion). */
export function blockedUseReason(record: AuditRecord): 'pending-deletion' | 'disabled' | undefined {
  if (!KEY_USE_OPERATIONS.has(record.operation) || record.eventSource !== 'kms.amazonaws.com') return undefined;
  const meaning = failureMeaning(record);
  return meaning === 'pending-deletion' || meaning === 'disabled' ? meaning : undefined;
}
