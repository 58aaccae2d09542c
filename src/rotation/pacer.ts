import type { KMSClient } from '@aws-sdk/client-kms';
import { KMS_REQUEST_QUOTAS } from '../aws/kms-quotas.js';

/** Default KMS request quota of CreateKey, per second per account and Region (AWS KMS "Request quotas"). */
export const CREATE_KEY_QUOTA_PER_SECOND = KMS_REQUEST_QUOTAS.CreateKey as number;

/** Maximum delay setTimeout keeps, in milliseconds. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Spaces calls at least `intervalMs` apart, in real time, so that one run spends no more than its
 * share of a request quota that every workload in the account shares.
 */
export class RequestPacer {
  readonly #intervalMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  #next = 0;

  constructor(intervalMs: number, options: { sleep?: (ms: number) => Promise<void>; now?: () => number } = {}) {
    // setTimeout fires at once for a delay above 2^31 - 1 ms, which would turn the pacing off.
    if (!(intervalMs > 0 && intervalMs <= MAX_TIMER_MS)) {
      throw new RangeError(`Invalid pacer interval ${intervalMs} ms: it must be more than 0 and at most ${MAX_TIMER_MS}; check settings.quotaShare`);
    }
    this.#intervalMs = intervalMs;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#now = options.now ?? Date.now;
  }

  /** Minimum time between two calls, in milliseconds. */
  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** Waits until the next call may go out, and reserves its slot. */
  async wait(): Promise<void> {
    const now = this.#now();
    const at = Math.max(now, this.#next);
    this.#next = at + this.#intervalMs;
    if (at > now) await this.#sleep(at - now);
  }
}

/** The pacer of CreateKey for a run that may use `quotaShare` of the quota. */
export function createKeyPacer(quotaShare: number): RequestPacer {
  return new RequestPacer(1000 / (CREATE_KEY_QUOTA_PER_SECOND * quotaShare));
}

/** Operations that the core paces itself: CreateKey waits on `createKeyPacer`, once per attempt. */
const PACED_BY_CALLER = ['CreateKey'];

/**
 * Spaces every KMS request of `clients` that has a request quota to `quotaShare` of that quota,
 * per operation, so that one run alone never spends more than its share. Each attempt waits, SDK
 * retries included. The clients should be of one Region, since each Region has its own quotas.
 */
export function paceKmsRequests(clients: KMSClient[], quotaShare: number): void {
  const pacers = new Map<string, RequestPacer>();
  const pacerOf = (operation: string): RequestPacer | undefined => {
    const quota = KMS_REQUEST_QUOTAS[operation];
    if (quota === undefined || PACED_BY_CALLER.includes(operation)) return undefined;
    let pacer = pacers.get(operation);
    if (!pacer) {
      pacer = new RequestPacer(1000 / (quota * quotaShare));
      pacers.set(operation, pacer);
    }
    return pacer;
  };
  for (const client of clients) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        // The deserialize step runs inside the retry loop, so every attempt is paced.
        await pacerOf(String(context.commandName ?? '').replace(/Command$/, ''))?.wait();
        return next(args);
      },
      { step: 'deserialize', name: 'kmsRotatorQuotaPacing' },
    );
  }
}
