// The emulator enforces the same published defaults that the tool paces itself to.
import { KMS_REQUEST_QUOTAS } from '../../../src/aws/kms-quotas.js';

export { KMS_REQUEST_QUOTAS };

/** Operations that share the "Cryptographic operations (symmetric) request rate" quota. */
export const SYMMETRIC_CRYPTO_OPERATIONS: readonly string[] = [
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateMac',
  'GenerateRandom',
  'ReEncrypt',
  'VerifyMac',
];

/** Regions whose shared symmetric quota is 100,000 and 20,000 requests per second; the rest have 10,000. */
const SYMMETRIC_100K_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];
const SYMMETRIC_20K_REGIONS = ['us-east-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'eu-central-1', 'eu-west-2'];

/** Returns the shared quota of symmetric cryptographic operations in `region`. */
export function symmetricCryptoQuota(region: string): number {
  if (SYMMETRIC_100K_REGIONS.includes(region)) return 100_000;
  if (SYMMETRIC_20K_REGIONS.includes(region)) return 20_000;
  return 10_000;
}

export interface QuotaOptions {
  /**
   * Quota seconds per real second. 1 enforces AWS's figures in real time; 60 lets 60 times as many
   * calls through, as if each real second were a minute of AWS time. Must be more than 0.
   */
  timeScale: number;
  /** Requests per second by operation name, replacing or adding to KMS_REQUEST_QUOTAS. */
  limits?: Record<string, number>;
}

/** The quota a call counts against, or undefined when the operation has none. */
interface QuotaBucket {
  name: string;
  limit: number;
}

/**
 * Meters KMS calls per account, Region and quota with a token bucket. The bucket contains up to
 * one second of the quota and refills at the quota's rate in quota time. So calls spaced evenly at
 * the quota never fail, and a fractional quota such as 2.5 per second is kept exactly. A throttled
 * call takes no token. AWS does not document its throttling algorithm, so this is an approximation.
 */
export class QuotaLimiter {
  readonly #options: QuotaOptions;
  readonly #buckets = new Map<string, { tokens: number; atSeconds: number }>();

  constructor(options: QuotaOptions) {
    if (!(options.timeScale > 0)) throw new Error(`Invalid quotas.timeScale ${options.timeScale}: it must be a number above 0`);
    this.#options = options;
  }

  /** Counts one call and returns true when it exceeds its quota, so that it must be throttled. */
  exceeds(operation: string, accountId: string, region: string, realTimeMs: number): boolean {
    const bucket = this.#bucketOf(operation, region);
    if (!bucket) return false;
    if (bucket.limit <= 0) return true;
    const capacity = Math.max(1, bucket.limit);
    const nowSeconds = (realTimeMs * this.#options.timeScale) / 1000;
    const key = `${accountId}/${region}/${bucket.name}`;
    const state = this.#buckets.get(key) ?? { tokens: capacity, atSeconds: nowSeconds };
    state.tokens = Math.min(capacity, state.tokens + Math.max(0, nowSeconds - state.atSeconds) * bucket.limit);
    state.atSeconds = nowSeconds;
    this.#buckets.set(key, state);
    // The margin absorbs floating-point error, so a call exactly on its slot is not throttled.
    if (state.tokens < 1 - 1e-9) return true;
    state.tokens -= 1;
    return false;
  }

  #bucketOf(operation: string, region: string): QuotaBucket | undefined {
    const override = this.#options.limits?.[operation];
    if (override !== undefined) return { name: operation, limit: override };
    // NOTE: every cryptographic operation counts against the symmetric quota, whatever the key
    // type; AWS counts RSA and ECC keys against separate quotas of 1,000 per second.
    if (SYMMETRIC_CRYPTO_OPERATIONS.includes(operation)) return { name: 'symmetric-crypto', limit: symmetricCryptoQuota(region) };
    const limit = KMS_REQUEST_QUOTAS[operation];
    return limit === undefined ? undefined : { name: operation, limit };
  }
}
