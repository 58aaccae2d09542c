import type { GetKeyRotationStatusResponse, KeyMetadata } from '@aws-sdk/client-kms';

/**
 * Returns why KMS cannot rotate the material of the key an alias targets, as a message that names
 * what a person must do, or undefined when the native strategy can manage the key.
 *
 * Sources: the AWS KMS API Reference pages EnableKeyRotation, DisableKeyRotation and
 * RotateKeyOnDemand, and the Developer Guide page "Managing multi-Region keys".
 * - Automatic rotation is supported only on symmetric encryption keys, not on asymmetric keys,
 *   HMAC keys, keys with imported key material or keys in a custom key store.
 * - On-demand rotation covers the same keys, except that single-Region symmetric keys with
 *   imported key material rotate on demand (after new key material is imported).
 * - The rotation of a set of multi-Region keys is managed only on the primary key.
 * - The rotation of AWS managed keys is not configurable: KMS rotates them every year.
 */
export function describeNativeBlocker(key: KeyMetadata, alias: string): string | undefined {
  const subject = `The key ${key.KeyId} of ${alias}`;
  const useAliasStrategy = `Set strategy: alias for ${alias} in rotation.config.yml, so that kms-rotator rotates it by pointing the alias at a new key.`;

  if (key.KeyManager === 'AWS') {
    return `${subject} is an AWS managed key; KMS rotates AWS managed keys every year and nobody can change that. Remove ${alias} from rotation.config.yml.`;
  }
  if (key.KeySpec !== 'SYMMETRIC_DEFAULT' || key.KeyUsage !== 'ENCRYPT_DECRYPT') {
    return `${subject} is a ${key.KeySpec} ${key.KeyUsage} key; KMS rotates key material only in symmetric encryption keys (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT). ${useAliasStrategy}`;
  }
  if (key.Origin === 'EXTERNAL') {
    return `${subject} has imported key material (origin EXTERNAL); KMS does not rotate imported key material automatically. Rotate it yourself: for a single-Region key, import new key material with ImportType NEW_KEY_MATERIAL and call RotateKeyOnDemand; otherwise create a key, import new material and point the alias at it.`;
  }
  if (key.Origin !== 'AWS_KMS') {
    return `${subject} is in a custom key store (origin ${key.Origin}); KMS rotates key material only in keys with origin AWS_KMS. ${useAliasStrategy}`;
  }
  const multiRegion = key.MultiRegionConfiguration;
  if (key.MultiRegion && multiRegion?.MultiRegionKeyType !== 'PRIMARY') {
    const primaryRegion = multiRegion?.PrimaryKey?.Region ?? 'the Region of its primary key';
    return `${subject} is a multi-Region replica key; KMS sets the rotation of multi-Region keys on the primary key only, and rotates the replicas with it. Manage ${alias} in ${primaryRegion} in rotation.config.yml instead.`;
  }
  if (key.KeyState !== 'Enabled') {
    return `${subject} is ${key.KeyState}; kms-rotator rotates only aliases whose key is Enabled, because a person may have disabled it on purpose. Enable the key, or point the alias at an enabled key.`;
  }
  return undefined;
}

/** Automatic rotation settings of a key, as GetKeyRotationStatus returns them and events report them. */
export interface RotationSchedule {
  enabled: boolean;
  /** Null when KMS returned no period, which it does while rotation is off. */
  rotationPeriodInDays: number | null;
}

export function toRotationSchedule(status: GetKeyRotationStatusResponse): RotationSchedule {
  return { enabled: status.KeyRotationEnabled === true, rotationPeriodInDays: status.RotationPeriodInDays ?? null };
}

export function matchesConfig(schedule: RotationSchedule, periodInDays: number): boolean {
  return schedule.enabled && schedule.rotationPeriodInDays === periodInDays;
}

/**
 * Words a change of schedule for an outcome message. At adoption the tool had set nothing yet, so
 * the message states what it enabled. Later it states what drifted.
 */
export function describeScheduleChange(before: RotationSchedule, periodInDays: number, adopting: boolean): string {
  if (adopting) {
    if (!before.enabled) return `Adopted the key and enabled automatic rotation every ${periodInDays} days; it was off`;
    return `Adopted the key and enabled automatic rotation every ${periodInDays} days; it was every ${before.rotationPeriodInDays} days`;
  }
  if (!before.enabled) return `Automatic rotation had been disabled; enabled it again every ${periodInDays} days, as rotation.config.yml sets`;
  return `Automatic rotation was every ${before.rotationPeriodInDays} days instead of ${periodInDays}; set it back to every ${periodInDays} days, as rotation.config.yml sets`;
}
