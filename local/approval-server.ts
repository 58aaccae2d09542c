import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { systemClock, type Clock } from '../src/clock.js';
import type { RotationConfig } from '../src/config/load.js';
import { DEFAULT_TOOL_ROLE_PATTERNS, noAuditMarks, type AuditMarks, type RetirementDeps } from '../src/retirement/deps.js';
import { handleApprovalInvoke } from '../src/retirement/invoke.js';
import type { HttpApiEvent, HttpApiResult } from '../src/retirement/http.js';
import { RetirementStore } from '../src/retirement/store.js';
import { LOCAL_TABLE_NAME, type LocalCloud } from './cloud.js';
import { authenticate } from './emulator/auth.js';
import { AwsError } from './emulator/errors.js';
import { defaultIdentities, toolIdentity, type LocalIdentity } from './identities.js';

/** Largest request body the local API accepts; API Gateway's HTTP API allows 10 MB, far more than a request needs. */
const MAX_BODY_BYTES = 64 * 1024;

export interface LocalRetirementDeps {
  deps: RetirementDeps;
  /** Resolves when every execution started through `invokeSelf` so far has finished. */
  settled(): Promise<void>;
}

/**
 * Builds the approval and retire functions' dependencies on the local cloud. `invokeSelf` runs the
 * execution on a later tick, as Lambda's asynchronous invoke would, with the same dependencies.
 */
export function localRetirementDeps(
  cloud: LocalCloud,
  config: RotationConfig,
  overrides: Partial<RetirementDeps> & { marks?: AuditMarks } = {},
): LocalRetirementDeps {
  const rotation = cloud.rotationDeps();
  const running = new Set<Promise<unknown>>();
  // One CloudTrail client per Region, signed as the tool's role, as for KMS.
  const regionalCloudTrail = new Map<string, CloudTrailClient>();
  const cloudtrailIn = (region: string): CloudTrailClient => {
    let cloudtrail = regionalCloudTrail.get(region);
    if (!cloudtrail) {
      cloudtrail = new CloudTrailClient({
        region,
        endpoint: cloud.emulator.endpoint,
        credentials: { accessKeyId: toolIdentity.accessKeyId, secretAccessKey: toolIdentity.secretAccessKey },
      });
      regionalCloudTrail.set(region, cloudtrail);
    }
    return cloudtrail;
  };
  const deps: RetirementDeps = {
    kms: rotation.kms,
    ...(rotation.kmsIn ? { kmsIn: rotation.kmsIn } : {}),
    eventbridge: rotation.eventbridge,
    table: rotation.table,
    store: new RetirementStore(cloud.clients().dynamodb, LOCAL_TABLE_NAME),
    busName: rotation.busName,
    region: rotation.region,
    clock: rotation.clock,
    logger: rotation.logger,
    cloudtrailIn,
    marks: noAuditMarks,
    ...(rotation.identity ? { identity: rotation.identity } : {}),
    toolRolePatterns: DEFAULT_TOOL_ROLE_PATTERNS,
    invokeSelf: async (payload) => {
      const run = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => handleApprovalInvoke(deps, config, payload))
        .catch((error: unknown) => deps.logger.error('Local asynchronous execution failed', { payload, error: String(error) }))
        .finally(() => running.delete(run));
      running.add(run);
    },
    ...overrides,
  };
  return {
    deps,
    settled: async () => {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}

export interface ApprovalServerOptions {
  deps: RetirementDeps;
  config: RotationConfig;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Principals whose SigV4 signatures are accepted; the local identities unless set. */
  identities?: LocalIdentity[];
  /** Real time for signature checks, because clients sign with the real time. */
  signatureClock?: Clock;
}

export interface ApprovalServer {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Serves the approval API on 127.0.0.1 as API Gateway's HTTP API with the AWS_IAM authorizer
 * would: each request must carry a valid SigV4 signature for `execute-api` by a local identity
 * (403 otherwise), and becomes a payload format 2.0 event for the approval function's core.
 * The core still takes the caller only from the body's identity proof.
 */
export async function startApprovalServer(options: ApprovalServerOptions): Promise<ApprovalServer> {
  const identities = options.identities ?? defaultIdentities;
  const server = createServer((request, response) => {
    serve(request, response, options, identities).catch((error: unknown) => {
      options.deps.logger.error('Local approval API failed to serve a request', { error: String(error) });
      if (!response.headersSent) send(response, { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Internal Server Error' }) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function serve(request: IncomingMessage, response: ServerResponse, options: ApprovalServerOptions, identities: LocalIdentity[]): Promise<void> {
  const body = await readBody(request);
  if (body === undefined) {
    send(response, { statusCode: 413, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Request Entity Too Large' }) });
    return;
  }
  const headers: Array<[string, string]> = [];
  for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) headers.push([request.rawHeaders[index] ?? '', request.rawHeaders[index + 1] ?? '']);

  let caller: LocalIdentity;
  try {
    caller = authenticate({ method: request.method ?? 'GET', url: request.url ?? '/', headers, body }, identities, 'execute-api', options.signatureClock ?? systemClock).identity;
  } catch (error) {
    // API Gateway rejects an AWS_IAM authorization failure with 403 and a `message`.
    const message = error instanceof AwsError ? error.message : 'Forbidden';
    send(response, { statusCode: 403, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message }) });
    return;
  }

  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const event: HttpApiEvent & Record<string, unknown> = {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers: Object.fromEntries(headers.map(([name, value]) => [name.toLowerCase(), value])),
    body: body.toString('utf8'),
    isBase64Encoded: false,
    requestContext: {
      http: { method: request.method ?? 'GET', path: url.pathname, protocol: 'HTTP/1.1', sourceIp: request.socket.remoteAddress ?? '127.0.0.1', userAgent: request.headers['user-agent'] ?? '' },
      authorizer: { iam: { accessKey: caller.accessKeyId, accountId: caller.accountId, userArn: caller.arn, callerId: caller.arn } },
      stage: '$default',
      timeEpoch: Date.now(),
    },
  };
  const result = (await handleApprovalInvoke(options.deps, options.config, event)) as HttpApiResult;
  send(response, result);
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, result: HttpApiResult): void {
  response.writeHead(result.statusCode, result.headers);
  response.end(result.body);
}
