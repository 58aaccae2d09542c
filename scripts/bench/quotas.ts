import { KMS_REQUEST_QUOTAS } from '../../local/emulator/faults/quotas.js';

/**
 * AWS KMS request quotas per account and Region, in requests per second. The emulator enforces the
 * same table; docs/quotas.md lists it with its source, the "Request quotas" page of the AWS KMS
 * Developer Guide. Cryptographic operations share a quota of 10,000 to 100,000 per second by
 * Region, far above what a sweep sends, so they are left out of the bound.
 */
export const KMS_QUOTAS_PER_SECOND: Readonly<Record<string, number>> = KMS_REQUEST_QUOTAS;

/** Returns each operation's quota times the tool's share, as the emulator's `faults.quotas.limits` takes them. */
export function sharedLimits(share: number): Record<string, number> {
  return Object.fromEntries(Object.entries(KMS_QUOTAS_PER_SECOND).map(([operation, perSecond]) => [operation, perSecond * share]));
}

/** Calls of one operation, and the time the tool's share of its quota needs for them. */
export interface OperationBound {
  operation: string;
  calls: number;
  quotaPerSecond?: number;
  /** calls / (quota × share), in seconds; undefined when the table has no quota for the operation. */
  seconds?: number;
}

/** The lower bound on wall time that the quotas imply: the slowest operation at its share. */
export interface BudgetBound {
  seconds: number;
  /** The operation whose quota sets the bound. */
  binding?: string;
  operations: OperationBound[];
}

/**
 * Computes the lower bound on a sweep's wall time from its KMS calls: each operation's calls
 * divided by its quota times `share`, then the largest. Each quota counts separately, so
 * operations can proceed side by side and the bound is their maximum, not their sum. Operations
 * without a quota in the table are listed with no time and never bind.
 */
export function budgetBound(kmsCalls: Record<string, number>, share: number): BudgetBound {
  const operations: OperationBound[] = Object.entries(kmsCalls).map(([operation, calls]) => {
    const quotaPerSecond = KMS_QUOTAS_PER_SECOND[operation];
    return quotaPerSecond === undefined ? { operation, calls } : { operation, calls, quotaPerSecond, seconds: calls / (quotaPerSecond * share) };
  });
  let bound: BudgetBound = { seconds: 0, operations };
  for (const entry of operations) {
    if (entry.seconds !== undefined && entry.seconds > bound.seconds) bound = { seconds: entry.seconds, binding: entry.operation, operations };
  }
  return bound;
}
