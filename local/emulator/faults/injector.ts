import { QuotaLimiter, type QuotaOptions } from './quotas.js';
import { randomSeed, seededRandom } from './random.js';

/** Services whose calls a fault rule can match; `dynamodb` is served by the proxy in dynamodb-proxy.ts. */
export type FaultService = 'kms' | 'events' | 'sts' | 'cloudtrail' | 'dynamodb';

/**
 * - `throttle`: the service's throttling error, without serving the call.
 * - `internal-error`: HTTP 500 with the service's internal error, without serving the call.
 * - `connection-reset`: the socket is destroyed before the call is served.
 * - `lost-response`: the call is served and changes state, then the socket is destroyed before the
 *   response is sent, as when a response is lost on the way back.
 */
export type FaultKind = 'throttle' | 'internal-error' | 'connection-reset' | 'lost-response';

export interface FaultRule {
  /** The fault given to a matching call. `latency` delays the call by `latencyMs` and then serves it. */
  kind: FaultKind | 'latency';
  /** Service of the calls the rule matches; every service unless set. */
  service?: FaultService;
  /** Operation name, such as `CreateKey` or `PutItem`; every operation unless set. */
  operation?: string;
  /** Share of matching calls hit, from 0 to 1, drawn from the seeded generator; 1 unless set. */
  share?: number;
  /** Hit only the nth matching call, counting from 1 (after `share` is applied). */
  nth?: number;
  /** Delay of a `latency` rule, in milliseconds. */
  latencyMs?: number;
}

export interface FaultOptions {
  /** Seed of the generator behind `share`; a random seed unless set. `FaultInjector.seed` returns it. */
  seed?: number;
  rules?: FaultRule[];
  /** Throttle KMS calls over the AWS KMS request quotas (quotas.ts). Off unless set. */
  quotas?: QuotaOptions;
}

/** The decision for one call of the emulator or the proxy. */
export interface FaultDecision {
  /** The fault to inject, or undefined to serve the call normally. */
  kind?: FaultKind;
  /** Milliseconds to delay the call before anything else. */
  latencyMs: number;
  /** True when the call was throttled because it exceeded a request quota. */
  overQuota?: boolean;
}

/** Counts of what the injector decided since it was created or last reconfigured. */
export interface FaultStats {
  seed: number;
  calls: number;
  injected: Record<FaultKind, number>;
  delayed: number;
  overQuota: number;
}

const NO_FAULT: FaultDecision = { latencyMs: 0 };

/**
 * Decides, call by call, which faults the emulator or the DynamoDB proxy injects. Rules are
 * checked in order; the first failing rule that hits a call decides its fault, and the delays of
 * every `latency` rule that hits it add up. Quotas are checked after the rules.
 */
export class FaultInjector {
  #options: FaultOptions = {};
  #seed = 0;
  #random: () => number = Math.random;
  #matches: number[] = [];
  #quotas: QuotaLimiter | undefined;
  #stats: FaultStats = emptyStats(0);

  constructor(options: FaultOptions = {}) {
    this.configure(options);
  }

  /** Replaces the rules, seed and quotas, and restarts the counters of `nth` and the stats. */
  configure(options: FaultOptions): void {
    for (const rule of options.rules ?? []) validateRule(rule);
    this.#options = options;
    this.#seed = options.seed ?? randomSeed();
    this.#random = seededRandom(this.#seed);
    this.#matches = (options.rules ?? []).map(() => 0);
    this.#quotas = options.quotas ? new QuotaLimiter(options.quotas) : undefined;
    this.#stats = emptyStats(this.#seed);
  }

  get seed(): number {
    return this.#seed;
  }

  stats(): FaultStats {
    return { ...this.#stats, injected: { ...this.#stats.injected } };
  }

  /** Decides the fate of one call; `realTimeMs` dates it for the quotas. */
  decide(call: { service: FaultService; operation: string; accountId: string; region: string; realTimeMs: number }): FaultDecision {
    const rules = this.#options.rules ?? [];
    if (rules.length === 0 && !this.#quotas) return NO_FAULT;
    this.#stats.calls += 1;
    let kind: FaultKind | undefined;
    let latencyMs = 0;

    rules.forEach((rule, index) => {
      if (rule.service !== undefined && rule.service !== call.service) return;
      if (rule.operation !== undefined && rule.operation !== call.operation) return;
      if (rule.share !== undefined && this.#random() >= rule.share) return;
      this.#matches[index] = (this.#matches[index] ?? 0) + 1;
      if (rule.nth !== undefined && this.#matches[index] !== rule.nth) return;
      if (rule.kind === 'latency') {
        latencyMs += rule.latencyMs ?? 0;
      } else {
        kind ??= rule.kind;
      }
    });

    let overQuota = false;
    if (!kind && call.service === 'kms' && this.#quotas?.exceeds(call.operation, call.accountId, call.region, call.realTimeMs)) {
      kind = 'throttle';
      overQuota = true;
      this.#stats.overQuota += 1;
    }
    if (kind) this.#stats.injected[kind] += 1;
    if (latencyMs > 0) this.#stats.delayed += 1;
    return { kind, latencyMs, ...(overQuota ? { overQuota } : {}) };
  }
}

function emptyStats(seed: number): FaultStats {
  return { seed, calls: 0, injected: { throttle: 0, 'internal-error': 0, 'connection-reset': 0, 'lost-response': 0 }, delayed: 0, overQuota: 0 };
}

function validateRule(rule: FaultRule): void {
  if (rule.share !== undefined && !(rule.share >= 0 && rule.share <= 1)) {
    throw new Error(`Invalid fault rule: share ${rule.share} must be between 0 and 1`);
  }
  if (rule.nth !== undefined && !(Number.isInteger(rule.nth) && rule.nth >= 1)) {
    throw new Error(`Invalid fault rule: nth ${rule.nth} must be a whole number from 1`);
  }
  if (rule.kind === 'latency' && !(typeof rule.latencyMs === 'number' && rule.latencyMs >= 0)) {
    throw new Error('Invalid fault rule: a latency rule needs latencyMs, a number of milliseconds from 0');
  }
}
