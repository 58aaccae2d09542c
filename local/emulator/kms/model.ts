/** Types of the emulated KMS state. Times are epoch milliseconds. */

export const KEY_SPECS = [
  'SYMMETRIC_DEFAULT',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'HMAC_224',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
] as const;
export type KeySpec = (typeof KEY_SPECS)[number];

export const KEY_USAGES = ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC'] as const;
export type KeyUsage = (typeof KEY_USAGES)[number];

export const ORIGINS = ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const;
export type Origin = (typeof ORIGINS)[number];

export const KEY_STATES = [
  'Creating',
  'Enabled',
  'Disabled',
  'PendingDeletion',
  'PendingImport',
  'PendingReplicaDeletion',
  'Unavailable',
  'Updating',
] as const;
export type KeyState = (typeof KEY_STATES)[number];

export interface Tag {
  TagKey: string;
  TagValue: string;
}

/**
 * One version of a key's material. Symmetric keys gain a version on each native rotation;
 * asymmetric and HMAC keys have exactly one. Never leaves the emulator except in its state file.
 */
export interface KeyMaterial {
  /** Identifies the version inside symmetric ciphertext. */
  id: string;
  /** Base64 bytes for symmetric and HMAC keys; PKCS#8 PEM for asymmetric keys. */
  secret: string;
  /** SPKI PEM, asymmetric keys only. */
  publicKey?: string;
  createdAt: number;
}

export interface KeyRecord {
  keyId: string;
  arn: string;
  accountId: string;
  region: string;
  createdAt: number;
  description: string;
  keySpec: KeySpec;
  keyUsage: KeyUsage;
  origin: Origin;
  customKeyStoreId?: string;
  keyState: KeyState;
  /** Set while the key is PendingDeletion. A key in PendingReplicaDeletion has no date yet. */
  deletionDate?: number;
  /** Set while the key is PendingDeletion or PendingReplicaDeletion. */
  pendingWindowInDays?: number;
  policy: string;
  tags: Tag[];
  multiRegion: boolean;
  /**
   * Region of the primary key, for multi-Region keys. The key is a replica when this differs from
   * `region`. Unset in state files written before replicas existed, which means the key is primary.
   */
  primaryRegion?: string;
  /** Regions of the replica keys of this multi-Region key, kept the same on every related key. */
  replicaRegions?: string[];
  rotation: {
    enabled: boolean;
    periodInDays?: number;
    nextRotationDate?: number;
    onDemandRotations: number[];
  };
  /** Oldest first; the last entry is the current material. Empty for EXTERNAL keys before import. */
  material: KeyMaterial[];
  /**
   * Time from which GetKeyLastUsage tracks this key. Unset in state files written before
   * tracking existed; the emulator sets it to the time it first reads such a key.
   */
  usageTrackingStart?: number;
  /** Last successful cryptographic use since `usageTrackingStart`, as GetKeyLastUsage returns it. */
  lastUsage?: KeyLastUsage;
}

/** One successful cryptographic use of a key. */
export interface KeyLastUsage {
  operation: string;
  timestamp: number;
  cloudTrailEventId: string;
  kmsRequestId: string;
}

export interface AliasRecord {
  aliasName: string;
  aliasArn: string;
  targetKeyId: string;
  createdAt: number;
  lastUpdatedAt: number;
}

export interface GrantRecord {
  grantId: string;
  keyId: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  operations: string[];
  name?: string;
  issuingAccount: string;
  createdAt: number;
}

/** Everything KMS holds for one account in one Region. */
export interface KmsRegionState {
  keys: Record<string, KeyRecord>;
  aliases: Record<string, AliasRecord>;
  grants: Record<string, GrantRecord>;
}
