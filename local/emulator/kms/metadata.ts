import type { KeyRecord, KeySpec, KeyUsage } from './model.js';
import { multiRegionConfiguration } from './multi-region.js';

/**
 * KeyMetadata as DescribeKey, CreateKey and the other key operations return it. Algorithm lists
 * follow "Key spec reference" in the AWS KMS Developer Guide.
 */

const RSA_SIGNING = [
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
];

const ECDSA_SIGNING: Partial<Record<KeySpec, string[]>> = {
  ECC_NIST_P256: ['ECDSA_SHA_256'],
  ECC_NIST_P384: ['ECDSA_SHA_384'],
  ECC_NIST_P521: ['ECDSA_SHA_512'],
  ECC_SECG_P256K1: ['ECDSA_SHA_256'],
};

const MAC_ALGORITHMS: Partial<Record<KeySpec, string[]>> = {
  HMAC_224: ['HMAC_SHA_224'],
  HMAC_256: ['HMAC_SHA_256'],
  HMAC_384: ['HMAC_SHA_384'],
  HMAC_512: ['HMAC_SHA_512'],
};

/** Key usages each key spec allows; the first is the only one for single-usage specs. */
export const USAGES_BY_SPEC: Record<KeySpec, readonly KeyUsage[]> = {
  SYMMETRIC_DEFAULT: ['ENCRYPT_DECRYPT'],
  RSA_2048: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  RSA_3072: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  RSA_4096: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  ECC_NIST_P256: ['SIGN_VERIFY'],
  ECC_NIST_P384: ['SIGN_VERIFY'],
  ECC_NIST_P521: ['SIGN_VERIFY'],
  ECC_SECG_P256K1: ['SIGN_VERIFY'],
  HMAC_224: ['GENERATE_VERIFY_MAC'],
  HMAC_256: ['GENERATE_VERIFY_MAC'],
  HMAC_384: ['GENERATE_VERIFY_MAC'],
  HMAC_512: ['GENERATE_VERIFY_MAC'],
};

/** Key family as UpdateAlias compares it: symmetric encryption, asymmetric or HMAC. */
export function keyFamily(spec: KeySpec): 'symmetric' | 'asymmetric' | 'HMAC' {
  if (spec === 'SYMMETRIC_DEFAULT') return 'symmetric';
  if (spec.startsWith('HMAC_')) return 'HMAC';
  return 'asymmetric';
}

export function keyMetadata(key: KeyRecord): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    AWSAccountId: key.accountId,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: new Date(key.createdAt),
    Enabled: key.keyState === 'Enabled',
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: key.keyState,
    Origin: key.origin,
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: key.keySpec,
    KeySpec: key.keySpec,
    MultiRegion: key.multiRegion,
  };
  if (key.deletionDate !== undefined) metadata.DeletionDate = new Date(key.deletionDate);
  if (key.customKeyStoreId !== undefined) metadata.CustomKeyStoreId = key.customKeyStoreId;

  if (key.keyUsage === 'ENCRYPT_DECRYPT') {
    metadata.EncryptionAlgorithms =
      key.keySpec === 'SYMMETRIC_DEFAULT' ? ['SYMMETRIC_DEFAULT'] : ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'];
  }
  if (key.keyUsage === 'SIGN_VERIFY') {
    metadata.SigningAlgorithms = ECDSA_SIGNING[key.keySpec] ?? RSA_SIGNING;
  }
  if (key.keyUsage === 'GENERATE_VERIFY_MAC') {
    metadata.MacAlgorithms = MAC_ALGORITHMS[key.keySpec] ?? [];
  }

  if (key.multiRegion) {
    metadata.MultiRegionConfiguration = multiRegionConfiguration(key);
  }
  // Present only in PendingReplicaDeletion, per the KeyMetadata API reference.
  if (key.keyState === 'PendingReplicaDeletion' && key.pendingWindowInDays !== undefined) {
    metadata.PendingDeletionWindowInDays = key.pendingWindowInDays;
  }
  return metadata;
}
