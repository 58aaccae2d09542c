/** Calls the approval function's HTTP API, each request signed with SigV4 for `execute-api`. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../src/identity/sha256.js';
import type { CliContext } from './context.js';
import { CliError, EXIT } from './errors.js';

export interface ApiResponse {
  status: number;
  body: unknown;
}

const TIMEOUT_MS = 30_000;

/**
 * Sends one request to `api` (the API's base URL, stage path included) at `path`, signed with the
 * caller's credentials for the service `execute-api` in the context's Region. Returns the parsed
 * JSON body of a 2xx response; throws CliError with the API's error code and message otherwise:
 * a 400 exits with the usage code, every other failure with 1.
 */
export async function callApi(
  context: CliContext,
  api: string,
  method: 'GET' | 'POST',
  path: string,
  options: { query?: Record<string, string>; body?: unknown } = {},
): Promise<ApiResponse> {
  const base = new URL(api);
  const fullPath = `${base.pathname.replace(/\/$/, '')}${path}`;
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { host: base.host, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';

  const signer = new SignatureV4({ service: 'execute-api', region: context.region, credentials: context.credentials, sha256: NodeSha256 });
  let signed;
  try {
    signed = await signer.sign({
      method,
      protocol: base.protocol,
      hostname: base.hostname,
      ...(base.port !== '' ? { port: Number(base.port) } : {}),
      path: fullPath,
      query: options.query ?? {},
      headers,
      body,
    });
  } catch (error) {
    throw new CliError(`Cannot sign the request: no AWS credentials found (${(error as Error).message}). Pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`, EXIT.failed, { cause: error });
  }

  const search = new URLSearchParams(options.query ?? {}).toString();
  const url = new URL(`${fullPath}${search ? `?${search}` : ''}`, base);
  const response = await send(url, method, signed.headers, body);
  const parsed = parseJson(response.text);
  if (response.status >= 200 && response.status < 300) return { status: response.status, body: parsed };

  // The approval function returns `{ error: { code, message } }`. API Gateway itself returns
  // `{ message }`, for example when AWS_IAM authorization fails.
  const answer = parsed as { error?: { code?: string; message?: string }; message?: unknown } | undefined;
  const error = answer?.error;
  const gatewayMessage = typeof answer?.message === 'string' ? answer.message : undefined;
  const detail = error ? `${error.code ?? 'Error'}: ${error.message ?? ''}` : gatewayMessage ?? (response.text.slice(0, 300) || 'no body');
  throw new CliError(`The API returned HTTP ${response.status} for ${method} ${path}: ${detail}`, response.status === 400 ? EXIT.usage : EXIT.failed);
}

function send(url: URL, method: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; text: string }> {
  const requester = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = requester(url, { method, headers, timeout: TIMEOUT_MS }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      incoming.on('error', reject);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no response within ${TIMEOUT_MS / 1000} seconds (timed out)`)));
    outgoing.on('error', (error) => reject(new CliError(`Cannot reach the API at ${url.origin}: ${error.message}. Check --api`, EXIT.failed, { cause: error })));
    if (body !== undefined) outgoing.write(body);
    outgoing.end();
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
