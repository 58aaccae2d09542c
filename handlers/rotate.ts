import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { systemClock } from '../src/clock.js';
import { createClients, perRegion } from '../src/aws/clients.js';
import { invokeAsync } from '../src/aws/lambda-invoke.js';
import { loadDeployedConfig, type RotationConfig } from '../src/config/load.js';
import { DEFAULT_LEASE_DURATION_MS, type RotationDeps } from '../src/rotation/deps.js';
import type { FanOut } from '../src/rotation/fan-out.js';
import { handleRotateInvoke } from '../src/rotation/handle-invoke.js';
import { createKeyPacer } from '../src/rotation/pacer.js';
import { stsIdentityVerifier } from '../src/rotation/identity.js';
import { addOutcomeMetrics } from '../src/rotation/metrics.js';
import { loadEnvironment } from '../src/runtime/environment.js';
import { StateTable } from '../src/state/state-table.js';

const logger = new Logger({ serviceName: 'kms-rotator' });
const metrics = new Metrics({ namespace: 'kms-rotator', serviceName: 'kms-rotator' });

let runtime: { deps: RotationDeps; config: RotationConfig } | undefined;

/** Reads the environment and validates the config once per cold start; a bad config fails every invoke loudly. */
function coldStart(): { deps: RotationDeps; config: RotationConfig } {
  const environment = loadEnvironment();
  const config = loadDeployedConfig(environment.configPath);
  const clients = createClients({ region: environment.region, quotaShare: config.quotaShare });
  // Replica Regions of multi-Region aliases get their own KMS client, made on first use.
  const kmsIn = perRegion((region) => createClients({ region, quotaShare: config.quotaShare }).kms);
  const deps: RotationDeps = {
    ...clients,
    kmsIn,
    table: new StateTable(clients.dynamodb, environment.tableName),
    busName: environment.busName,
    region: environment.region,
    clock: systemClock,
    logger,
    leaseDurationMs: DEFAULT_LEASE_DURATION_MS,
    identity: stsIdentityVerifier(environment.stsEndpoint),
    createKeyPacer: createKeyPacer(config.quotaShare),
  };
  return { deps, config };
}

/** Returns the fan-out of this function: one run of it per alias a sweep hands over, which Lambda does not retry (maximumRetryAttempts 0). */
function fanOutFrom(context: Context, region: string): FanOut {
  return {
    invoke: (event) => invokeAsync(region, context.invokedFunctionArn, event),
    remainingMs: () => context.getRemainingTimeInMillis(),
  };
}

/** Entry point of the `rotate` function: a scheduled sweep, or `{ "alias", "reason" }` to rotate one alias now. */
export async function handler(event: unknown, context?: Context) {
  runtime ??= coldStart();
  if (context) logger.addContext(context);
  const deps = context ? { ...runtime.deps, fanOut: fanOutFrom(context, runtime.deps.region) } : runtime.deps;
  const result = await handleRotateInvoke(deps, runtime.config, event, context?.awsRequestId);
  addOutcomeMetrics(metrics, result);
  metrics.publishStoredMetrics();
  return result;
}
