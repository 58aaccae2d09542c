import * as z from 'zod/mini';

import { systemClock, type Clock } from '../clock.js';
import { ACTION_HEADER, canonicalBinding, GET_CALLER_IDENTITY_BODY, IdentityProofError, type ActionBinding } from './proof.js';
import { parseCallerIdentity, parseStsError } from './sts-response.js';
import '../validation.js';

export interface VerifyIdentityProofOptions {
  /** The function's own STS endpoint, such as `https://sts.eu-west-1.amazonaws.com/`. Proofs are sent only here. */
  stsEndpoint: string;
  fetch?: typeof fetch;
  /** Clock for the proof's age check; the system clock unless set. Pass real time, because people sign with it. */
  clock?: Clock;
  /** How long to wait for STS, in milliseconds; 5000 unless set. */
  timeoutMs?: number;
}

export interface VerifiedCaller {
  arn: string;
  account: string;
  userId: string;
}

/** A proof older or newer than this is rejected before it reaches STS; STS allows the same skew. */
export const PROOF_MAX_AGE_MS = 15 * 60 * 1000;

const DEFAULT_TIMEOUT_MS = 5000;
const MAX_RESPONSE_CHARACTERS = 64 * 1024;

const HEADER_NAME = /^[A-Za-z0-9-]+$/;

const proofSchema = z.strictObject({
  method: z.literal('POST'),
  url: z.string().check(z.maxLength(2048)),
  headers: z
    .record(z.string().check(z.regex(HEADER_NAME, 'must be an HTTP header name'), z.maxLength(64)), z.string().check(z.maxLength(8192)))
    .check(z.refine((headers) => Object.keys(headers).length <= 20, 'must have at most 20 headers')),
  body: z.string().check(z.maxLength(1024)),
});

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function reject(message: string): never {
  throw new IdentityProofError(message);
}

function parseShape(proof: unknown): z.infer<typeof proofSchema> {
  const parsed = proofSchema.safeParse(proof);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || 'proof'}: ${issue.message}`);
  return reject(`Malformed identity proof: ${problems.join('; ')}.`);
}

/** Lowercases header names, rejecting a proof that repeats a name in another case. */
function lowercaseHeaders(headers: Record<string, string>): Map<string, string> {
  const lowercased = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lowercased.has(lower)) reject(`Malformed identity proof: headers.${lower} appears more than once.`);
    lowercased.set(lower, value);
  }
  return lowercased;
}

/** Names the first binding field that differs, so the caller learns which action the proof was made for. */
function describeBindingMismatch(signedValue: string, expected: ActionBinding): string {
  let signed: unknown;
  try {
    signed = JSON.parse(signedValue);
  } catch {
    return `The identity proof's ${ACTION_HEADER} header is not JSON.`;
  }
  if (typeof signed === 'object' && signed !== null && !Array.isArray(signed)) {
    const fields = signed as Record<string, unknown>;
    for (const key of ['verb', 'alias', 'keyId', 'requestId'] as const) {
      if (fields[key] !== expected[key]) {
        return `The identity proof is for another action: its ${key} is ${JSON.stringify(fields[key] ?? null)}, expected ${JSON.stringify(expected[key] ?? null)}.`;
      }
    }
  }
  return `The identity proof's ${ACTION_HEADER} header is not the canonical JSON of the expected action ${canonicalBinding(expected)}.`;
}

function checkAge(amzDate: string, now: Date): void {
  const parts = AMZ_DATE.exec(amzDate);
  if (!parts) reject(`Malformed identity proof: headers.x-amz-date ${JSON.stringify(amzDate)} is not of the form YYYYMMDDTHHMMSSZ.`);
  const [, year, month, day, hour, minute, second] = parts.map(Number) as [number, number, number, number, number, number, number];
  const signedAt = Date.UTC(year, month - 1, day, hour, minute, second);
  if (signedAt < now.getTime() - PROOF_MAX_AGE_MS) {
    reject(`The identity proof expired: it was signed at ${new Date(signedAt).toISOString()}, more than 15 minutes before ${now.toISOString()}. Sign a new one.`);
  }
  if (signedAt > now.getTime() + PROOF_MAX_AGE_MS) {
    reject(`The identity proof is dated ${new Date(signedAt).toISOString()}, more than 15 minutes after ${now.toISOString()}: check the signer's clock.`);
  }
}

