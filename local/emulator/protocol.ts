import { randomUUID } from 'node:crypto';

import type { Clock } from '../../src/clock.js';
import type { LocalIdentity } from '../identities.js';
import { authenticate, credentialScopeService, type Caller, type SignedRequest } from './auth.js';
import type { CloudTrailLog } from './cloudtrail/log.js';
import { parseTarget, type DispatchTable, type ServiceName } from './dispatch.js';
import { AwsError } from './errors.js';
import type { FaultKind } from './faults/injector.js';
import { notedKeys } from './hooks.js';
import { recordKeyUsage } from './kms/last-usage.js';
import { bindState, type EmulatorState } from './state.js';
import { isQueryRequest, serveStsRequest } from './sts/query-protocol.js';
import type { RequestContext } from './types.js';

/** One request served, success or failure, as `Emulator.calls()` returns it. */
export interface EmulatorCall {
  service: 'kms' | 'events' | 'sts' | 'cloudtrail';
  operation: string;
  accountId: string;
  region: string;
  principalArn: string;
  time: Date;
  errorCode?: string;
  errorMessage?: string;
  request: Record<string, unknown>;
  /** The fault the emulator injected into this call (see local/emulator/faults/), if any. */
  injectedFault?: FaultKind;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ProtocolDependencies {
  identities: readonly LocalIdentity[];
  clock: Clock;
  /** Real time, against which request signatures are dated; see `authenticate`. */
  wallClock: Clock;
  state: EmulatorState;
  table: DispatchTable;
  calls: EmulatorCall[];
  /** Receives a CloudTrail record of every authenticated request. */
  cloudTrail: CloudTrailLog;
}

export interface IncomingRequest extends SignedRequest {
  /** The X-Amz-Target header, which names the operation of a JSON 1.1 request. */
  target: string | undefined;
  /** Address of the client, for CloudTrail's sourceIPAddress. */
  sourceIp: string;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** Exception AWS names for an unexpected server failure, per service. */
const INTERNAL_ERROR: Record<ServiceName, string> = { kms: 'KMSInternalException', events: 'InternalException', cloudtrail: 'InternalFailure' };

/** Returns the User-Agent header, as CloudTrail's userAgent records it. */
export function userAgentOf(request: IncomingRequest): string {
  return request.headers.find(([name]) => name.toLowerCase() === 'user-agent')?.[1] ?? '';
}

/**
 * Serializes a response body as AWS JSON 1.1 does: timestamps as epoch seconds and blobs as
 * base64. Otherwise the output is JSON.stringify's, toJSON methods included.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(toWireValue(value, ''));
}

/**
 * Returns a copy of `value` with every Date as epoch seconds and every Uint8Array as base64, for
 * JSON.stringify without a replacer. A replacer runs once per value of the body, and in a CPU
 * profile it took most of the emulator's time for a ListAliases page of 100 aliases. Date and
 * Buffer are checked before toJSON because they convert themselves with it.
 */
function toWireValue(value: unknown, key: string): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  const converted = typeof (value as { toJSON?: unknown } | null)?.toJSON === 'function' ? (value as { toJSON(key: string): unknown }).toJSON(key) : value;
  if (converted === null || typeof converted !== 'object') return converted;
  if (Array.isArray(converted)) return converted.map((item: unknown, index) => toWireValue(item, String(index)));
  const wire: Record<string, unknown> = {};
  for (const name of Object.keys(converted)) wire[name] = toWireValue((converted as Record<string, unknown>)[name], name);
  return wire;
}

function parseBody(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AwsError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsError('SerializationException', 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Serves one request and records it in `dependencies.calls`. A request without X-Amz-Target whose
 * credential is scoped to `sts`, or whose body is form-encoded, goes to STS (AWS Query protocol);
 * all others are AWS JSON 1.1 requests for KMS or EventBridge.
 */
export function serveRequest(request: IncomingRequest, dependencies: ProtocolDependencies): HttpReply {
  if (request.target === undefined && isQueryRequest(request, credentialScopeService(request))) {
    return serveStsRequest(request, dependencies);
  }
  return serveJsonRequest(request, dependencies);
}

function serveJsonRequest(request: IncomingRequest, dependencies: ProtocolDependencies): HttpReply {
  const requestId = randomUUID();
  const target = parseTarget(request.target);
  const service: ServiceName = target?.service ?? (request.target?.startsWith('AWSEvents') ? 'events' : 'kms');
  let caller: Caller | undefined;
  let context: RequestContext | undefined;
  let output: unknown;
  const call: EmulatorCall = {
    service,
    operation: target?.operation ?? request.target ?? '',
    accountId: '',
    region: '',
    principalArn: '',
    time: dependencies.clock.now(),
    request: {},
  };
  const headers: Record<string, string> = { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId };

  try {
    if (!target) {
      throw new AwsError('UnknownOperationException', `The operation ${request.target ?? '(no X-Amz-Target header)'} is not supported.`);
    }
    caller = authenticate(request, dependencies.identities, target.service, dependencies.wallClock);
    call.accountId = caller.identity.accountId;
    call.region = caller.region;
    call.principalArn = caller.identity.arn;

    const operation = dependencies.table[target.service][target.operation];
    if (!operation) {
      throw new AwsError('UnknownOperationException', `The operation ${request.target} is not supported.`);
    }
    const input = parseBody(request.body.toString('utf8'));
    call.request = input;

    context = {
      accountId: caller.identity.accountId,
      region: caller.region,
      principalArn: caller.identity.arn,
      accessKeyId: caller.identity.accessKeyId,
      requestId,
      clock: dependencies.clock,
    };
    bindState(context, dependencies.state);
    output = operation(input, context) ?? {};
    return { status: 200, headers, body: toJson(output) };
  } catch (error) {
    const awsError =
      error instanceof AwsError
        ? error
        : new AwsError(INTERNAL_ERROR[service], 'The request failed because of an internal error in the local emulator.', 500);
    if (!(error instanceof AwsError)) {
      console.error(`kms-rotator emulator: ${call.service} ${call.operation} request ${requestId} failed:`, error);
    }
    call.errorCode = awsError.type;
    call.errorMessage = awsError.message;
    return {
      status: awsError.statusCode,
      headers: { ...headers, 'x-amzn-errortype': awsError.type },
      body: JSON.stringify({ __type: awsError.type, message: awsError.message }),
    };
  } finally {
    dependencies.calls.push(call);
    if (caller) logToCloudTrail(call, { caller, request, requestId, output, context }, dependencies);
  }
}

/**
 * Records an authenticated request in CloudTrail and, for a successful cryptographic operation,
 * as the last use of the keys it used. Requests that fail authentication name no account, so
 * there is no account whose trail would receive them, and they are not recorded.
 */
export function logToCloudTrail(
  call: EmulatorCall,
  served: { caller: Caller; request: IncomingRequest; requestId: string; output: unknown; context: RequestContext | undefined },
  dependencies: ProtocolDependencies,
): void {
  const keys = served.context ? notedKeys(served.context) : [];
  const record = dependencies.cloudTrail.recordApiCall({
    service: call.service,
    operation: call.operation,
    input: call.request,
    output: call.errorCode === undefined ? served.output : undefined,
    keys,
    identity: served.caller.identity,
    region: call.region,
    time: call.time,
    requestId: served.requestId,
    ...(call.errorCode !== undefined ? { errorCode: call.errorCode, errorMessage: call.errorMessage ?? '' } : {}),
    userAgent: userAgentOf(served.request),
    sourceIp: served.request.sourceIp,
  });
  if (call.service === 'kms' && call.errorCode === undefined) {
    recordKeyUsage(keys, call.operation, call.time.getTime(), record.eventID, served.requestId);
  }
}
