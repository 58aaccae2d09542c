import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { Clock } from '../clock.js';
import type { CoreLogger } from '../rotation/deps.js';
import type { KeyMarks } from './marks.js';
import type { AuditStore } from './store.js';

/** Everything the audit core talks to, passed in so tests and the local runner choose it. */
export interface AuditDeps {
  kms: KMSClient;
  /** KMS client of another Region, for an event of that Region; without it, `kms` is used. */
  kmsIn?: (region: string) => KMSClient;
  eventbridge: EventBridgeClient;
  busName: string;
  store: AuditStore;
  marks: KeyMarks;
  /** The Region this deployment runs in. */
  region: string;
  stateTableName: string;
  /** Deployment stage, the `<stage>` of the tool's role names `kms-rotator-<stage>-<region>-<function>`. */
  stage: string;
  clock: Clock;
  logger: CoreLogger;
  /** CloudTrail client of this Region, for the trail check; without it, the check is skipped with a warning. */
  cloudtrail?: CloudTrailClient;
}
