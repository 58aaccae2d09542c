/** Invokes the deployed rotate function synchronously, so the work runs under the function's role. */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { CliContext } from './context.js';
import { CliError, EXIT } from './errors.js';

/**
 * Sends `payload` to `functionName` with InvocationType RequestResponse and returns the parsed
 * result. The Lambda endpoint is AWS's, or AWS_ENDPOINT_URL_LAMBDA when set (the SDK reads it).
 * An error thrown by the function becomes a CliError: InvalidRequestError exits with the usage
 * code, because the function rejected the request before any change.
 */
export async function invokeRotateFunction(context: CliContext, functionName: string, payload: unknown): Promise<unknown> {
  const lambda = new LambdaClient({ region: context.region, credentials: context.credentials });
  try {
    const output = await lambda.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
    );
    const text = output.Payload ? new TextDecoder().decode(output.Payload) : '';
    if (output.FunctionError) {
      const failure = parseJson(text) as { errorType?: string; errorMessage?: string } | undefined;
      const message = `The function ${functionName} failed: ${failure?.errorType ?? output.FunctionError}: ${failure?.errorMessage ?? text}`;
      throw new CliError(message, failure?.errorType === 'InvalidRequestError' ? EXIT.usage : EXIT.failed);
    }
    const result = parseJson(text);
    if (result === undefined) throw new CliError(`The function ${functionName} returned a payload that is not JSON: ${text.slice(0, 200)}`);
    return result;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(describeInvokeError(error, functionName, context.region), EXIT.failed, { cause: error });
  } finally {
    lambda.destroy();
  }
}

function describeInvokeError(error: unknown, functionName: string, region: string): string {
  const name = (error as { name?: string }).name ?? 'Error';
  const message = (error as { message?: string }).message ?? String(error);
  if (name === 'ResourceNotFoundException') {
    return `The function ${functionName} was not found in ${region}: deploy the stack there, or pass --stage or --function`;
  }
  if (name === 'AccessDeniedException') {
    return `Access denied invoking ${functionName}: your credentials need lambda:InvokeFunction on it (${message})`;
  }
  return `Invoking ${functionName} in ${region} failed: ${name}: ${message}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
