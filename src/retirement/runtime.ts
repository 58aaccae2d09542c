import type { KMSClient } from '@aws-sdk/client-kms';
import type { Logger } from '@aws-lambda-powertools/logger';
import { KeyMarks } from '../audit/marks.js';
import { systemClock } from '../clock.js';
import { createClients } from '../aws/clients.js';
import { loadConfigFile, type RotationConfig } from '../config/load.js';
import { stsIdentityVerifier } from '../rotation/identity.js';
import { loadEnvironment } from '../runtime/environment.js';
import { StateTable } from '../state/state-table.js';
import { auditMarksFrom } from './audit-marks.js';
import { signedTrailLookup } from './cloudtrail.js';
import { DEFAULT_TOOL_ROLE_PATTERNS, type RetirementDeps, type TrailLookup } from './deps.js';
import { RetirementStore } from './store.js';

/**
 * Builds the retirement dependencies of a deployed function from its environment and validates
 * the config. `invokeSelf` is left to the approval handler, which reads its own ARN from each invoke's context.
 */
export function retirementColdStart(logger: Logger): { deps: RetirementDeps; config: RotationConfig } {
  const environment = loadEnvironment();
  const config = loadConfigFile(environment.configPath);
  const clients = createClients({ region: environment.region });
  const regionalKms = new Map<string, KMSClient>();
  const kmsIn = (region: string): KMSClient => {
    let kms = regionalKms.get(region);
    if (!kms) {
      kms = createClients({ region }).kms;
      regionalKms.set(region, kms);
    }
    return kms;
  };
  // NOTE: CloudTrail is always reached at its Regional AWS endpoint; no AWS_ENDPOINT_URL_CLOUDTRAIL is read.
  const trails = new Map<string, TrailLookup>();
  const trailIn = (region: string): TrailLookup => {
    let trail = trails.get(region);
    if (!trail) {
      trail = signedTrailLookup({ region, credentialsFrom: clients.kms });
      trails.set(region, trail);
    }
    return trail;
  };
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
    trailIn,
    marks: auditMarksFrom(new KeyMarks(clients.dynamodb, environment.tableName)),
    identity: stsIdentityVerifier(environment.stsEndpoint),
    toolRolePatterns: DEFAULT_TOOL_ROLE_PATTERNS,
  };
  return { deps, config };
}
