import type { KeyMetadata } from '@aws-sdk/client-kms';
import type { AliasItem } from '../state/records.js';

/**
 * Age of the key an alias targets: from its promotion when the tool promoted it, otherwise from
 * the key's creation date in KMS.
 */
export function keyAgeMs(target: KeyMetadata, item: AliasItem | undefined, now: Date): number {
  const promotedAt = item && item.currentKeyId === target.KeyId ? item.promotedAt : undefined;
  const start = promotedAt ? Date.parse(promotedAt) : (target.CreationDate?.getTime() ?? now.getTime());
  return Math.max(0, now.getTime() - start);
}

export function isDue(ageMs: number, periodMs: number): boolean {
  return ageMs >= periodMs;
}
