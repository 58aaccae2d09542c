/** Default KMS request quota of CreateKey, per second per account and Region (AWS KMS "Request quotas"). */
export const CREATE_KEY_QUOTA_PER_SECOND = 5;

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
