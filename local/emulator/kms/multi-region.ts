import { keyArn } from './arns.js';
import type { KeyRecord, KmsRegionState } from './model.js';
import { DAY_MS } from './rotation-schedule.js';

/**
 * Links between the keys of one multi-Region key. Related keys share a key id and live in the
 * same account, one per Region, so `account` below is the KMS state of one account by Region.
 * Source: "Multi-Region keys in AWS KMS" and "Deleting multi-Region keys" in the AWS KMS
 * Developer Guide.
 */

export type AccountKmsState = Record<string, KmsRegionState>;

export function primaryRegionOf(key: KeyRecord): string {
  return key.primaryRegion ?? key.region;
}

export function isReplica(key: KeyRecord): boolean {
  return key.multiRegion && primaryRegionOf(key) !== key.region;
}

/** Returns the keys with `keyId` in every Region of the account, primary and replicas alike. */
export function relatedKeys(account: AccountKmsState, keyId: string): KeyRecord[] {
  const keys: KeyRecord[] = [];
  for (const region of Object.values(account)) {
    const key = region.keys[keyId];
    if (key) keys.push(key);
  }
  return keys;
}

export function primaryKeyOf(account: AccountKmsState, key: KeyRecord): KeyRecord | undefined {
  return account[primaryRegionOf(key)]?.keys[key.keyId];
}

/**
 * Rewrites `replicaRegions` on every related key after a replica is added or deleted. Replicas are
 * listed in the order they were created, then by Region name.
 */
export function updateReplicaRegions(account: AccountKmsState, keyId: string): void {
  const keys = relatedKeys(account, keyId);
  const replicaRegions = keys
    .filter(isReplica)
    .sort((a, b) => a.createdAt - b.createdAt || a.region.localeCompare(b.region))
    .map((key) => key.region);
  for (const key of keys) key.replicaRegions = [...replicaRegions];
}

/** MultiRegionConfiguration of DescribeKey, which shows the same primary and replicas in every Region. */
export function multiRegionConfiguration(key: KeyRecord): Record<string, unknown> {
  const primaryRegion = primaryRegionOf(key);
  const describe = (region: string) => ({ Arn: keyArn({ region, accountId: key.accountId }, key.keyId), Region: region });
  return {
    MultiRegionKeyType: isReplica(key) ? 'REPLICA' : 'PRIMARY',
    PrimaryKey: describe(primaryRegion),
    ReplicaKeys: (key.replicaRegions ?? []).map(describe),
  };
}

/**
 * Copies the shared properties of each replica from its primary key: key material (every
 * version, so ciphertext of any Region decrypts in every other) and the automatic rotation
 * settings. AWS synchronizes these properties itself, and the emulator does it whenever state is read.
 */
export function syncReplicasWithPrimary(account: AccountKmsState): void {
  for (const region of Object.values(account)) {
    for (const key of Object.values(region.keys)) {
      if (!isReplica(key)) continue;
      const primary = primaryKeyOf(account, key);
      if (!primary) continue;
      key.material = primary.material.map((version) => ({ ...version }));
      key.rotation = structuredClone(primary.rotation);
    }
  }
}

/**
 * Updates the related keys after the key `deleted` left the account: the remaining keys stop
 * listing it, and a primary key waiting in PendingReplicaDeletion for its last replica moves to
 * PendingDeletion. Its waiting period starts when that replica was deleted, `deletedAt`.
 */
export function afterMultiRegionKeyDeleted(account: AccountKmsState, deleted: KeyRecord, deletedAt: number): void {
  if (!deleted.multiRegion) return;
  updateReplicaRegions(account, deleted.keyId);
  if (!isReplica(deleted)) return;

  const primary = primaryKeyOf(account, deleted);
  if (!primary || primary.keyState !== 'PendingReplicaDeletion') return;
  if ((primary.replicaRegions ?? []).length > 0) return;
  primary.keyState = 'PendingDeletion';
  primary.deletionDate = deletedAt + (primary.pendingWindowInDays ?? 30) * DAY_MS;
}
