import { createHash } from 'node:crypto';

import { AwsError } from '../errors.js';
import type { Operation, RequestContext } from '../types.js';
import { optionalArray, optionalBoolean, optionalInteger, optionalString, requireString } from '../validation.js';
import { usernameOf } from './identity.js';
import type { CloudTrailLog, StoredRecord } from './log.js';
import { trailArn, type TrailRecord } from './trails.js';

/**
 * CloudTrail LookupEvents and the trail operations tests need. Names, limits and exception names
 * follow the AWS CloudTrail API Reference. NOTE: the exception messages are the emulator's, built
 * from the reference's descriptions of each exception, because no source gave AWS's text.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** Event history reaches back 90 days. */
const LOOKBACK_MS = 90 * DAY_MS;

const LOOKUP_ATTRIBUTE_KEYS = ['EventId', 'EventName', 'ReadOnly', 'Username', 'ResourceType', 'ResourceName', 'EventSource', 'AccessKeyId'] as const;
type LookupAttributeKey = (typeof LOOKUP_ATTRIBUTE_KEYS)[number];

interface LookupQuery {
  attribute: { key: LookupAttributeKey; value: string } | undefined;
  startTime: number | undefined;
  endTime: number | undefined;
}

function readTimestamp(input: Record<string, unknown>, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new AwsError('SerializationException', `Expected a timestamp in epoch seconds for ${field}, got ${JSON.stringify(value)}.`);
  }
  return value * 1000;
}

function readLookupAttribute(input: Record<string, unknown>): LookupQuery['attribute'] {
  const attributes = optionalArray(input, 'LookupAttributes') ?? [];
  if (attributes.length === 0) return undefined;
  if (attributes.length > 1) {
    throw new AwsError('InvalidLookupAttributesException', 'LookupAttributes can contain only one attribute.');
  }
  const attribute = (typeof attributes[0] === 'object' && attributes[0] !== null ? attributes[0] : {}) as Record<string, unknown>;
  const key = optionalString(attribute, 'AttributeKey');
  const value = optionalString(attribute, 'AttributeValue');
  if (key === undefined || !(LOOKUP_ATTRIBUTE_KEYS as readonly string[]).includes(key)) {
    throw new AwsError(
      'InvalidLookupAttributesException',
      `AttributeKey ${key ?? '(missing)'} is not valid. Use one of: ${LOOKUP_ATTRIBUTE_KEYS.join(', ')}.`,
    );
  }
  if (value === undefined || value.length < 1 || value.length > 2000) {
    throw new AwsError('InvalidLookupAttributesException', `AttributeValue of ${key} must be 1 to 2000 characters.`);
  }
  if (key === 'ReadOnly' && value !== 'true' && value !== 'false') {
    throw new AwsError('InvalidLookupAttributesException', `AttributeValue of ReadOnly must be true or false, not ${value}.`);
  }
  return { key: key as LookupAttributeKey, value };
}

