import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { Clock } from '../clock.js';
import type { CoreLogger } from '../rotation/deps.js';
import type { IdentityVerifier } from '../rotation/identity.js';
import type { StateTable } from '../state/state-table.js';
import type { RetirementStore } from './store.js';

/** One CloudTrail management event on a key, as LookupEvents returns it. */
export interface TrailEvent {
  eventId: string;
  eventName: string;
  eventTime: Date;
  /** `userIdentity.arn` of the record; absent for calls by AWS services. */
  principal?: string;
  errorCode?: string;
  errorMessage?: string;
}

/** CloudTrail LookupEvents in one Region, limited to what the retirement checks need. */
export interface TrailLookup {
  /** Returns every event whose resources name `keyArn` between `start` and `end`, all pages. */
  eventsForKey(keyArn: string, start: Date, end: Date): Promise<TrailEvent[]>;
}

/** A call that failed because the key was disabled or pending deletion, as the audit function marks it. */
export interface BlockedUse {
  keyArn: string;
  principal?: string;
  operation: string;
  time: string;
  errorCode?: string;
  id?: string;
}

/** The audit function's marks on keys, read-only. */
export interface AuditMarks {
  listBlockedUses(keyArn: string, since: Date): Promise<BlockedUse[]>;
  /** True while the audit safety net's mark on a used key pending deletion is not cleared by a person. */
  hasUnclearedDeletionMark(keyArn: string): Promise<boolean>;
}

/** Marks of a deployment without the audit function: none. */
export const noAuditMarks: AuditMarks = {
  listBlockedUses: async () => [],
  hasUnclearedDeletionMark: async () => false,
};

/** Everything the retirement core talks to, passed in so that tests and the local runner choose it. */
export interface RetirementDeps {
  kms: KMSClient;
  /** KMS client of another Region, for the replicas of multi-Region keys. */
  kmsIn?: (region: string) => KMSClient;
  eventbridge: EventBridgeClient;
  table: StateTable;
  store: RetirementStore;
  busName: string;
  /** The Region this deployment manages. */
  region: string;
  clock: Clock;
  logger: CoreLogger;
  /** CloudTrail LookupEvents of one Region. */
  trailIn: (region: string) => TrailLookup;
  marks: AuditMarks;
  /** Checks people's identity proofs; the retire function has none and needs none. */
  identity?: IdentityVerifier;
  /**
   * Starts `{ execute: id }` asynchronously: Lambda InvokeCommand with InvocationType `Event` in
   * AWS, a call on a later tick locally. The approval function only.
   */
  invokeSelf?: (payload: { execute: string }) => Promise<void>;
  /**
   * ARN patterns of the tool's own roles (after principalOf). They never approve, and their
   * grants and calls on a key do not count as use.
   */
  toolRolePatterns: string[];
}

/** Role names follow kms-rotator-<stage>-<region>-<function>, so every stack's roles match this. */
export const DEFAULT_TOOL_ROLE_PATTERNS = ['arn:aws*:iam::*:role/kms-rotator-*-rotate', 'arn:aws*:iam::*:role/kms-rotator-*-retire', 'arn:aws*:iam::*:role/kms-rotator-*-approval', 'arn:aws*:iam::*:role/kms-rotator-*-audit'];

export function kmsOf(deps: Pick<RetirementDeps, 'kms' | 'kmsIn' | 'region'>, region: string): KMSClient {
  if (region === deps.region) return deps.kms;
  if (!deps.kmsIn) throw new Error(`No KMS client for ${region}: the deployment has no client for replica Regions`);
  return deps.kmsIn(region);
}
