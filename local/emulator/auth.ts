import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import type { Clock } from '../../src/clock.js';
import type { LocalIdentity } from '../identities.js';
import { AwsError } from './errors.js';

/** The caller named by a request's SigV4 credential, after its signature was checked. */
export interface Caller {
  identity: LocalIdentity;
  region: string;
  /** Service of the credential scope, such as `kms`, `events` or `sts`. */
  service: string;
}

/** The parts of an HTTP request that a SigV4 signature covers, as received. */
export interface SignedRequest {
  method: string;
  /** Request target as received: the raw path and query string, such as `/?Action=GetCallerIdentity`. */
  url: string;
  /** Header names and values in the order received (Node's `rawHeaders`, paired). */
  headers: ReadonlyArray<readonly [string, string]>;
  body: Buffer;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

/** AWS accepts a request signed up to 15 minutes before or after its own time. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** Longest X-Amz-Expires of a presigned request: seven days, in seconds. */
const MAX_PRESIGNED_EXPIRES_SECONDS = 7 * 24 * 60 * 60;

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

const CREDENTIAL = /^([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** The SigV4 fields of one request, from its Authorization header or from its presigned query string. */
interface SignatureFields {
  presigned: boolean;
  credential: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string | undefined;
  /** X-Amz-Expires as sent, for presigned requests only. */
  expires: string | undefined;
}

function incomplete(message: string): AwsError {
  return new AwsError('IncompleteSignatureException', message);
}

function headerValues(request: SignedRequest, name: string): string[] {
  return request.headers.filter(([headerName]) => headerName.toLowerCase() === name).map(([, value]) => value);
}

function splitUrl(url: string): { path: string; query: string } {
  const question = url.indexOf('?');
  return question < 0 ? { path: url, query: '' } : { path: url.slice(0, question), query: url.slice(question + 1) };
}

/** Decodes one query-string component as form decoding does: `+` is a space. Undecodable input is kept as sent. */
function decodeQueryComponent(component: string): string {
  const spaced = component.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** Parses a raw query string into decoded name and value pairs, in order. */
export function parseQuery(query: string): Array<[string, string]> {
  if (query === '') return [];
  return query
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const equals = part.indexOf('=');
      const name = equals < 0 ? part : part.slice(0, equals);
      const value = equals < 0 ? '' : part.slice(equals + 1);
      return [decodeQueryComponent(name), decodeQueryComponent(value)];
    });
}

function queryValue(pairs: ReadonlyArray<readonly [string, string]>, name: string): string | undefined {
  return pairs.find(([key]) => key === name)?.[1];
}

/** Percent-encodes as SigV4 requires (RFC 3986 unreserved characters stay as they are). */
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Builds the canonical URI of a service other than S3: `.` and `..` segments resolved, empty
 * segments dropped, and the path as received encoded once more, as @smithy/signature-v4 does.
 */
function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailingSlash = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  const normalized = `${rawPath.startsWith('/') ? '/' : ''}${segments.join('/')}${trailingSlash}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

function canonicalQuery(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => `${escapeUri(name)}=${escapeUri(value)}`)
    .sort()
    .join('&');
}

/** Trims each value, collapses inner runs of whitespace and joins repeated headers with commas. */
function canonicalHeaderValue(values: string[]): string {
  return values.map((value) => value.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').trim()).join(',');
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** Computes the SigV4 signature the caller should have sent, from the request as received. */
function expectedSignature(
  request: SignedRequest,
  fields: SignatureFields,
  scope: { date: string; region: string; service: string },
  amzDate: string,
  secretAccessKey: string,
): string {
  const { path, query } = splitUrl(request.url);
  const canonicalHeaders = fields.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(headerValues(request, name))}\n`).join('');
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(path),
    canonicalQuery(parseQuery(query)),
    canonicalHeaders,
    fields.signedHeaders.join(';'),
    sha256Hex(request.body),
  ].join('\n');

  const credentialScope = `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');

  const dateKey = hmac(`AWS4${secretAccessKey}`, scope.date);
  const regionKey = hmac(dateKey, scope.region);
  const serviceKey = hmac(regionKey, scope.service);
  const signingKey = hmac(serviceKey, 'aws4_request');
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

/** Parses `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`. */
function parseAuthorizationHeader(header: string, request: SignedRequest): SignatureFields {
  if (!header.startsWith(`${ALGORITHM} `)) {
    throw incomplete(`Unsupported Authorization scheme in: ${header.split(' ')[0] ?? ''}. Use ${ALGORITHM}.`);
  }
  const parameters = new Map<string, string>();
  for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
    const equals = part.indexOf('=');
    if (equals < 0) continue;
    parameters.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const credential = parameters.get('Credential');
  if (credential === undefined || !CREDENTIAL.test(credential)) {
    throw incomplete("Authorization header requires 'Credential' parameter in the form AKID/DATE/REGION/SERVICE/aws4_request.");
  }
  const signedHeaders = parameters.get('SignedHeaders');
  if (signedHeaders === undefined || signedHeaders === '') {
    throw incomplete("Authorization header requires 'SignedHeaders' parameter.");
  }
  const signature = parameters.get('Signature');
  if (signature === undefined || signature === '') {
    throw incomplete("Authorization header requires 'Signature' parameter.");
  }
  return {
    presigned: false,
    credential,
    signedHeaders: signedHeaders.split(';'),
    signature,
    amzDate: headerValues(request, 'x-amz-date')[0],
    expires: undefined,
  };
}

/** Reads the X-Amz-* query parameters of a presigned request. */
function parsePresignedQuery(pairs: ReadonlyArray<readonly [string, string]>): SignatureFields {
  const algorithm = queryValue(pairs, 'X-Amz-Algorithm');
  if (algorithm !== ALGORITHM) {
    throw incomplete(`Unsupported X-Amz-Algorithm ${algorithm ?? ''}. Use ${ALGORITHM}.`);
  }
  for (const name of ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature']) {
    if (!queryValue(pairs, name)) throw incomplete(`A presigned request requires the ${name} query parameter.`);
  }
  const credential = queryValue(pairs, 'X-Amz-Credential') ?? '';
  if (!CREDENTIAL.test(credential)) {
    throw incomplete("X-Amz-Credential must have the form AKID/DATE/REGION/SERVICE/aws4_request.");
  }
  return {
    presigned: true,
    credential,
    signedHeaders: (queryValue(pairs, 'X-Amz-SignedHeaders') ?? '').split(';'),
    signature: queryValue(pairs, 'X-Amz-Signature') ?? '',
    amzDate: queryValue(pairs, 'X-Amz-Date'),
    expires: queryValue(pairs, 'X-Amz-Expires'),
  };
}

function readSignatureFields(request: SignedRequest): SignatureFields | undefined {
  const authorization = headerValues(request, 'authorization')[0];
  const query = parseQuery(splitUrl(request.url).query);
  const presigned = queryValue(query, 'X-Amz-Algorithm') !== undefined || queryValue(query, 'X-Amz-Signature') !== undefined;
  if (authorization !== undefined && authorization.trim() !== '') {
    if (presigned) {
      throw incomplete('Only one auth mechanism allowed: the X-Amz-Algorithm query parameter or the Authorization header.');
    }
    return parseAuthorizationHeader(authorization, request);
  }
  return presigned ? parsePresignedQuery(query) : undefined;
}

/** Returns the service of the request's credential scope, or undefined when it has no readable credential. */
export function credentialScopeService(request: SignedRequest): string | undefined {
  try {
    const fields = readSignatureFields(request);
    return fields ? CREDENTIAL.exec(fields.credential)?.[4] : undefined;
  } catch {
    return undefined;
  }
}

function parseAmzDate(amzDate: string): Date | undefined {
  const parts = AMZ_DATE.exec(amzDate);
  if (!parts) return undefined;
  const [, year, month, day, hour, minute, second] = parts.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Formats a time as SigV4 does: `20270101T000000Z`. */
function formatAmzDate(time: Date | number): string {
  return new Date(time).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * Rejects a request whose X-Amz-Date lies more than 15 minutes from `now`, or a presigned
 * request used after X-Amz-Date plus X-Amz-Expires.
 */
function checkRequestTime(fields: SignatureFields, signedAt: Date, amzDate: string, now: Date): void {
  const nowMs = now.getTime();
  if (signedAt.getTime() > nowMs + MAX_CLOCK_SKEW_MS) {
    throw new AwsError(
      'InvalidSignatureException',
      `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(nowMs + MAX_CLOCK_SKEW_MS)} (${formatAmzDate(nowMs)} + 15 min.)`,
    );
  }
  if (!fields.presigned) {
    if (signedAt.getTime() < nowMs - MAX_CLOCK_SKEW_MS) {
      throw new AwsError(
        'InvalidSignatureException',
        `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(nowMs - MAX_CLOCK_SKEW_MS)} (${formatAmzDate(nowMs)} - 15 min.)`,
      );
    }
    return;
  }
  const expiresSeconds = Number(fields.expires);
  if (!/^\d+$/.test(fields.expires ?? '') || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGNED_EXPIRES_SECONDS) {
    throw incomplete(`X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGNED_EXPIRES_SECONDS}, not ${fields.expires ?? ''}.`);
  }
  // NOTE: "Request has expired" is what S3 returns for an expired presigned URL; no source gave
  // the message of KMS, EventBridge or STS, so the emulator reuses it under their signature error.
  if (nowMs > signedAt.getTime() + expiresSeconds * 1000) {
    throw new AwsError('InvalidSignatureException', 'Request has expired');
  }
}

/**
 * Authenticates a SigV4 request, signed in the Authorization header or presigned in the query
 * string: finds the identity that owns the access key, checks the credential scope and the
 * request time, and recomputes the signature with that identity's secret.
 *
 * Errors use the names and messages of AWS JSON services (`InvalidSignatureException` and
 * so on); other protocols map the names to their own codes. `wallClock` must be the real time,
 * because clients sign with the real time even when the emulator runs on a virtual clock.
 */
export function authenticate(
  request: SignedRequest,
  identities: readonly LocalIdentity[],
  expectedService: string,
  wallClock: Clock,
): Caller {
  const fields = readSignatureFields(request);
  if (!fields) {
    throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const [, accessKeyId = '', scopeDate = '', region = '', service = ''] = CREDENTIAL.exec(fields.credential) ?? [];
  if (service !== expectedService) {
    throw new AwsError('InvalidSignatureException', `Credential should be scoped to correct service: '${expectedService}'.`);
  }
  const identity = identities.find((candidate) => candidate.accessKeyId === accessKeyId);
  if (!identity) {
    throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }

  if (fields.amzDate === undefined) {
    throw incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  const signedAt = parseAmzDate(fields.amzDate);
  if (!signedAt) {
    throw incomplete(`X-Amz-Date must have the form YYYYMMDD'T'HHMMSS'Z', not ${fields.amzDate}.`);
  }
  if (!fields.amzDate.startsWith(scopeDate)) {
    throw new AwsError(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${fields.amzDate.slice(0, 8)}', from '${fields.amzDate}'.`,
    );
  }
  if (!fields.signedHeaders.includes('host')) {
    throw new AwsError('InvalidSignatureException', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  // The target header chooses the operation, so an unsigned one could turn a signed DescribeKey
  // into a DisableKey. NOTE: the message is the emulator's; the SDK always signs this header.
  // Presigned URLs sign only the host, so the check applies to the Authorization header only.
  const headerNames = request.headers.map(([name]) => name.toLowerCase());
  if (headerNames.includes('authorization') && headerNames.includes('x-amz-target') && !fields.signedHeaders.includes('x-amz-target')) {
    throw new AwsError('InvalidSignatureException', "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");
  }
  checkRequestTime(fields, signedAt, fields.amzDate, wallClock.now());

  const expected = Buffer.from(expectedSignature(request, fields, { date: scopeDate, region, service }, fields.amzDate, identity.secretAccessKey));
  const provided = Buffer.from(fields.signature);
  if (expected.length !== provided.length || !timingSafeEqual(expected, provided)) {
    throw new AwsError('InvalidSignatureException', SIGNATURE_MISMATCH);
  }
  return { identity, region, service };
}
