import { toPrincipal, type Principal } from './principal.js';
import type { AuditInput, CloudTrailRecord, KmsServiceEvent } from './schemas.js';

/** One audit record per event, logged as JSON; alerts carry it too. */
export interface AuditRecord {
  eventId: string;
  /** The shape the event arrived in. */
  input: AuditInput['shape'];
  /** CloudTrail `eventType` (AwsApiCall, AwsServiceEvent); absent for KMS service events. */
  eventType?: string;
  /** When the call or the service action happened, ISO 8601. */
  time: string;
  eventSource: string;
  /** API operation (eventName), or the detail type of a KMS service event. */
  operation: string;
  result: 'success' | 'failure';
  error?: { code: string; message?: string };
  principal: Principal;
  account: string;
  region: string;
  /** Caller's IP address, when the call came from outside AWS. */
  sourceIp?: string;
  /** AWS service that made the call or reported the action ("AWS Internal" when CloudTrail names none). */
  awsService?: string;
  keyArn?: string;
  /** Alias name, when the event names one. */
  alias?: string;
  /** True when one of this tool's own roles made the call. */
  madeByTool: boolean;
  readOnly?: boolean;
  /**
   * Request fields that rules and people read (waiting period, grantee, alias target, policy
   * name, material expiry, resource ARN). Encryption context and every other field stay out, so
   * a record never carries data a caller passed to KMS.
   */
  request?: Record<string, unknown>;
}

const RECORDED_REQUEST_FIELDS = [
  'pendingWindowInDays',
  'granteePrincipal',
  'retiringPrincipal',
  'operations',
  'aliasName',
  'targetKeyId',
  'policyName',
  'validTo',
  'expirationModel',
  'resourceArn',
  'rotationPeriodInDays',
] as const;