function resourceId(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

function matchesAttribute(entry: StoredRecord, attribute: NonNullable<LookupQuery['attribute']>): boolean {
  const { record } = entry;
  const { value } = attribute;
  switch (attribute.key) {
    case 'EventId':
      return record.eventID === value;
    case 'EventName':
      return record.eventName === value;
    case 'ReadOnly':
      return String(record.readOnly) === value;
    case 'Username':
      return usernameOf(record.userIdentity) === value;
    case 'ResourceType':
      return (record.resources ?? []).some((resource) => resource.type === value);
    case 'ResourceName':
      // NOTE: matches a resource's full ARN or the id after its last '/'; AWS's exact matching rules are undocumented.
      return (record.resources ?? []).some((resource) => resource.ARN === value || resourceId(resource.ARN) === value);
    case 'EventSource':
      return record.eventSource === value;
    case 'AccessKeyId':
      return record.userIdentity.accessKeyId === value;
  }
}

interface PageToken {
  query: string;
  time: number;
  sequence: number;
}

function queryHash(query: LookupQuery): string {
  return createHash('sha256').update(JSON.stringify(query)).digest('hex').slice(0, 16);
}

function encodeToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeToken(value: string, query: LookupQuery): PageToken {
  const invalid = new AwsError(
    'InvalidNextTokenException',
    'The NextToken is not valid, or was returned by a request with different parameters. Repeat the request without NextToken.',
  );
  let token: Partial<PageToken>;
  try {
    token = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<PageToken>;
  } catch {
    throw invalid;
  }
  if (typeof token.time !== 'number' || typeof token.sequence !== 'number' || token.query !== queryHash(query)) throw invalid;
  return { query: token.query, time: token.time, sequence: token.sequence };
}

/** Newest first; records of the same time in reverse order of storage. */
function newestFirst(a: StoredRecord, b: StoredRecord): number {
  return b.time - a.time || b.sequence - a.sequence;
}

function lookupEvents(log: CloudTrailLog): Operation {
  return (input, context) => {
    const query: LookupQuery = {
      attribute: readLookupAttribute(input),
      startTime: readTimestamp(input, 'StartTime'),
      endTime: readTimestamp(input, 'EndTime'),
    };
    if (query.startTime !== undefined && query.endTime !== undefined && query.startTime > query.endTime) {
      throw new AwsError('InvalidTimeRangeException', 'StartTime must not be later than EndTime.');
    }
    const maxResults = optionalInteger(input, 'MaxResults') ?? 50;
    if (maxResults < 1 || maxResults > 50) {
      throw new AwsError('InvalidMaxResultsException', `MaxResults must be from 1 to 50, not ${maxResults}.`);
    }
    const nextToken = optionalString(input, 'NextToken');
    const after = nextToken === undefined ? undefined : decodeToken(nextToken, query);
    // CloudTrail Insights events do not exist in the emulator.
    if (optionalString(input, 'EventCategory') === 'insight') return { Events: [] };

    const now = log.now().getTime();
    const earliest = Math.max(now - LOOKBACK_MS, query.startTime ?? -Infinity);
    const latest = Math.min(now, query.endTime ?? Infinity);
    const matching = log
      .storedRecords()
      .filter((entry) => entry.accountId === context.accountId && entry.region === context.region)
      .filter((entry) => entry.record.managementEvent)
      .filter((entry) => entry.time >= earliest && entry.time <= latest)
      .filter((entry) => query.attribute === undefined || matchesAttribute(entry, query.attribute))
      .sort(newestFirst)
      .filter((entry) => after === undefined || entry.time < after.time || (entry.time === after.time && entry.sequence < after.sequence));

    const page = matching.slice(0, maxResults);
    const last = page.at(-1);
    return {
      Events: page.map(({ record, time }) => ({
        EventId: record.eventID,
        EventName: record.eventName,
        ReadOnly: String(record.readOnly),
        ...(typeof record.userIdentity.accessKeyId === 'string' ? { AccessKeyId: record.userIdentity.accessKeyId } : {}),
        EventTime: new Date(Math.floor(time / 1000) * 1000),
        EventSource: record.eventSource,
        ...(usernameOf(record.userIdentity) !== undefined ? { Username: usernameOf(record.userIdentity) } : {}),
        Resources: (record.resources ?? []).map((resource) => ({ ResourceType: resource.type, ResourceName: resource.ARN })),
        CloudTrailEvent: JSON.stringify(record),
      })),
      ...(matching.length > page.length && last
        ? { NextToken: encodeToken({ query: queryHash(query), time: last.time, sequence: last.sequence }) }
        : {}),
    };
  };
}

function trailNotFound(context: RequestContext, name: string): AwsError {
  const arn = name.startsWith('arn:') ? name : trailArn(context.region, context.accountId, name);
  return new AwsError('TrailNotFoundException', `Unknown trail: ${arn} for the user: ${context.accountId}`);
}

/**
 * Finds a trail by name or ARN. As in AWS, a multi-Region trail seen from a Region other than its
 * home Region (a shadow trail) is found only by its ARN.
 */
function findTrail(log: CloudTrailLog, context: RequestContext, name: string): TrailRecord {
  const trail = log.trails
    .trailsOf(context.accountId)
    .find((candidate) => candidate.arn === name || (candidate.name === name && candidate.homeRegion === context.region));
  if (!trail || (trail.homeRegion !== context.region && !trail.isMultiRegionTrail)) throw trailNotFound(context, name);
  return trail;
}

function describeTrail(trail: TrailRecord): Record<string, unknown> {
  return {
    Name: trail.name,
    S3BucketName: trail.s3BucketName,
    IncludeGlobalServiceEvents: trail.includeGlobalServiceEvents,
    IsMultiRegionTrail: trail.isMultiRegionTrail,
    HomeRegion: trail.homeRegion,
    TrailARN: trail.arn,
    LogFileValidationEnabled: false,
    HasCustomEventSelectors: false,
    HasInsightSelectors: false,
    IsOrganizationTrail: false,
  };
}

/** Trail names: 3 to 128 letters, digits, periods, underscores and dashes, starting and ending with a letter or digit, with no two of `._-` adjacent (CreateTrail API reference). */
const TRAIL_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9]|[._-](?![._-]))*[A-Za-z0-9]$/;

