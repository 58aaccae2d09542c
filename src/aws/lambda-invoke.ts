import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

/** Lambda clients by Region, made on first use. */
const clients = new Map<string, LambdaClient>();

/**
 * Queues one asynchronous invoke (InvocationType `Event`) of a function and returns without
 * waiting for its run. Queueing takes milliseconds, so a call still open after 10 s has stalled,
 * and it fails rather than hold the caller.
 */
export async function invokeAsync(region: string, functionArn: string, payload: unknown): Promise<void> {
  let client = clients.get(region);
  if (!client) {
    client = new LambdaClient({ region, requestHandler: { requestTimeout: 10_000, connectionTimeout: 5_000 } });
    clients.set(region, client);
  }
  await client.send(new InvokeCommand({ FunctionName: functionArn, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
}
