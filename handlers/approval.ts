import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { invokeAsync } from '../src/aws/lambda-invoke.js';
import type { RotationConfig } from '../src/config/load.js';
import type { RetirementDeps } from '../src/retirement/deps.js';
import { handleApprovalInvoke } from '../src/retirement/invoke.js';
import { retirementColdStart } from '../src/retirement/runtime.js';
import { loadStage } from '../src/runtime/environment.js';

const logger = new Logger({ serviceName: 'kms-rotator' });

let runtime: { deps: RetirementDeps; config: RotationConfig } | undefined;

/**
 * Entry point of the `approval` function: the HTTP API (file, list, approve, reject), and
 * `{ "execute": "<id>" }`, which it sends itself asynchronously when a request has its approvals.
 */
export async function handler(event: unknown, context: Context) {
  runtime ??= retirementColdStart(logger, loadStage());
  logger.addContext(context);
  const { region } = runtime.deps;
  const deps: RetirementDeps = {
    ...runtime.deps,
    // InvocationType Event queues the invoke and returns at once, so the HTTP response does not
    // wait for the checks and the KMS calls. Lambda retries a failed asynchronous run twice.
    invokeSelf: (payload) => invokeAsync(region, context.invokedFunctionArn, payload),
  };
  return handleApprovalInvoke(deps, runtime.config, event);
}
