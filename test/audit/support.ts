import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { LOCAL_BUS_NAME, LOCAL_TABLE_NAME } from '../../local/cloud.js';
import { toolIdentity, type LocalIdentity } from '../../local/identities.js';
import { KeyMarks } from '../../src/audit/marks.js';
import { RejectionLog, type AuditRuntime } from '../../src/audit/process.js';
import { managedAliasTest } from '../../src/audit/managed-aliases.js';
import { resolveAuditSettings } from '../../src/audit/rules.js';
import { AuditStore } from '../../src/audit/store.js';
import type { RotationConfig } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/yaml.js';
import type { TestCloud } from '../support/local-cloud.js';

/** Reads a sample event from events/audit/. */
export function fixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(new URL(`../../events/audit/${name}`, import.meta.url), 'utf8'));
}

export const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Config with alias/orders managed in us-east-1, and `settings` YAML lines added. */
export function auditConfig(settings = ''): RotationConfig {
  return parseConfig(`${settings ? `settings:\n${settings}` : ''}aliases:\n  - alias: alias/orders\n    regions: [us-east-1]\n    period: 90d\n`);
}

/** Builds an audit runtime on the local cloud, signed as the tool, for stage `stage` and state table `stateTableName`. */
export function auditRuntime(
  test: TestCloud,
  options: { config?: RotationConfig; stage?: string; stateTableName?: string; cloudtrail?: CloudTrailClient; logger?: Logger } = {},
): AuditRuntime {
  const clients = test.cloud.clients(toolIdentity);
  const config = options.config ?? auditConfig();
  return {
    deps: {
      kms: clients.kms,
      eventbridge: clients.eventbridge,
      busName: LOCAL_BUS_NAME,
      store: new AuditStore(clients.dynamodb, LOCAL_TABLE_NAME),
      marks: new KeyMarks(clients.dynamodb, LOCAL_TABLE_NAME),
      region: test.cloud.region,
      stateTableName: options.stateTableName ?? 'kms-rotator-prod-state',
      stage: options.stage ?? 'prod',
      clock: test.clock,
      logger: options.logger ?? new Logger({ serviceName: 'kms-rotator', logLevel: 'SILENT' }),
      ...(options.cloudtrail ? { cloudtrail: options.cloudtrail } : {}),
    },
    settings: resolveAuditSettings(config),
    isManagedAlias: managedAliasTest(config),
    rejections: new RejectionLog(),
  };
}

/** Returns a CloudTrail client of the local cloud's emulator, signed as `identity`. */
export function cloudTrailClient(test: TestCloud, identity: LocalIdentity = toolIdentity): CloudTrailClient {
  return new CloudTrailClient({
    region: test.cloud.region,
    endpoint: test.cloud.emulator.endpoint,
    credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey },
  });
}

/** Events published on the project's bus with `detailType`, details parsed. */
export function published(test: TestCloud, detailType: string): Array<Record<string, any>> {
  return test.cloud.emulator
    .events()
    .filter((event) => event.eventBusName === LOCAL_BUS_NAME && event.detailType === detailType)
    .map((event) => (typeof event.detail === 'string' ? JSON.parse(event.detail) : event.detail) as Record<string, any>);
}
