/** Retirement requests: one key, one action, approved by people before kms-rotator acts. */

export const RETIREMENT_STATUSES = ['open', 'executing', 'done', 'rejected', 'refused', 'expired', 'withdrawn'] as const;
export type RetirementStatus = (typeof RETIREMENT_STATUSES)[number];

/** Statuses a request never leaves. */
export const FINAL_STATUSES: readonly RetirementStatus[] = ['done', 'rejected', 'refused', 'expired', 'withdrawn'];

export const RETIREMENT_ACTIONS = ['disable', 'delete'] as const;
export type RetirementAction = (typeof RETIREMENT_ACTIONS)[number];

/** KMS accepts a PendingWindowInDays from 7 to 30. */
export const MIN_PENDING_WINDOW_DAYS = 7;
export const MAX_PENDING_WINDOW_DAYS = 30;

/** Requester of the requests that the retire function files. */
export const TOOL_REQUESTER = 'kms-rotator';

export interface Approval {
  /** ARN that STS returned for the approver's identity proof. */
  by: string;
  /** The approver as compared with the requester and other approvers; see principalOf. */
  principal: string;
  at: string;
}

/** One successful or blocked call on a key, as CloudTrail or KMS recorded it. */
export interface UseEvidence {
  principal?: string;
  operation: string;
  time: string;
  /** CloudTrail event id, or the audit mark's id. */
  eventId?: string;
  errorCode?: string;
  source: 'GetKeyLastUsage' | 'CloudTrail' | 'audit';
}

/** Names of the checks that run right before kms-rotator disables a key or schedules its deletion. */
export const CHECK_NAMES = [
  'configured-alias',
  'alias-target',
  'foreign-grant',
  'key-state',
  'quiet-period',
  'disabled-long-enough',
  'blocked-use',
  'deletion-allowed',
  'public-key-withdrawn',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/** The end of a request: who or what ended it, and why. */
export interface Decision {
  /** ARN of the person who rejected the request; absent when a check or the clock ended it. */
  by?: string;
  reason?: string;
  /** The check that failed, for `refused`. */
  check?: CheckName;
  message: string;
  evidence?: UseEvidence[] | Record<string, unknown>[];
  at: string;
}

/** Key states that KMS returned when a request was done. */
export interface RetirementResult {
  /** KeyState of each key acted on, by Region, primary included. */
  keyStates: Record<string, string>;
  /** Deletion date of the primary key; absent in PendingReplicaDeletion, which has none yet. */
  deletionDate?: string;
  /** Key ARNs acted on, by Region, in the order of the calls. */
  order: string[];
}

export interface RetirementRequest {
  id: string;
  keyArn: string;
  keyId: string;
  alias: string;
  /** Region of the key: the alias's Region in this stack, the primary Region for multi-Region keys. */
  region: string;
  generation: number;
  action: RetirementAction;
  /** Deletion requests only: days from 7 to 30. */
  pendingWindowInDays?: number;
  /** ARN of the requester from STS, or `kms-rotator` for requests the retire function filed. */
  requestedBy: string;
  requesterPrincipal: string;
  reason: string;
  createdAt: string;
  expiresAt: string;
  requiredApprovals: number;
  approvals: Approval[];
  status: RetirementStatus;
  remindedAt?: string;
  /** When the approval that completed the count moved the request to `executing`. */
  executionStartedAt?: string;
  closedAt?: string;
  decision?: Decision;
  result?: RetirementResult;
}

export function isFinal(status: RetirementStatus): boolean {
  return FINAL_STATUSES.includes(status);
}
