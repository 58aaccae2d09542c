import {
  generateKeyPair,
  generateKeyPairSync,
  randomBytes,
  type KeyPairSyncResult,
  type RSAKeyPairOptions,
} from 'node:crypto';

import type { KeyMaterial, KeySpec } from './model.js';

/**
 * Key material generation for every KMS key spec.
 *
 * RSA key generation is slow (about 0.2 s for RSA_2048, 0.7 s for RSA_3072 and 1.7 s for
 * RSA_4096, averaged over 3 runs of `generateKeyPairSync` on Node.js 20 on a 2-core VM), but an
 * Operation is synchronous, so CreateKey cannot await it. A small pool of pre-generated RSA key pairs per
 * spec keeps CreateKey fast: taking a pair from the pool starts a background refill with the
 * asynchronous `generateKeyPair`, which runs on the libuv thread pool. When the pool is empty
 * the pair is generated synchronously and the request waits for it.
 */

type RsaSpec = 'RSA_2048' | 'RSA_3072' | 'RSA_4096';
type PemKeyPair = KeyPairSyncResult<string, string>;

const RSA_MODULUS_BITS: Record<RsaSpec, number> = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 };

/** Node.js curve names of the ECC key specs. */
export const ECC_CURVES = {
  ECC_NIST_P256: 'prime256v1',
  ECC_NIST_P384: 'secp384r1',
  ECC_NIST_P521: 'secp521r1',
  ECC_SECG_P256K1: 'secp256k1',
} as const;

/** HMAC key lengths in bytes: KMS generates HMAC keys as long as the digest of their algorithm. */
export const HMAC_KEY_BYTES = { HMAC_224: 28, HMAC_256: 32, HMAC_384: 48, HMAC_512: 64 } as const;

/** Key pairs kept ready per RSA spec. */
const RSA_POOL_SIZE = 2;

const rsaPool: Record<RsaSpec, PemKeyPair[]> = { RSA_2048: [], RSA_3072: [], RSA_4096: [] };
const rsaRefillsRunning: Record<RsaSpec, number> = { RSA_2048: 0, RSA_3072: 0, RSA_4096: 0 };

function rsaOptions(spec: RsaSpec): RSAKeyPairOptions<'pem', 'pem'> {
  return {
    modulusLength: RSA_MODULUS_BITS[spec],
    publicExponent: 0x10001,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  };
}

/** Starts background generation until the pool of `spec`, counting running refills, is full. */
function refillRsaPool(spec: RsaSpec): void {
  while (rsaPool[spec].length + rsaRefillsRunning[spec] < RSA_POOL_SIZE) {
    rsaRefillsRunning[spec] += 1;
    generateKeyPair('rsa', rsaOptions(spec), (error, publicKey, privateKey) => {
      rsaRefillsRunning[spec] -= 1;
      // A failed refill leaves the pool short, so the next CreateKey generates synchronously.
      if (!error) rsaPool[spec].push({ publicKey, privateKey });
    });
  }
}

function takeRsaKeyPair(spec: RsaSpec): PemKeyPair {
  const pooled = rsaPool[spec].shift();
  const pair = pooled ?? generateKeyPairSync('rsa', rsaOptions(spec));
  refillRsaPool(spec);
  return pair;
}

/**
 * Fills the RSA key pool in the background, for example when the emulator starts. Optional:
 * without it the first CreateKey of each RSA spec generates its key pair synchronously.
 */
export function prewarmRsaKeyPool(specs: readonly RsaSpec[] = ['RSA_2048', 'RSA_3072', 'RSA_4096']): void {
  for (const spec of specs) refillRsaPool(spec);
}

/** Returns the number of ready RSA key pairs of `spec`, for tests and diagnostics. */
export function rsaKeyPoolSize(spec: RsaSpec): number {
  return rsaPool[spec].length;
}

function newMaterialId(): string {
  return randomBytes(16).toString('hex');
}

/** Generates one version of key material for `keySpec`, created at `now` (epoch milliseconds). */
export function generateMaterial(keySpec: KeySpec, now: number): KeyMaterial {
  const id = newMaterialId();

  switch (keySpec) {
    case 'SYMMETRIC_DEFAULT':
      return { id, secret: randomBytes(32).toString('base64'), createdAt: now };

    case 'HMAC_224':
    case 'HMAC_256':
    case 'HMAC_384':
    case 'HMAC_512':
      return { id, secret: randomBytes(HMAC_KEY_BYTES[keySpec]).toString('base64'), createdAt: now };

    case 'RSA_2048':
    case 'RSA_3072':
    case 'RSA_4096': {
      const pair = takeRsaKeyPair(keySpec);
      return { id, secret: pair.privateKey, publicKey: pair.publicKey, createdAt: now };
    }

    case 'ECC_NIST_P256':
    case 'ECC_NIST_P384':
    case 'ECC_NIST_P521':
    case 'ECC_SECG_P256K1': {
      const pair = generateKeyPairSync('ec', {
        namedCurve: ECC_CURVES[keySpec],
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      return { id, secret: pair.privateKey, publicKey: pair.publicKey, createdAt: now };
    }
  }
}
