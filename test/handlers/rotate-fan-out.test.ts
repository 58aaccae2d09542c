import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VirtualClock } from '../../local/clock.js';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { operatorIdentity } from '../../local/identities.js';
import { bundleHandler } from '../support/bundle.js';
import { createAliasedKey } from '../support/local-cloud.js';
import { stubHandlerEnvironment } from '../support/handler-env.js';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:111122223333:function:kms-rotator-local-us-east-1-rotate';
const SCHEDULED_EVENT = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2027-01-01T00:00:00Z', detail: {} };

interface Invocation {
  method: string;
  path: string;
  invocationType: string | undefined;
  body: unknown;
}

/** Stands in for the Lambda Invoke API on 127.0.0.1 and records what the function asked it to run. */
async function startFakeLambda(): Promise<{ server: Server; endpoint: string; invocations: Invocation[] }> {
  const invocations: Invocation[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      invocations.push({
        method: request.method ?? '',
        path: decodeURIComponent(request.url ?? ''),
        invocationType: request.headers['x-amz-invocation-type'] as string | undefined,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      response.writeHead(202, { 'content-type': 'application/json', 'x-amzn-requestid': 'fake-lambda' });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, invocations };
}

function contextFor(requestId: string): Context {
  return {
    awsRequestId: requestId,
    invokedFunctionArn: FUNCTION_ARN,
    functionName: 'kms-rotator-local-us-east-1-rotate',
    getRemainingTimeInMillis: () => 840_000,
  } as Context;
}

const variants: Array<{ name: string; load: () => Promise<Handler> }> = [
  { name: 'source', load: async () => (await import('../../handlers/rotate.js')).handler as Handler },
  { name: 'esbuild bundle', load: async () => (await import(pathToFileURL(await bundleHandler('handlers/rotate.ts')).href)).handler as Handler },
];

describe.each(variants)('rotate handler fan-out ($name)', ({ load }) => {
  let cloud: LocalCloud;
  let lambda: Awaited<ReturnType<typeof startFakeLambda>>;
  let handler: Handler;

  beforeAll(async () => {
    // Keys made 100 days ago are due under the fixture's 90-day period on the real clock.
    const clock = new VirtualClock(Date.now() - 100 * 86_400_000);
    cloud = await startLocalCloud({ clock });
    for (const alias of ['alias/fan-a', 'alias/fan-b', 'alias/fan-c']) await createAliasedKey(cloud.clients(operatorIdentity).kms, alias);
    clock.set(Date.now());
    lambda = await startFakeLambda();

    stubHandlerEnvironment(cloud, 'test/fixtures/fan-out.config.json', { AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint });
    handler = await load();
  }, 60_000);

  afterAll(async () => {
    vi.unstubAllEnvs();
    await new Promise((resolve) => lambda.server.close(resolve));
    await cloud.close();
  });

  it('invokes itself once per alias beyond the cap', async () => {
    const sweepRunId = '5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

    const result = (await handler(SCHEDULED_EVENT, contextFor(sweepRunId))) as { aliases: Array<{ alias: string; outcome: string }> };

    expect(result.aliases.map(({ alias, outcome }) => [alias, outcome])).toEqual([
      ['alias/fan-a', 'rotated'],
      ['alias/fan-b', 'fanned-out'],
      ['alias/fan-c', 'fanned-out'],
    ]);
    expect(lambda.invocations).toEqual(
      ['alias/fan-b', 'alias/fan-c'].map((alias) => ({
        method: 'POST',
        path: `/2015-03-31/functions/${FUNCTION_ARN}/invocations`,
        invocationType: 'Event',
        body: { fanOut: true, alias, sweepRunId },
      })),
    );

    for (const [index, invocation] of lambda.invocations.entries()) {
      const outcome = (await handler(invocation.body, contextFor(`5f0c1a2b-3c4d-4e5f-8a9b-00000000000${index}`))) as { alias: string; outcome: string; currentKeyId: string };
      expect(outcome).toMatchObject({ alias: (invocation.body as { alias: string }).alias, outcome: 'rotated' });
      const target = await cloud.clients(operatorIdentity).kms.send(new DescribeKeyCommand({ KeyId: outcome.alias }));
      expect(target.KeyMetadata?.KeyId).toBe(outcome.currentKeyId);
    }
    expect(lambda.invocations).toHaveLength(2);
  });
});
