import type { KeyRecord } from '../kms/model.js';

/**
 * The requestParameters, responseElements, readOnly flag and resources that CloudTrail logs for
 * one call. Sources: the CloudTrail log examples of each operation in the AWS KMS Developer
 * Guide ("Logging AWS KMS API calls with AWS CloudTrail"), which omit plaintext, ciphertext,
 * messages, signatures, MACs and key material, and log `responseElements: null` for
 * cryptographic and read operations.
 */

export type ServiceName = 'kms' | 'events' | 'sts' | 'cloudtrail';

/** Blob members never logged, in requests or responses. */
const SECRET_MEMBERS = new Set([
  'Plaintext',
  'CiphertextBlob',
  'Message',
  'Signature',
  'Mac',
  'ImportToken',
  'EncryptedKeyMaterial',
  'PublicKey',
  'PrivateKeyPlaintext',
  'PrivateKeyCiphertextBlob',
  'CiphertextForRecipient',
  'Recipient',
  'GrantToken',
]);

/** Members whose value is a map of caller-chosen keys, which CloudTrail logs unchanged. */
const MAP_MEMBERS = new Set(['EncryptionContext', 'SourceEncryptionContext', 'DestinationEncryptionContext', 'EncryptionContextSubset', 'EncryptionContextEquals']);

const KMS_CRYPTOGRAPHIC = new Set([
  'Encrypt',
  'Decrypt',
  'ReEncrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateMac',
  'VerifyMac',
  'Sign',
  'Verify',
  'GenerateRandom',
]);

const KMS_ALIAS_OPERATIONS = new Set(['CreateAlias', 'DeleteAlias', 'UpdateAlias']);

/** The event sources of CloudTrail records, and the `source` of the events EventBridge receives from them. */
export const EVENT_SOURCES: Record<ServiceName, { eventSource: string; source: string }> = {
  kms: { eventSource: 'kms.amazonaws.com', source: 'aws.kms' },
  events: { eventSource: 'events.amazonaws.com', source: 'aws.events' },
  sts: { eventSource: 'sts.amazonaws.com', source: 'aws.sts' },
  cloudtrail: { eventSource: 'cloudtrail.amazonaws.com', source: 'aws.cloudtrail' },
};

/**
 * Tells whether CloudTrail marks an operation read-only: the Describe, Get and List operations,
 * LookupEvents, GetCallerIdentity, and the KMS cryptographic operations, which change no resource.
 */
export function isReadOnly(service: ServiceName, operation: string): boolean {
  if (/^(Describe|Get|List)/.test(operation)) return true;
  if (service === 'cloudtrail' && operation === 'LookupEvents') return true;
  return service === 'kms' && KMS_CRYPTOGRAPHIC.has(operation);
}

/**
 * Tells whether a call is a data event rather than a management event. The emulator logs
 * EventBridge PutEvents as a data event, so LookupEvents does not return it and no trail here
 * delivers it. NOTE: no source at hand confirmed how CloudTrail classifies PutEvents.
 */
export function isDataEvent(service: ServiceName, operation: string): boolean {
  return service === 'events' && operation === 'PutEvents';
}

