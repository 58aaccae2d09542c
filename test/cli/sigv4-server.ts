import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../src/identity/sha256.js';
import type { LocalIdentity } from '../../local/identities.js';

export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  /** Access key id of a request whose SigV4 signature checked out. */
  signedBy: string;
}

export type Handler = (request: ReceivedRequest) => { status: number; body: unknown; headers?: Record<string, string> };

/** Starts an HTTP server on 127.0.0.1 that serves only requests with a valid SigV4 signature for `service`. */
export async function startSigV4Server(service: string, identities: LocalIdentity[], handler: Handler): Promise<{ url: string; received: ReceivedRequest[]; close(): Promise<void> }> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void answer(request, Buffer.concat(chunks).toString('utf8'), response);
    });
  });

  async function answer(request: IncomingMessage, body: string, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : (value ?? '')]));
    const failure = await checkSignature(service, identities, request.method ?? 'GET', url, headers, body);
    if (failure) {
      respond(response, 403, { error: { code: 'InvalidSignature', message: failure } });
      return;
    }
    const accessKeyId = /Credential=([^/]+)\//.exec(headers.authorization ?? '')?.[1] ?? '';
    const entry: ReceivedRequest = { method: request.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body, signedBy: accessKeyId };
    received.push(entry);
    const result = handler(entry);
    respond(response, result.status, result.body, result.headers);
  }

  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function respond(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** Re-signs the request as received with the caller's secret and compares signatures; returns why it failed. */
async function checkSignature(service: string, identities: LocalIdentity[], method: string, url: URL, headers: Record<string, string>, body: string): Promise<string | undefined> {
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(headers.authorization ?? '');
  if (!match) return 'missing or malformed Authorization header';
  const [, accessKeyId, , region, scopeService, signedHeaderList, signature] = match as unknown as string[];
  if (scopeService !== service) return `credential scoped to ${scopeService}, expected ${service}`;
  const identity = identities.find((candidate) => candidate.accessKeyId === accessKeyId);
  if (!identity) return `unknown access key ${accessKeyId}`;
  const amzDate = headers['x-amz-date'] ?? '';
  const signingDate = new Date(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (Number.isNaN(signingDate.getTime())) return 'missing or malformed X-Amz-Date';

  const signedHeaders = Object.fromEntries((signedHeaderList ?? '').split(';').map((name) => [name, headers[name] ?? '']));
  const signer = new SignatureV4({ service, region: region ?? '', credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey }, sha256: NodeSha256 });
  const expected = await signer.sign(
    { method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: Object.fromEntries(url.searchParams), headers: signedHeaders, body: body === '' ? undefined : body },
    { signingDate },
  );
  const expectedSignature = /Signature=([0-9a-f]{64})/.exec(expected.headers.authorization ?? '')?.[1];
  return expectedSignature === signature ? undefined : 'signature does not match';
}
