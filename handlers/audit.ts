import { Logger } from '@aws-lambda-powertools/logger';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { Context } from 'aws-lambda';
import { systemClock } from '../src/clock.js';
import { createClients } from '../src/aws/clients.js';
import { KeyMarks } from '../src/audit/marks.js';
import { handleAuditBatch, handleAuditEvent, RejectionLog, type AuditRuntime } from '../src/audit/process.js';
import { managedAliasTest } from '../src/audit/managed-aliases.js';
import { resolveAuditSettings } from '../src/audit/rules.js';
import { AuditStore } from '../src/audit/store.js';
import { checkTrailsAtColdStart } from '../src/audit/trail-check.js';
import { loadDeployedConfig } from '../src/config/load.js';
import { loadEnvironment, loadStage } from '../src/runtime/environment.js';

const logger = new Logger({ serviceName: 'kms-rotator' });

let runtime: Promise<AuditRuntime> | undefined;

/** Reads the environment and config, and checks for a logging trail, once per cold start. */
async function coldStart(): Promise<AuditRuntime> {
  const environment = loadEnvironment();
  const config = loadDeployedConfig(environment.configPath);
  const clients = createClients({ region: environment.region, quotaShare: config.quotaShare });
  const started: AuditRuntime = {
    deps: {
      kms: clients.kms,
      eventbridge: clients.eventbridge,
      busName: environment.busName,
      store: new AuditStore(clients.dynamodb, environment.tableName),
      marks: new KeyMarks(clients.dynamodb, environment.tableName),
      region: environment.region,
      stateTableName: environment.tableName,
      stage: loadStage(),
      clock: systemClock,
      logger,
      cloudtrail: new CloudTrailClient({ region: environment.region }),
    },
    settings: resolveAuditSettings(config),
    isManagedAlias: managedAliasTest(config),
    rejections: new RejectionLog(),
  };
  await checkTrailsAtColdStart(started);
  return started;
}

/** Entry point of the `audit` function: one EventBridge event, or an array of events or CloudTrail records. */
export async function handler(event: unknown, context?: Context) {
  runtime ??= coldStart();
  const ready = await runtime.catch((error: unknown) => {
    runtime = undefined;
    throw error;
  });
  if (context) logger.addContext(context);
  if (Array.isArray(event)) return handleAuditBatch(ready, event);
  return handleAuditEvent(ready, event);
}
