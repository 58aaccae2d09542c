import type { RotationTrigger } from '../state/records.js';

/** The request that one run serves for one alias. */
export interface RotationRequest {
  /** Identifies the run; also the lease owner. */
  runId: string;
  trigger: RotationTrigger;
  /** The person's reason for this rotation, recorded in the table, the event and the log. */
  reason?: string;
  /** False when the run may not create another key (its cap is reached). */
  mayCreate: boolean;
  /** Rotate even though the alias is paused (a person's explicit request). */
  force?: boolean;
  /** Promote without waiting out the overlap window (a compromised asymmetric or HMAC key). */
  skipOverlap?: boolean;
  /** ARN of the person who asked, from a verified identity proof. */
  requestedBy?: string;
  /** Called once CreateKey has made a successor, so a sweep counts keys against its cap. */
  onKeyCreated?: () => void;
  /** Called when KMS throttled CreateKey, so a sweep stops creating keys for the rest of the run. */
  onCreateThrottled?: () => void;
  /** The reason the run may not create a key, for the `deferred` outcome's message. */
  deferReason?: string;
}
