import * as z from 'zod/mini';
import { fastLooseObject } from '../validation.js';

/**
 * Schemas of every shape in which KMS activity reaches the audit function. Objects are loose:
 * CloudTrail adds fields between event versions, and an unknown field must never reject an event.
 * Field meanings follow the CloudTrail record contents and userIdentity pages of the AWS CloudTrail
 * User Guide and the "Monitor KMS keys with Amazon EventBridge" page of the AWS KMS Developer Guide.
 */

const nonEmpty = z.string().check(z.minLength(1, 'must be a non-empty string'));
const isoTime = z.string().check(z.refine((text) => !Number.isNaN(Date.parse(text)), 'must be an ISO 8601 time such as 2027-01-01T00:00:00Z'));

/**
 * A JSON object; CloudTrail writes `null` for the request and response of many calls. The object
 * is kept as it is: `z.record` would check and copy every key of every record.
 */
const jsonObject = z.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
  error: (issue) => `Invalid input: expected record, received ${receivedType(issue.input)}`,
});

const sessionIssuerSchema = fastLooseObject({
  type: z.optional(z.string()),
  principalId: z.optional(z.string()),
  arn: z.optional(z.string()),
  accountId: z.optional(z.string()),
  userName: z.optional(z.string()),
});

/** The `userIdentity` element. Service events carry only `accountId` and `invokedBy`, with no type. */
export const userIdentitySchema = fastLooseObject({
  type: z.optional(z.string()),
  principalId: z.optional(z.string()),
  arn: z.optional(z.string()),
  accountId: z.optional(z.string()),
  accessKeyId: z.optional(z.string()),
  userName: z.optional(z.string()),
  invokedBy: z.optional(z.string()),
  identityProvider: z.optional(z.string()),
  credentialId: z.optional(z.string()),
  sessionContext: z.optional(
    fastLooseObject({
      sessionIssuer: z.optional(sessionIssuerSchema),
      sourceIdentity: z.optional(z.string()),
    }),
  ),
  onBehalfOf: z.optional(
    fastLooseObject({
      userId: z.optional(z.string()),
      identityStoreArn: z.optional(z.string()),
    }),
  ),
});

const resourceSchema = fastLooseObject({
  ARN: z.optional(z.string()),
  accountId: z.optional(z.string()),
  type: z.optional(z.string()),
});

/** One CloudTrail record: a `detail` of EventBridge, or one entry of a log file's `Records`. */
export const cloudTrailRecordSchema = fastLooseObject({
  eventVersion: z.optional(z.string()),
  userIdentity: userIdentitySchema,
  eventTime: isoTime,
  eventSource: nonEmpty,
  eventName: nonEmpty,
  awsRegion: nonEmpty,
  sourceIPAddress: z.optional(z.string()),
  userAgent: z.optional(z.string()),
  errorCode: z.optional(z.string()),
  errorMessage: z.optional(z.string()),
  requestParameters: z.optional(z.nullable(jsonObject)),
  responseElements: z.optional(z.nullable(jsonObject)),
  additionalEventData: z.optional(z.nullable(jsonObject)),
  serviceEventDetails: z.optional(z.nullable(jsonObject)),
  requestID: z.optional(z.string()),
  eventID: nonEmpty,
  readOnly: z.optional(z.boolean()),
  resources: z.optional(z.array(resourceSchema)),
  eventType: z.optional(z.string()),
  recipientAccountId: z.optional(z.string()),
});

export const CLOUDTRAIL_DETAIL_TYPES = ['AWS API Call via CloudTrail', 'AWS Service Event via CloudTrail'] as const;
export const KMS_SERVICE_DETAIL_TYPES = ['KMS CMK Rotation', 'KMS CMK Deletion', 'KMS Imported Key Material Expiration'] as const;

const envelope = {
  version: z.optional(z.string()),
  id: nonEmpty,
  source: nonEmpty,
  account: nonEmpty,
  time: isoTime,
  region: nonEmpty,
  resources: z._default(z.array(z.string()), []),
};

/** An EventBridge event carrying a CloudTrail record, from `aws.kms` or (for the state table's policy) `aws.dynamodb`. */
export const cloudTrailEventSchema = fastLooseObject({
  ...envelope,
  'detail-type': z.enum(CLOUDTRAIL_DETAIL_TYPES),
  detail: cloudTrailRecordSchema,
});

/** An event KMS sends to EventBridge itself, best effort; the same event may arrive twice. */
export const kmsServiceEventSchema = fastLooseObject({
  ...envelope,
  'detail-type': z.enum(KMS_SERVICE_DETAIL_TYPES),
  source: z.literal('aws.kms'),
  detail: fastLooseObject({
    'key-id': nonEmpty,
    'key-material-id': z.optional(z.string()),
    'rotation-type': z.optional(z.string()),
  }),
});

