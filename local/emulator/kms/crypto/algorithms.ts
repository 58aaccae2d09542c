import type { KeySpec } from '../model.js';

/**
 * Algorithm tables from the AWS KMS Developer Guide, "Key spec reference"
 * (docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-choose-key-spec.html).
 * The enum lists are the full value sets of the KMS API, which the validation messages name,
 * including values of key specs this emulator does not create (SM2, Ed25519, ML-DSA).
 */

export const ENCRYPTION_ALGORITHM_ENUM = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE', 'SYMMETRIC_DEFAULT'] as const;

export const SIGNING_ALGORITHM_ENUM = [
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'ECDSA_SHA_256',
  'ECDSA_SHA_384',
  'ECDSA_SHA_512',
  'SM2DSA',
  'ML_DSA_SHAKE_256',
  'ED25519_SHA_512',
  'ED25519_PH_SHA_512',
] as const;

export const MESSAGE_TYPE_ENUM = ['RAW', 'DIGEST', 'EXTERNAL_MU'] as const;

export const MAC_ALGORITHM_ENUM = ['HMAC_SHA_224', 'HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512'] as const;

export const DATA_KEY_SPEC_ENUM = ['AES_256', 'AES_128'] as const;

export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

const RSA_ENCRYPTION = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'];
const RSA_SIGNING = [
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
];

/** Encryption algorithms each key spec supports with KeyUsage ENCRYPT_DECRYPT. */
export function encryptionAlgorithmsFor(keySpec: KeySpec): string[] {
  if (keySpec === 'SYMMETRIC_DEFAULT') return ['SYMMETRIC_DEFAULT'];
  if (keySpec.startsWith('RSA_')) return [...RSA_ENCRYPTION];
  return [];
}

/** Signing algorithms each key spec supports with KeyUsage SIGN_VERIFY. */
export function signingAlgorithmsFor(keySpec: KeySpec): string[] {
  switch (keySpec) {
    case 'RSA_2048':
    case 'RSA_3072':
    case 'RSA_4096':
      return [...RSA_SIGNING];
    case 'ECC_NIST_P256':
    case 'ECC_SECG_P256K1':
      return ['ECDSA_SHA_256'];
    case 'ECC_NIST_P384':
      return ['ECDSA_SHA_384'];
    case 'ECC_NIST_P521':
      return ['ECDSA_SHA_512'];
    default:
      return [];
  }
}

/** Returns the MAC algorithm of an HMAC key spec as a list, or an empty list for other key specs. */
export function macAlgorithmsFor(keySpec: KeySpec): string[] {
  switch (keySpec) {
    case 'HMAC_224':
      return ['HMAC_SHA_224'];
    case 'HMAC_256':
      return ['HMAC_SHA_256'];
    case 'HMAC_384':
      return ['HMAC_SHA_384'];
    case 'HMAC_512':
      return ['HMAC_SHA_512'];
    default:
      return [];
  }
}

/** Hash function named by the suffix of a signing, MAC or RSAES algorithm. */
export function hashOf(algorithm: string): HashName {
  if (algorithm.endsWith('SHA_1')) return 'sha1';
  if (algorithm.endsWith('_224')) return 'sha224';
  if (algorithm.endsWith('_256')) return 'sha256';
  if (algorithm.endsWith('_384')) return 'sha384';
  if (algorithm.endsWith('_512')) return 'sha512';
  throw new Error(`No hash function is defined for algorithm ${algorithm}`);
}

/** Digest length in bytes of each hash function. */
export const HASH_BYTES: Record<HashName, number> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

/**
 * Largest plaintext in bytes that RSAES-OAEP can encrypt: the modulus length minus twice the
 * hash length minus 2 (RFC 8017, section 7.1.1). This gives the values of the Encrypt API
 * reference: RSA_2048 214 (SHA-1) and 190 (SHA-256), RSA_3072 342 and 318, RSA_4096 470 and 446.
 */
export function maxRsaPlaintextBytes(keySpec: KeySpec, algorithm: string): number {
  const modulusBytes = Number(keySpec.slice('RSA_'.length)) / 8;
  return modulusBytes - 2 * HASH_BYTES[hashOf(algorithm)] - 2;
}