/** Sends the signed request to STS and returns the caller it reports, or throws `IdentityProofError` saying what failed. */
async function callSts(endpoint: URL, headers: Record<string, string>, body: string, options: VerifyIdentityProofOptions): Promise<VerifiedCaller> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let response: Response;
  let text: string;
  try {
    response = await (options.fetch ?? fetch)(endpoint.href, {
      method: 'POST',
      headers,
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return reject(`STS at ${endpoint.href} did not answer within ${timeoutMs} ms.`);
    }
    const reason = error instanceof Error ? error.message : String(error);
    return reject(`The request to STS at ${endpoint.href} failed: ${reason}`);
  }
  if (text.length > MAX_RESPONSE_CHARACTERS) {
    reject(`STS at ${endpoint.href} returned ${text.length} characters, more than the ${MAX_RESPONSE_CHARACTERS} expected.`);
  }
  if (!response.ok) {
    const stsError = parseStsError(text);
    if (stsError) reject(`STS rejected the identity proof: ${stsError.code}: ${stsError.message}`);
    reject(`STS at ${endpoint.href} rejected the identity proof with HTTP ${response.status} and an unreadable body.`);
  }
  const caller = parseCallerIdentity(text);
  if (!caller) reject(`STS at ${endpoint.href} returned HTTP ${response.status} without a readable GetCallerIdentityResult.`);
  return caller;
}

/**
 * Verifies an identity proof for one action and returns the signer's ARN, account and user id,
 * as STS reports them. The proof must be a signed GetCallerIdentity POST whose signed
 * `x-kms-rotator-action` header is exactly the canonical JSON of `expected`.
 *
 * The request is sent only to `options.stsEndpoint`, never to the proof's `url`, which anyone
 * could point at a server that returns any ARN. Because the Host header is signed, the
 * proof's Host must equal the configured endpoint's host. Every rejection throws
 * `IdentityProofError` naming the failed check.
 */
export async function verifyIdentityProof(proof: unknown, expected: ActionBinding, options: VerifyIdentityProofOptions): Promise<VerifiedCaller> {
  const expectedAction = canonicalBinding(expected);
  const endpoint = new URL(options.stsEndpoint);
  const shape = parseShape(proof);
  const headers = lowercaseHeaders(shape.headers);

  if (shape.body !== GET_CALLER_IDENTITY_BODY) {
    reject(`The identity proof's body must be exactly ${GET_CALLER_IDENTITY_BODY}, not ${JSON.stringify(shape.body.slice(0, 100))}.`);
  }

  const authorization = headers.get('authorization');
  if (authorization === undefined) reject('The identity proof has no authorization header.');
  const parts = AUTHORIZATION.exec(authorization);
  if (!parts) {
    reject('Malformed identity proof: headers.authorization is not AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=<64 hex digits>.');
  }
  const [, , , , service = '', signedHeaderList = ''] = parts;
  if (service !== 'sts') {
    reject(`The identity proof's credential is scoped to service ${JSON.stringify(service)}; it must be signed for sts.`);
  }

  const signedHeaders = signedHeaderList.split(';');
  for (const required of ['host', 'x-amz-date', ACTION_HEADER]) {
    if (!signedHeaders.includes(required)) reject(`The identity proof does not sign the ${required} header.`);
  }
  for (const name of signedHeaders) {
    if (!headers.has(name)) reject(`The identity proof signs the ${name} header but does not contain it.`);
  }

  const signedAction = headers.get(ACTION_HEADER) ?? '';
  if (signedAction !== expectedAction) reject(describeBindingMismatch(signedAction, expected));

  checkAge(headers.get('x-amz-date') ?? '', (options.clock ?? systemClock).now());

  const proofHost = headers.get('host') ?? '';
  if (proofHost !== endpoint.host) {
    reject(
      `The identity proof is signed for host ${JSON.stringify(proofHost)}, but this function verifies proofs with STS at ${endpoint.host}: sign the proof for ${endpoint.href}.`,
    );
  }

  // fetch sets Host from the URL, which the check above made equal to the signed value.
  const forwarded: Record<string, string> = { authorization };
  for (const name of signedHeaders) {
    if (name !== 'host') forwarded[name] = headers.get(name) ?? '';
  }
  return callSts(endpoint, forwarded, shape.body, options);
}
