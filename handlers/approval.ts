import { Logger } from '@aws-lambda-powertools/logger';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import type { RotationConfig } from '../src/config/load.js';
import type { RetirementDeps } from '../src/retirement/deps.js';
import { handleApprovalInvoke } from '../src/retirement/invoke.js';
import { retirementColdStart } from '../src/retirement/runtime.js';
import { loadStage } from '../src/runtime/environment.js';

const logger = new Logger({ serviceName: 'kms-rotator' });

let runtime: { deps: RetirementDeps; config: RotationConfig; lambda: LambdaClient } | undefined;

/**
 * Entry point of the `approval` function: the HTTP API (file, list, approve, reject), and
 * `{ "execute": "<id>" }`, which it sends itself asynchronously when a request has its approvals.
 */
export async function handler(event: unknown, context: Context) {
  if (!runtime) {
    const { deps, config } = retirementColdStart(logger, loadStage());
    runtime = { deps, config, lambda: new LambdaClient({ region: deps.region }) };
  }
  logger.addContext(context);
  const { lambda } = runtime;
  const deps: RetirementDeps = {
    ...runtime.deps,
    // InvocationType Event queues the invoke and returns at once, so the HTTP response does not
    // wait for the checks and the KMS calls. Lambda retries a failed asynchronous run twice.
    invokeSelf: async (payload) => {
      await lambda.send(new InvokeCommand({ FunctionName: context.invokedFunctionArn, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
    },
  };
  return handleApprovalInvoke(deps, runtime.config, event);
}
