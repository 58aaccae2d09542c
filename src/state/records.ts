/** Items of the state table. Times are ISO 8601 strings in UTC unless the name ends in `Ms`. */

export const ROTATION_STEPS = {
  /** CreateKey is about to run or ran with an unknown outcome. */
  intent: 'intent',
  /** The successor exists and is recorded; it has not passed its self-test yet. */
  created: 'created',
  /** The successor passed its self-test and may be promoted. */
  tested: 'tested',
  /** An asymmetric or HMAC successor is published and waits out the alias's overlap window. */
  published: 'published',
} as const;
export type RotationStep = (typeof ROTATION_STEPS)[keyof typeof ROTATION_STEPS];

export type RotationTrigger = 'schedule' | 'manual';

/** The in-flight rotation of one alias, kept on the alias item beside its lease. */
export interface RotationRecord {
  id: string;
  step: RotationStep;
  trigger: RotationTrigger;
  reason?: string;
  oldKeyId: string;
  oldKeyArn: string;
  successorKeyId?: string;
  successorKeyArn?: string;
  /** Generation number the successor will have. */
  generation: number;
  startedAt: string;
  /** ARN of the person who asked, from a verified identity proof. */
  requestedBy?: string;
  /** When `Successor Published` went out; promotion waits until this plus the overlap window. */
  publishedAt?: string;
  /** Promote without waiting out the overlap window (a compromised key). */
  skipOverlap?: boolean;
  /** Grants on the old key: callers that use grants need new ones on the successor. */
  oldKeyGrants?: GrantSummary[];
  /**
   * Replicas of a multi-Region successor by Region, each recorded as soon as ReplicateKey made it
   * or a resumed run found it. Promotion waits until every replica Region has one with `testedAt`.
   */
  replicas?: Record<string, ReplicaRecord>;
  /**
   * When kms-rotator pointed each Region's alias at the successor, by Region, primary included.
   * Multi-Region rotations only: they move one alias per Region and may stop between Regions.
   */
  aliasesMovedAt?: Record<string, string>;
}

/** One replica Region's copy of a multi-Region successor. */
export interface ReplicaRecord {
  /** ARN of the old key's replica in this Region, which the alias targeted when the rotation started. */
  oldKeyArn: string;
  /** ARN of the successor's replica in this Region. */
  keyArn: string;
  /** When the replica passed its self-test in its Region. */
  testedAt?: string;
}

export interface GrantSummary {
  grantId: string;
  granteePrincipal?: string;
  operations: string[];
}

/** Why an alias is paused, and by whom. */
export interface PauseRecord {
  reason: string;
  /** `rollback` when a rollback paused it. */
  cause: 'person' | 'rollback';
  by?: string;
  at: string;
}

/** The last reason the alias could not rotate, kept so `Rotation Blocked` goes out once per change. */
export interface BlockedRecord {
  keyId: string;
  reason: string;
  since: string;
}

export interface AliasItem {
  alias: string;
  region: string;
  /** The key the tool last recorded as the alias target; KMS wins where they differ. */
  currentKeyId?: string;
  currentKeyArn?: string;
  /** When the tool pointed the alias at the current key; absent for an adopted key. */
  promotedAt?: string;
  /** Creation date of an adopted current key, so a sweep can age it without DescribeKey. */
  currentKeyCreatedAt?: string;
  /** Number of the newest generation; 0 before adoption. */
  generation: number;
  leaseOwner?: string;
  leaseExpiresAtMs?: number;
  rotation?: RotationRecord;
  paused?: PauseRecord;
  blocked?: BlockedRecord;
  /** When a person last rotated the alias, for the force cooldown. */
  lastManualRotationAt?: string;
  /** Key for which `Rotation Due Soon` already went out. */
  dueSoonNotifiedKeyId?: string;
}

export const GENERATION_STATES = {
  current: 'current',
  superseded: 'superseded',
  /** An approved retirement request disabled the key. */
  disabled: 'disabled',
  /** An approved retirement request scheduled the key's deletion. */
  pendingDeletion: 'pending-deletion',
  /** A multi-Region primary whose deletion waits for its replicas to be deleted. */
  pendingReplicaDeletion: 'pending-replica-deletion',
  deleted: 'deleted',
} as const;
export type GenerationState = (typeof GENERATION_STATES)[keyof typeof GENERATION_STATES];

/** One key that an alias has pointed at under the tool's management. */
export interface GenerationItem {
  alias: string;
  region: string;
  generation: number;
  keyId: string;
  keyArn: string;
  state: GenerationState;
  /** `adopted` for the key found on the alias, `rotated` for a successor the tool created. */
  source: 'adopted' | 'rotated';
  recordedAt: string;
  promotedAt?: string;
  supersededAt?: string;
  rotationId?: string;
  reason?: string;
  requestedBy?: string;
  /** Set when a rollback moved the alias off this key. */
  rolledBackAt?: string;
  /** ARNs of a multi-Region key's replicas that kms-rotator manages, by Region. */
  replicaKeyArns?: Record<string, string>;
  /** When an approved retirement request disabled the key. */
  disabledAt?: string;
  /** When an approved retirement request called ScheduleKeyDeletion. */
  deletionScheduledAt?: string;
  /** DeletionDate that KMS returned; absent while a primary waits in PendingReplicaDeletion. */
  deletionDate?: string;
  /** Id of the retirement request that last changed this generation's state. */
  retirementRequestId?: string;
  /**
   * When kms-rotator found that a person re-enabled the key or cancelled its deletion. The retire
   * function files no more requests for this generation; a person may still file one.
   */
  retirementWithdrawnAt?: string;
}

/** One on-demand rotation of key material in a key that keeps its id (native strategy). */
export interface MaterialRotationItem {
  alias: string;
  region: string;
  keyId: string;
  keyArn: string;
  rotationType: 'ON_DEMAND';
  trigger: RotationTrigger;
  reason?: string;
  requestedBy?: string;
  runId: string;
  rotatedAt: string;
}
