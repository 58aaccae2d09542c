import type { KeyMetadata, KMSClient } from '@aws-sdk/client-kms';
import type { ManagedAlias } from '../config/load.js';
import type { RotationRecord } from '../state/records.js';
import { AliasNotFoundError, describeAliasTarget } from './alias-target.js';
import type { RotationDeps } from './deps.js';
import { RotationBlockedError } from './errors.js';

/** Returns the KMS client of `region`: `deps.kms` for the deployment's own Region, `deps.kmsIn` for any other. */
export function kmsFor(deps: RotationDeps, region: string): KMSClient {
  if (region === deps.region) return deps.kms;
  if (!deps.kmsIn) {
    throw new Error(`No KMS client for ${region}: RotationDeps.kmsIn is not set, and multi-Region aliases need a client per replica Region`);
  }
  return deps.kmsIn(region);
}

/** Returns the ARN that a multi-Region key with the ARN `keyArn` has in `region`. */
export function keyArnIn(keyArn: string, region: string): string {
  const parts = keyArn.split(':');
  if (parts.length < 6 || parts[2] !== 'kms') throw new Error(`Not a KMS key ARN: ${keyArn}`);
  parts[3] = region;
  return parts.join(':');
}

/**
 * Returns why the key an alias targets in its primary Region does not match the alias's
 * `multiRegion` setting, or undefined when it matches. A multi-Region alias needs a multi-Region
 * primary key there; any other alias needs a single-Region key.
 */
export function multiRegionMismatch(managed: Pick<ManagedAlias, 'alias' | 'region' | 'multiRegion' | 'replicaRegions'>, key: KeyMetadata): string | undefined {
  const { alias, region } = managed;
  const keyType = key.MultiRegionConfiguration?.MultiRegionKeyType;
  if (managed.multiRegion && !key.MultiRegion) {
    return `The key ${key.KeyId} of ${alias} in ${region} is a single-Region key, but rotation.config.yml sets multiRegion: true for ${alias}. Point the alias in ${region} at a multi-Region primary key replicated to ${managed.replicaRegions.join(', ')}, or remove multiRegion: true so that each listed Region's alias rotates on its own.`;
  }
  if (managed.multiRegion && keyType !== 'PRIMARY') {
    const primaryRegion = key.MultiRegionConfiguration?.PrimaryKey?.Region ?? 'another Region';
    return `The key ${key.KeyId} of ${alias} in ${region} is a multi-Region replica whose primary key is in ${primaryRegion}, but rotation.config.yml lists ${region} first, as the primary Region. List ${primaryRegion} first in the regions of ${alias}, or make the key in ${region} the primary with UpdatePrimaryRegion.`;
  }
  if (!managed.multiRegion && key.MultiRegion) {
    return `The key ${key.KeyId} of ${alias} in ${region} is a multi-Region key, but rotation.config.yml does not set multiRegion: true for ${alias}. Set multiRegion: true and list the primary key's Region first, then each replica Region, or point the alias at a single-Region key.`;
  }
  return undefined;
}

/** The key an alias targets in one replica Region, as the plan checks found it. */
export interface ReplicaTarget {
  region: string;
  key: KeyMetadata;
}

/**
 * Checks a multi-Region alias before any change: in each replica Region the alias must exist,
 * target the replica of the primary Region's key, and that replica must be Enabled. While a
 * rotation is in flight, a replica Region's alias may also target the successor, because
 * promotion moves the replica Regions' aliases before the primary's. Throws RotationBlockedError
 * naming the Region; returns what each replica Region's alias targets.
 */
export async function checkReplicaRegions(
  deps: RotationDeps,
  managed: ManagedAlias,
  primaryTarget: KeyMetadata,
  rotation: RotationRecord | undefined,
): Promise<ReplicaTarget[]> {
  const { alias, region: primaryRegion } = managed;
  const acceptedKeyIds = rotation ? [rotation.oldKeyId, rotation.successorKeyId] : [primaryTarget.KeyId];
  const expected = rotation ? `${rotation.oldKeyId} or its successor ${rotation.successorKeyId ?? ''}`.trim() : String(primaryTarget.KeyId);
  const targets: ReplicaTarget[] = [];

  for (const region of managed.replicaRegions) {
    let key: KeyMetadata;
    try {
      key = await describeAliasTarget(kmsFor(deps, region), alias, region);
    } catch (error) {
      if (!(error instanceof AliasNotFoundError)) throw error;
      throw new RotationBlockedError(
        `The alias ${alias} does not exist in ${region}, a replica Region of ${alias} in rotation.config.yml. Create it in ${region} on the replica of ${expected}, or remove ${region} from the regions of ${alias}.`,
        { cause: error },
      );
    }
    if (!acceptedKeyIds.includes(key.KeyId) || key.MultiRegionConfiguration?.MultiRegionKeyType !== 'REPLICA') {
      throw new RotationBlockedError(
        `The alias ${alias} in ${region} targets ${key.KeyId}, not the replica of ${expected} that ${alias} in ${primaryRegion} belongs to. Point ${alias} in ${region} at the replica of ${expected} (replicate the key to ${region} first if it has none), or remove ${region} from the regions of ${alias}.`,
      );
    }
    if (key.KeyState !== 'Enabled') {
      throw new RotationBlockedError(
        `The replica ${key.Arn} that ${alias} targets in ${region} is ${key.KeyState}; kms-rotator rotates a multi-Region alias only while its key is Enabled in every Region, because a person may have disabled it on purpose. Enable the replica, or point the alias in ${region} at an enabled replica.`,
      );
    }
    targets.push({ region, key });
  }
  return targets;
}