function createTrail(log: CloudTrailLog): Operation {
  return (input, context) => {
    const name = requireString(input, 'Name', 'name');
    const s3BucketName = requireString(input, 'S3BucketName', 's3BucketName');
    if (name.length < 3 || name.length > 128 || !TRAIL_NAME.test(name)) {
      throw new AwsError(
        'InvalidTrailNameException',
        `Trail name ${name} is not valid: use 3 to 128 letters, digits, periods, underscores and dashes, starting and ending with a letter or digit, with no two of '._-' adjacent.`,
      );
    }
    const trails = log.trails.trailsOf(context.accountId);
    if (trails.some((trail) => trail.name === name)) {
      throw new AwsError('TrailAlreadyExistsException', `Trail ${trailArn(context.region, context.accountId, name)} already exists for customer: ${context.accountId}`);
    }
    // A trail created through the API does not log until StartLogging is called.
    const trail: TrailRecord = {
      name,
      arn: trailArn(context.region, context.accountId, name),
      homeRegion: context.region,
      s3BucketName,
      isMultiRegionTrail: optionalBoolean(input, 'IsMultiRegionTrail') ?? false,
      includeGlobalServiceEvents: optionalBoolean(input, 'IncludeGlobalServiceEvents') ?? true,
      logging: false,
    };
    trails.push(trail);
    const { HomeRegion: _homeRegion, HasCustomEventSelectors: _selectors, HasInsightSelectors: _insights, ...created } = describeTrail(trail);
    return created;
  };
}

function describeTrails(log: CloudTrailLog): Operation {
  return (input, context) => {
    const names = optionalArray(input, 'trailNameList')?.filter((name): name is string => typeof name === 'string');
    const includeShadowTrails = optionalBoolean(input, 'includeShadowTrails') ?? true;
    const trails = log.trails
      .trailsOf(context.accountId)
      .filter((trail) => trail.homeRegion === context.region || (includeShadowTrails && trail.isMultiRegionTrail))
      .filter((trail) => names === undefined || names.length === 0 || names.includes(trail.name) || names.includes(trail.arn));
    return { trailList: trails.map(describeTrail) };
  };
}

function getTrailStatus(log: CloudTrailLog): Operation {
  return (input, context) => {
    const trail = findTrail(log, context, requireString(input, 'Name', 'name'));
    return {
      IsLogging: trail.logging,
      ...(trail.startLoggingTime !== undefined ? { StartLoggingTime: new Date(trail.startLoggingTime) } : {}),
      ...(trail.stopLoggingTime !== undefined ? { StopLoggingTime: new Date(trail.stopLoggingTime) } : {}),
    };
  };
}

/** StartLogging and StopLogging act only on a trail in its home Region, as AWS requires. */
function setLogging(log: CloudTrailLog, logging: boolean): Operation {
  return (input, context) => {
    const name = requireString(input, 'Name', 'name');
    const trail = findTrail(log, context, name);
    if (trail.homeRegion !== context.region) {
      throw new AwsError(
        'InvalidHomeRegionException',
        `This operation must be called from the trail's home Region, ${trail.homeRegion}.`,
      );
    }
    trail.logging = logging;
    if (logging) trail.startLoggingTime = log.trails.now();
    else trail.stopLoggingTime = log.trails.now();
    return {};
  };
}

/** Builds the CloudTrail operations of one emulator, by the name in `X-Amz-Target`. */
export function cloudTrailOperations(log: CloudTrailLog): Record<string, Operation> {
  return {
    CreateTrail: createTrail(log),
    DescribeTrails: describeTrails(log),
    GetTrailStatus: getTrailStatus(log),
    LookupEvents: lookupEvents(log),
    StartLogging: setLogging(log, true),
    StopLogging: setLogging(log, false),
  };
}
