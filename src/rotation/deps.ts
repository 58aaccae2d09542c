import type { Logger } from '@aws-lambda-powertools/logger';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { Clock } from '../clock.js';
import type { StateTable } from '../state/state-table.js';
import type { FanOut } from './fan-out.js';
import type { IdentityVerifier } from './identity.js';

/** The part of the Powertools logger the core uses. */
export type CoreLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** Everything the rotation core talks to, passed in so tests and the local runner choose it. */
export interface RotationDeps {
  kms: KMSClient;
  /** Used only for CreateKey and RotateKeyOnDemand; see AwsClients.kmsSingleAttempt. */
  kmsSingleAttempt: KMSClient;
  eventbridge: EventBridgeClient;
  table: StateTable;
  busName: string;
  /** The Region this deployment manages. */
  region: string;
  clock: Clock;
  logger: CoreLogger;
  /** How long a run may hold an alias's lease before another run may take it over. */
  leaseDurationMs: number;
  /**
   * Returns a KMS client of another Region, for the replica Regions of multi-Region aliases. The
   * primary Region uses `kms`. Without it, a multi-Region alias fails at its replica checks.
   */
  kmsIn?: (region: string) => KMSClient;
  /** Spaces CreateKey calls to the run's share of the KMS quota; without it, calls are not spaced. */
  createKeyPacer?: { wait(): Promise<void> };
  /**
   * Starts other runs of the rotate function for the due aliases a sweep may not rotate itself.
   * Without it, those aliases are deferred to the next sweep.
   */
  fanOut?: FanOut;
  /** Checks the identity proofs of people's requests; without it, requests that need one are rejected. */
  identity?: IdentityVerifier;
}

/** A Lambda run lasts at most 15 minutes, so a lease of 15 minutes outlives any live holder. */
export const DEFAULT_LEASE_DURATION_MS = 15 * 60 * 1000;
