import type { RotationStepName } from './errors.js';

export const OUTCOMES = {
  rotated: 'rotated',
  notDue: 'not-due',
  /** The successor of an asymmetric or HMAC key is published and waits out the overlap window. */
  published: 'published',
  /** Native rotation had drifted from the config (disabled, or another period) and was set right. */
  repaired: 'repaired',
  /** The alias, or every alias, is paused; nothing was done. */
  paused: 'paused',
  /** The alias was pointed back at its previous key. */
  rolledBack: 'rolled-back',
  /** A person's request that a guard turned down (force cooldown, rollback target); nothing changed. */
  rejected: 'rejected',
  /** A person dropped the record of a CreateKey whose outcome was unknown. */
  abandoned: 'abandoned',
  /** Another run holds the alias's lease. */
  busy: 'busy',
  /** Due, but the run reached its cap on keys created; the next sweep takes it. */
  deferred: 'deferred',
  /** Due beyond the run's cap, and handed to its own run of the rotate function (fan-out). */
  fannedOut: 'fanned-out',
  /** A person must act before the alias can rotate (imported material, too many tags, ...). */
  blocked: 'blocked',
  failed: 'failed',
} as const;
export type Outcome = (typeof OUTCOMES)[keyof typeof OUTCOMES];

/** What one run did with one alias. */
export interface AliasOutcome {
  alias: string;
  region: string;
  outcome: Outcome;
  /** The key the alias targets after this run. */
  currentKeyId?: string;
  previousKeyId?: string;
  /** Age of the key that was current when the run planned, in whole days. */
  keyAgeDays?: number;
  step?: RotationStepName;
  message?: string;
  /** A failure that another attempt may not meet (throttling, a server fault, a timeout). */
  transient?: boolean;
}
