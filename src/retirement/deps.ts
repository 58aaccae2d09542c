import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
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
  /** CloudTrail client of a Region, for LookupEvents on a key or its replica in that Region. */
  cloudtrailIn: (region: string) => CloudTrailClient;
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

/** Functions of a stack; each has its own role. */
const TOOL_FUNCTIONS = ['rotate', 'retire', 'approval', 'audit'];

/** Role names follow kms-rotator-<stage>-<region>-<function>, so every stack's roles match this. */
export const DEFAULT_TOOL_ROLE_PATTERNS = toolRolePatterns('*');

/**
 * Returns the ARN patterns of the roles of every stack of `stage`, in any Region and account.
 * NOTE: `*` spans dashes, so the patterns of stage `prod` also match the roles of a stage named
 * `prod-<something>`.
 */
export function toolRolePatterns(stage: string): string[] {
  return TOOL_FUNCTIONS.map((name) => `arn:aws*:iam::*:role/kms-rotator-${stage}-*-${name}`);
}

export function kmsOf(deps: Pick<RetirementDeps, 'kms' | 'kmsIn' | 'region'>, region: string): KMSClient {
  if (region === deps.region) return deps.kms;
  if (!deps.kmsIn) throw new Error(`No KMS client for ${region}: the deployment has no client for replica Regions`);
  return deps.kmsIn(region);
}
