import { SignatureV4 } from '@smithy/signature-v4';

import type { LocalIdentity } from '../../local/identities.js';
import { NodeSha256 } from '../../src/identity/sha256.js';

export interface RawRequest {
  identity: LocalIdentity;
  service: string;
  region?: string;
  method?: string;
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  signingDate?: Date;
}

function signer(identity: LocalIdentity, service: string, region: string): SignatureV4 {
  return new SignatureV4({
    service,
    region,
    credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey },
    sha256: NodeSha256,
  });
}

function toSign(endpoint: string, request: RawRequest) {
  const url = new URL(endpoint);
  return {
    method: request.method ?? 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: request.path ?? '/',
    query: { ...request.query },
    headers: { host: url.host, ...request.headers },
    ...(request.body !== undefined ? { body: request.body } : {}),
  };
}

function queryString(query: Record<string, string | string[] | null>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value ?? '']) parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(item)}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Signs a request with SigV4 in the Authorization header and returns the headers to send. */
export async function signHeaders(endpoint: string, request: RawRequest): Promise<Record<string, string>> {
  const signed = await signer(request.identity, request.service, request.region ?? 'us-east-1').sign(
    toSign(endpoint, request),
    request.signingDate ? { signingDate: request.signingDate } : {},
  );
  return signed.headers;
}

/** Signs a request in the Authorization header and sends it with fetch. */
export async function signedFetch(endpoint: string, request: RawRequest): Promise<Response> {
  const headers = await signHeaders(endpoint, request);
  const url = `${endpoint}${request.path ?? '/'}${queryString(request.query ?? {})}`;
  return fetch(url, { method: request.method ?? 'POST', headers, ...(request.body !== undefined ? { body: request.body } : {}) });
}

/** Presigns a request in the query string and returns the URL. */
export async function presignedUrl(endpoint: string, request: RawRequest & { expiresIn: number }): Promise<string> {
  const presigned = await signer(request.identity, request.service, request.region ?? 'us-east-1').presign(toSign(endpoint, request), {
    expiresIn: request.expiresIn,
    ...(request.signingDate ? { signingDate: request.signingDate } : {}),
  });
  return `${endpoint}${presigned.path}${queryString(presigned.query ?? {})}`;
}