export type UserIdentity = z.output<typeof userIdentitySchema>;
export type CloudTrailRecord = z.output<typeof cloudTrailRecordSchema>;
export type CloudTrailEvent = z.output<typeof cloudTrailEventSchema>;
export type KmsServiceEvent = z.output<typeof kmsServiceEventSchema>;

/** An input the audit function accepted, tagged with the shape it arrived in. */
export type AuditInput =
  | { shape: 'cloudtrail-event'; event: CloudTrailEvent; record: CloudTrailRecord }
  | { shape: 'kms-service-event'; event: KmsServiceEvent }
  | { shape: 'cloudtrail-file-record'; record: CloudTrailRecord };

/** Why an input was not audited: `invalid` for a malformed event, `ignored` for one that is not KMS activity. */
export type RejectedInput = { rejected: 'invalid' | 'ignored'; reason: string };

/**
 * Validates one input of any accepted shape. Returns the parsed input, or the reason it is not
 * audited, naming every invalid field and its value. Never throws.
 */
export function parseAuditInput(input: unknown): AuditInput | RejectedInput {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { rejected: 'invalid', reason: `expected a JSON object, received ${describeValue(input)}` };
  }
  const candidate = input as Record<string, unknown>;

  if ('detail-type' in candidate) {
    const detailType = candidate['detail-type'];
    if ((KMS_SERVICE_DETAIL_TYPES as readonly unknown[]).includes(detailType)) {
      const parsed = kmsServiceEventSchema.safeParse(candidate);
      return parsed.success ? { shape: 'kms-service-event', event: parsed.data } : invalid(`${String(detailType)} event`, candidate, parsed.error);
    }
    if (!(CLOUDTRAIL_DETAIL_TYPES as readonly unknown[]).includes(detailType)) {
      return { rejected: 'ignored', reason: `detail-type ${clip(detailType)} from source ${clip(candidate.source)} is not KMS activity` };
    }
    const parsed = cloudTrailEventSchema.safeParse(candidate);
    if (!parsed.success) return invalid(`${String(detailType)} event`, candidate, parsed.error);
    const ignored = ignoredSource(parsed.data.detail);
    return ignored ?? { shape: 'cloudtrail-event', event: parsed.data, record: parsed.data.detail };
  }

  if ('eventSource' in candidate || 'eventName' in candidate || 'eventID' in candidate) {
    const parsed = cloudTrailRecordSchema.safeParse(candidate);
    if (!parsed.success) return invalid('CloudTrail record', candidate, parsed.error);
    return ignoredSource(parsed.data) ?? { shape: 'cloudtrail-file-record', record: parsed.data };
  }

  return { rejected: 'invalid', reason: 'expected an EventBridge event (with detail-type) or a CloudTrail record (with eventSource and eventName); found neither' };
}

/** DynamoDB calls audited: changes to a table's resource policy, which guards the state table. */
export const AUDITED_DYNAMODB_OPERATIONS = ['PutResourcePolicy', 'DeleteResourcePolicy'] as const;

function ignoredSource(record: CloudTrailRecord): RejectedInput | undefined {
  if (record.eventSource === 'kms.amazonaws.com') return undefined;
  if (record.eventSource === 'dynamodb.amazonaws.com' && (AUDITED_DYNAMODB_OPERATIONS as readonly string[]).includes(record.eventName)) return undefined;
  return { rejected: 'ignored', reason: `${record.eventSource} ${record.eventName} is not KMS activity` };
}

function invalid(what: string, document: Record<string, unknown>, error: z.core.$ZodError): RejectedInput {
  const problems = error.issues.map((issue) => {
    const path = issue.path.join('.');
    const value = valueAt(document, issue.path);
    const shown = value === undefined ? 'missing' : `value ${truncate(JSON.stringify(value))}`;
    return `field ${path || '(root)'}: ${shown}: ${issue.message}`;
  });
  return { rejected: 'invalid', reason: `invalid ${what}: ${problems.join('; ')}` };
}

function valueAt(document: unknown, path: PropertyKey[]): unknown {
  let current = document;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Returns the type name zod gives a value in its messages: string, number, array, null and so on. */
function receivedType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function truncate(text: string | undefined, max = 80): string {
  if (text === undefined) return 'undefined';
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/** Quotes a value for a message, cut to 80 characters, so an oversized input cannot flood the log. */
function clip(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}… (${text.length} characters)` : text;
}
