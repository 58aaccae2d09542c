import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { KeyMarks } from '../src/audit/marks.js';
import { managedAliasTest } from '../src/audit/managed-aliases.js';
import { RejectionLog, type AuditRuntime } from '../src/audit/process.js';
import { resolveAuditSettings } from '../src/audit/rules.js';
import { AuditStore } from '../src/audit/store.js';
import type { RotationConfig } from '../src/config/load.js';
import type { PublishedEvent } from './emulator/index.js';
import { LOCAL_TABLE_NAME, type LocalCloud } from './cloud.js';
import { toolIdentity } from './identities.js';

/** The stage of the local roles' names, `kms-rotator-local-<region>-<function>`. */
export const LOCAL_STAGE = 'local';

/** Detail types the audit function's EventBridge rule matches on `source: aws.kms`, as serverless.yml declares them. */
const AUDITED_DETAIL_TYPES = new Set([
  'AWS API Call via CloudTrail',
  'AWS Service Event via CloudTrail',
  'KMS CMK Rotation',
  'KMS CMK Deletion',
  'KMS Imported Key Material Expiration',
]);

/** The audit function's runtime on the local cloud, signed as the tool's role like the other functions. */
export function localAuditRuntime(cloud: LocalCloud, config: RotationConfig): AuditRuntime {
  const rotation = cloud.rotationDeps();
  const dynamodb = cloud.clients().dynamodb;
  return {
    deps: {
      kms: rotation.kms,
      ...(rotation.kmsIn ? { kmsIn: rotation.kmsIn } : {}),
      eventbridge: rotation.eventbridge,
      busName: rotation.busName,
      store: new AuditStore(dynamodb, LOCAL_TABLE_NAME),
      marks: new KeyMarks(dynamodb, LOCAL_TABLE_NAME),
      region: rotation.region,
      stateTableName: LOCAL_TABLE_NAME,
      stage: LOCAL_STAGE,
      clock: rotation.clock,
      logger: rotation.logger,
      cloudtrail: new CloudTrailClient({
        region: rotation.region,
        endpoint: cloud.endpoints.kms,
        credentials: { accessKeyId: toolIdentity.accessKeyId, secretAccessKey: toolIdentity.secretAccessKey },
      }),
    },
    settings: resolveAuditSettings(config),
    isManagedAlias: managedAliasTest(config),
    rejections: new RejectionLog(),
  };
}

/** True for an event the audit function's rule delivers: KMS activity on the account's default bus. */
export function matchesAuditRule(event: PublishedEvent): boolean {
  return event.eventBusName === 'default' && event.source === 'aws.kms' && AUDITED_DETAIL_TYPES.has(event.detailType);
}

/** The event as EventBridge hands it to a Lambda target. */
export function asEventBridgeEvent(event: PublishedEvent): Record<string, unknown> {
  return {
    version: '0',
    id: event.id,
    'detail-type': event.detailType,
    source: event.source,
    account: event.accountId,
    time: event.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: event.region,
    resources: event.resources,
    detail: event.detail,
  };
}
