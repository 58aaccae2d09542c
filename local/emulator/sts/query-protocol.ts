import { randomUUID } from 'node:crypto';

import { authenticate, parseQuery, type Caller } from '../auth.js';
import { AwsError } from '../errors.js';
import { logToCloudTrail, type EmulatorCall, type HttpReply, type IncomingRequest, type ProtocolDependencies } from '../protocol.js';
import { getCallerIdentity } from './get-caller-identity.js';

const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const STS_VERSION = '2011-06-15';

/** STS error codes and HTTP statuses for the JSON-service errors that `authenticate` raises. */
const AUTH_ERRORS: Record<string, { code: string; status: number; message?: string }> = {
  MissingAuthenticationTokenException: { code: 'MissingAuthenticationToken', status: 403, message: 'Request is missing Authentication Token' },
  UnrecognizedClientException: { code: 'InvalidClientTokenId', status: 403 },
  InvalidSignatureException: { code: 'SignatureDoesNotMatch', status: 403 },
  IncompleteSignatureException: { code: 'IncompleteSignature', status: 400 },
};

function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function headerValue(request: IncomingRequest, name: string): string | undefined {
  return request.headers.find(([headerName]) => headerName.toLowerCase() === name)?.[1];
}

/** Tells whether a request without X-Amz-Target uses the AWS Query protocol, as STS does. */
export function isQueryRequest(request: IncomingRequest, scopeService: string | undefined): boolean {
  if (scopeService === 'sts') return true;
  const contentType = headerValue(request, 'content-type') ?? '';
  return contentType.toLowerCase().startsWith('application/x-www-form-urlencoded');
}

/**
 * Collects the Query protocol parameters: those of the query string other than the X-Amz-*
 * signature parameters, then those of a form-encoded body.
 */
function queryParameters(request: IncomingRequest): Record<string, string> {
  const parameters: Record<string, string> = {};
  const question = request.url.indexOf('?');
  const query = question < 0 ? '' : request.url.slice(question + 1);
  for (const [name, value] of parseQuery(query)) {
    if (!name.startsWith('X-Amz-')) parameters[name] = value;
  }
  const contentType = headerValue(request, 'content-type') ?? '';
  if (contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    for (const [name, value] of parseQuery(request.body.toString('utf8'))) parameters[name] = value;
  }
  return parameters;
}

function errorReply(error: AwsError, requestId: string): HttpReply {
  const type = error.statusCode >= 500 ? 'Receiver' : 'Sender';
  return {
    status: error.statusCode,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<ErrorResponse xmlns="${STS_NAMESPACE}">\n` +
      `  <Error>\n    <Type>${type}</Type>\n    <Code>${escapeXml(error.type)}</Code>\n    <Message>${escapeXml(error.message)}</Message>\n  </Error>\n` +
      `  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
  };
}

/** Re-raises an authentication error with STS's code, status and, where it differs, message. */
function toStsError(error: AwsError): AwsError {
  const mapped = AUTH_ERRORS[error.type];
  return mapped ? new AwsError(mapped.code, mapped.message ?? error.message, mapped.status) : error;
}

function authenticateSts(request: IncomingRequest, dependencies: ProtocolDependencies): Caller {
  try {
    return authenticate(request, dependencies.identities, 'sts', dependencies.wallClock);
  } catch (error) {
    throw error instanceof AwsError ? toStsError(error) : error;
  }
}

/**
 * Serves one STS request in the AWS Query protocol (form-encoded POST, or a GET or POST presigned
 * in the query string) and records it in `dependencies.calls`. Only GetCallerIdentity is served.
 */
export function serveStsRequest(request: IncomingRequest, dependencies: ProtocolDependencies): HttpReply {
  const requestId = randomUUID();
  const parameters = queryParameters(request);
  const action = parameters.Action ?? '';
  const call: EmulatorCall = {
    service: 'sts',
    operation: action,
    accountId: '',
    region: '',
    principalArn: '',
    time: dependencies.clock.now(),
    request: { ...parameters },
  };
  let caller: Caller | undefined;
  let output: unknown;

  try {
    caller = authenticateSts(request, dependencies);
    call.accountId = caller.identity.accountId;
    call.region = caller.region;
    call.principalArn = caller.identity.arn;

    // NOTE: the MissingAction and InvalidAction messages are the emulator's own; no source at hand gave STS's text.
    if (action === '') throw new AwsError('MissingAction', 'Missing Action');
    const version = parameters.Version ?? 'NO_VERSION_SPECIFIED';
    if (action !== 'GetCallerIdentity' || version !== STS_VERSION) {
      throw new AwsError('InvalidAction', `Could not find operation ${action} for version ${version}`);
    }

    const result = getCallerIdentity(caller.identity);
    output = result;
    return {
      status: 200,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body:
        `<GetCallerIdentityResponse xmlns="${STS_NAMESPACE}">\n` +
        `  <GetCallerIdentityResult>\n` +
        `    <Arn>${escapeXml(result.Arn)}</Arn>\n` +
        `    <UserId>${escapeXml(result.UserId)}</UserId>\n` +
        `    <Account>${escapeXml(result.Account)}</Account>\n` +
        `  </GetCallerIdentityResult>\n` +
        `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n` +
        `</GetCallerIdentityResponse>\n`,
    };
  } catch (error) {
    const awsError =
      error instanceof AwsError ? error : new AwsError('InternalFailure', 'The request failed because of an internal error in the local emulator.', 500);
    if (!(error instanceof AwsError)) {
      console.error(`kms-rotator emulator: sts ${action} request ${requestId} failed:`, error);
    }
    call.errorCode = awsError.type;
    call.errorMessage = awsError.message;
    return errorReply(awsError, requestId);
  } finally {
    dependencies.calls.push(call);
    if (caller) logToCloudTrail(call, { caller, request, requestId, output, context: undefined }, dependencies);
  }
}
