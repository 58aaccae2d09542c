import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { Logger } from '@aws-lambda-powertools/logger';
import { KeyMarks } from '../audit/marks.js';
import { systemClock } from '../clock.js';
import { createClients, perRegion } from '../aws/clients.js';
import { loadDeployedConfig, type RotationConfig } from '../config/load.js';
import { stsIdentityVerifier } from '../rotation/identity.js';
import { loadEnvironment } from '../runtime/environment.js';
import { StateTable } from '../state/state-table.js';
import { auditMarksFrom } from './audit-marks.js';
import { toolRolePatterns, type RetirementDeps } from './deps.js';
import { RetirementStore } from './store.js';

/**
 * Builds the retirement dependencies of a deployed function from its environment and validates
 * the config. `stage` is the deployment stage, whose roles count as the tool's own.
 * `invokeSelf` is left to the approval handler, which reads its own ARN from each invoke's context.
 */
export function retirementColdStart(logger: Logger, stage: string): { deps: RetirementDeps; config: RotationConfig } {
  const environment = loadEnvironment();
  const config = loadDeployedConfig(environment.configPath);
  const clients = createClients({ region: environment.region, quotaShare: config.quotaShare });
  const kmsIn = perRegion((region) => createClients({ region, quotaShare: config.quotaShare }).kms);
  const cloudtrailIn = perRegion((region) => new CloudTrailClient({ region }));
  const deps: RetirementDeps = {
    kms: clients.kms,
    kmsIn,
    eventbridge: clients.eventbridge,
    table: new StateTable(clients.dynamodb, environment.tableName),
    store: new RetirementStore(clients.dynamodb, environment.tableName),
    busName: environment.busName,
    region: environment.region,
    clock: systemClock,
    logger,
    cloudtrailIn,
    marks: auditMarksFrom(new KeyMarks(clients.dynamodb, environment.tableName)),
    identity: stsIdentityVerifier(environment.stsEndpoint),
    toolRolePatterns: toolRolePatterns(stage),
  };
  return { deps, config };
}