const KEY_ID = /^(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const ALIAS_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(alias\/.+)$/;

/**
 * Builds the audit record of a validated input. `isTool` returns whether a principal is one of the
 * tool's roles in the event's account.
 */
export function toAuditRecord(input: AuditInput, isTool: (principal: Principal, accountId: string) => boolean): AuditRecord {
  return input.shape === 'kms-service-event' ? serviceEventRecord(input.event) : cloudTrailRecord(input.shape, input.record, isTool);
}

function cloudTrailRecord(shape: AuditInput['shape'], record: CloudTrailRecord, isTool: (principal: Principal, accountId: string) => boolean): AuditRecord {
  const account = record.recipientAccountId ?? record.userIdentity.accountId ?? '';
  const principal = toPrincipal(record.userIdentity, account);
  const failed = record.errorCode !== undefined || record.errorMessage !== undefined;
  const audit: AuditRecord = {
    eventId: record.eventID,
    input: shape,
    time: toIsoTime(record.eventTime),
    eventSource: record.eventSource,
    operation: record.eventName,
    result: failed ? 'failure' : 'success',
    principal,
    account,
    region: record.awsRegion,
    madeByTool: isTool(principal, account),
  };
  if (record.eventType) audit.eventType = record.eventType;
  if (failed) audit.error = { code: record.errorCode ?? 'Unknown', ...(record.errorMessage ? { message: record.errorMessage } : {}) };
  if (record.readOnly !== undefined) audit.readOnly = record.readOnly;
  Object.assign(audit, origin(record.sourceIPAddress, principal));

  const parameters = record.requestParameters ?? {};
  const keyArn = resolveKeyArn(record, parameters, account);
  if (keyArn) audit.keyArn = keyArn;
  const alias = resolveAlias(parameters);
  if (alias) audit.alias = alias;
  const request = pickRequestFields(parameters);
  if (request) audit.request = request;
  return audit;
}

function serviceEventRecord(event: KmsServiceEvent): AuditRecord {
  const keyId = event.detail['key-id'];
  const keyArn = event.resources.find((resource) => KEY_ARN.test(resource)) ?? keyArnFrom(keyId, event.region, event.account);
  const audit: AuditRecord = {
    eventId: event.id,
    input: 'kms-service-event',
    time: toIsoTime(event.time),
    eventSource: 'kms.amazonaws.com',
    operation: event['detail-type'],
    result: 'success',
    principal: { type: 'none', knownType: true, accountId: event.account, id: 'service:kms.amazonaws.com', invokedBy: 'kms.amazonaws.com' },
    account: event.account,
    region: event.region,
    awsService: 'kms.amazonaws.com',
    madeByTool: false,
  };
  if (keyArn) audit.keyArn = keyArn;
  const request: Record<string, unknown> = {};
  if (event.detail['rotation-type']) request.rotationType = event.detail['rotation-type'];
  if (event.detail['key-material-id']) request.keyMaterialId = event.detail['key-material-id'];
  if (Object.keys(request).length > 0) audit.request = request;
  return audit;
}

/** The form of CloudTrail's and EventBridge's times, such as 2027-01-01T00:00:00Z, without fractions. */
const WHOLE_SECOND_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/**
 * Returns a validated time in ISO 8601 with milliseconds. The usual whole-second UTC form needs no
 * Date, which costs about 0.6 µs a record in a replay of a million records.
 */
function toIsoTime(text: string): string {
  return WHOLE_SECOND_UTC.test(text) ? `${text.slice(0, 19)}.000Z` : new Date(text).toISOString();
}

/** Splits `sourceIPAddress` into an IP address or the AWS service that made the call. */
function origin(sourceIPAddress: string | undefined, principal: Principal): Pick<AuditRecord, 'sourceIp' | 'awsService'> {
  if (sourceIPAddress === undefined) return principal.invokedBy ? { awsService: principal.invokedBy } : {};
  if (sourceIPAddress === 'AWS Internal' || /\.amazonaws\.com$/.test(sourceIPAddress)) {
    return { awsService: principal.invokedBy ?? sourceIPAddress };
  }
  return principal.invokedBy ? { sourceIp: sourceIPAddress, awsService: principal.invokedBy } : { sourceIp: sourceIPAddress };
}

/**
 * Finds the key ARN: the request's key id when it is an id or a key ARN, else the key among
 * `resources` (which CloudTrail fills for calls that name the key by alias, or not at all, as
 * Decrypt of symmetric ciphertext does).
 */
function resolveKeyArn(record: CloudTrailRecord, parameters: Record<string, unknown>, account: string): string | undefined {
  // A call that failed on a key's state names that key first in its message. For ReEncrypt that may
  // be the destination, which neither the request parameters nor the resource order single out.
  const named = /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key\/[A-Za-z0-9-]+) is (?:disabled|pending)/.exec(record.errorMessage ?? '')?.[1];
  if (named) return named;
  for (const field of ['keyId', 'targetKeyId', 'destinationKeyId', 'sourceKeyId']) {
    const value = parameters[field];
    if (typeof value !== 'string') continue;
    const arn = keyArnFrom(value, record.awsRegion, account);
    if (arn) return arn;
  }
  const resource = record.resources?.find((entry) => entry.ARN !== undefined && KEY_ARN.test(entry.ARN));
  if (resource?.ARN) return resource.ARN;
  const detailKey = record.serviceEventDetails?.keyId;
  return typeof detailKey === 'string' ? keyArnFrom(detailKey, record.awsRegion, account) : undefined;
}

/** Returns the key ARN for a key id or key ARN; undefined for an alias name or alias ARN. */
export function keyArnFrom(keyId: string, region: string, account: string): string | undefined {
  if (KEY_ARN.test(keyId)) return keyId;
  if (KEY_ID.test(keyId) && account) return `arn:${partitionOf(region)}:kms:${region}:${account}:key/${keyId}`;
  return undefined;
}

function resolveAlias(parameters: Record<string, unknown>): string | undefined {
  for (const field of ['aliasName', 'keyId', 'targetKeyId']) {
    const value = parameters[field];
    if (typeof value !== 'string') continue;
    if (value.startsWith('alias/')) return value;
    const fromArn = ALIAS_ARN.exec(value)?.[1];
    if (fromArn) return fromArn;
  }
  return undefined;
}

function pickRequestFields(parameters: Record<string, unknown>): Record<string, unknown> | undefined {
  const picked: Record<string, unknown> = {};
  for (const field of RECORDED_REQUEST_FIELDS) {
    if (parameters[field] !== undefined) picked[field] = parameters[field];
  }
  return Object.keys(picked).length > 0 ? picked : undefined;
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