/** Formats a timestamp as CloudTrail writes dates inside KMS responseElements: `Jun 30, 2020 2:34:07 AM`. */
export function formatElementDate(time: Date): string {
  const month = time.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const hours = time.getUTCHours();
  const hour12 = hours % 12 === 0 ? 12 : hours % 12;
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${month} ${time.getUTCDate()}, ${time.getUTCFullYear()} ${hour12}:${pad(time.getUTCMinutes())}:${pad(time.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'}`;
}

/** Converts a request or response body to CloudTrail's member names (first letter lower case), leaving out secret members. */
function toElements(value: unknown, mapValue = false): unknown {
  if (value instanceof Date) return formatElementDate(value);
  if (value instanceof Uint8Array) return undefined;
  if (Array.isArray(value)) return value.map((item) => toElements(item));
  if (typeof value !== 'object' || value === null) return value;
  if (mapValue) return { ...(value as Record<string, unknown>) };

  const converted: Record<string, unknown> = {};
  for (const [member, memberValue] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_MEMBERS.has(member) || memberValue === undefined) continue;
    const name = member.charAt(0).toLowerCase() + member.slice(1);
    converted[name] = toElements(memberValue, MAP_MEMBERS.has(member));
  }
  return converted;
}

function elementsOrNull(value: unknown): Record<string, unknown> | null {
  const converted = toElements(value);
  if (typeof converted !== 'object' || converted === null || Object.keys(converted).length === 0) return null;
  return converted as Record<string, unknown>;
}

export interface CallDetails {
  service: ServiceName;
  operation: string;
  input: Record<string, unknown>;
  /** Response body of a successful call, or undefined for a failed call. */
  output: unknown;
  /** Keys the request resolved, in order. */
  keys: readonly KeyRecord[];
}

/**
 * Returns the requestParameters of a call. Decrypt and Encrypt always log encryptionAlgorithm,
 * and Decrypt logs the key ARN as keyId even when the request named no key, as in the KMS
 * Developer Guide's examples. EventBridge PutEvents logs each entry's source, detail type and bus,
 * without its detail.
 */
export function requestParametersOf(call: CallDetails): Record<string, unknown> | null {
  const { service, operation, input } = call;
  if (service === 'sts') return null;
  if (service === 'events' && operation === 'PutEvents') {
    const entries = Array.isArray(input.Entries) ? input.Entries : [];
    return {
      entries: entries.map((entry) => {
        const fields = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
        return { source: fields.Source, detailType: fields.DetailType, eventBusName: fields.EventBusName };
      }),
    };
  }

  const parameters = elementsOrNull(input) ?? {};
  if (service === 'kms' && (operation === 'Decrypt' || operation === 'Encrypt')) {
    parameters.encryptionAlgorithm ??= 'SYMMETRIC_DEFAULT';
    if (operation === 'Decrypt' && parameters.keyId === undefined && call.keys[0]) parameters.keyId = call.keys[0].arn;
  }
  return Object.keys(parameters).length > 0 ? parameters : null;
}

/**
 * Returns the responseElements of a call, which are null for failures, read-only and
 * cryptographic operations and alias operations. Other calls log their response. A KMS operation
 * that returns nothing logs `keyId` with the key ARN, as KMS has done since December 2022.
 */
export function responseElementsOf(call: CallDetails): Record<string, unknown> | null {
  const { service, operation, output } = call;
  if (output === undefined || isReadOnly(service, operation) || isDataEvent(service, operation)) return null;
  if (service === 'sts' || (service === 'cloudtrail' && operation !== 'CreateTrail')) return null;
  if (service === 'kms' && KMS_ALIAS_OPERATIONS.has(operation)) return null;

  const elements = elementsOrNull(output);
  if (elements) return elements;
  const key = call.keys[0];
  return service === 'kms' && key ? { keyId: key.arn } : null;
}

export interface CloudTrailResource {
  accountId: string;
  type: string;
  ARN: string;
}

/**
 * Returns the resources of a KMS call: each key it resolved, and for the alias operations the
 * alias. NOTE: the KMS Developer Guide's CreateAlias example gives the alias resource no `type`;
 * the emulator writes `AWS::KMS::Alias` so that LookupEvents can report a ResourceType.
 */
export function resourcesOf(call: CallDetails, accountId: string, region: string, partition: string): CloudTrailResource[] {
  if (call.service !== 'kms') return [];
  const resources: CloudTrailResource[] = call.keys.map((key) => ({ accountId: key.accountId, type: 'AWS::KMS::Key', ARN: key.arn }));
  const aliasName = call.input.AliasName;
  if (KMS_ALIAS_OPERATIONS.has(call.operation) && typeof aliasName === 'string') {
    resources.push({ accountId, type: 'AWS::KMS::Alias', ARN: `arn:${partition}:kms:${region}:${accountId}:${aliasName}` });
  }
  return resources;
}
