import { randomUUID } from 'node:crypto';

import type { Clock } from '../../../src/clock.js';
import type { LocalIdentity } from '../../identities.js';
import type { PublishedEvent } from '../events/put-events.js';
import type { KmsServiceEvent } from '../hooks.js';
import { partitionOf } from '../state.js';
import {
  EVENT_SOURCES,
  isDataEvent,
  isReadOnly,
  requestParametersOf,
  resourcesOf,
  responseElementsOf,
  type CallDetails,
  type CloudTrailResource,
} from './elements.js';
import { formatEventTime, userIdentityOf, type CloudTrailUserIdentity } from './identity.js';
import { TrailStore } from './trails.js';

/** One CloudTrail record, in the shape of the CloudTrail record contents reference. */
export interface CloudTrailRecord {
  eventVersion: string;
  userIdentity: CloudTrailUserIdentity;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  requestID?: string;
  eventID: string;
  readOnly: boolean;
  resources?: CloudTrailResource[];
  eventType: 'AwsApiCall' | 'AwsServiceEvent';
  managementEvent: boolean;
  recipientAccountId: string;
  serviceEventDetails?: Record<string, unknown>;
  eventCategory: 'Management' | 'Data';
}

/** A stored record with what LookupEvents sorts and filters on. */
export interface StoredRecord {
  record: CloudTrailRecord;
  accountId: string;
  region: string;
  /** eventTime in epoch milliseconds. */
  time: number;
  /** Order of storage, which breaks ties between records of the same time. */
  sequence: number;
}

export type EventListener = (event: PublishedEvent) => void | Promise<void>;

/** One request served, as the protocol layer reports it for logging. */
export interface ApiCall extends CallDetails {
  identity: LocalIdentity;
  region: string;
  time: Date;
  requestId: string;
  errorCode?: string;
  errorMessage?: string;
  userAgent: string;
  sourceIp: string;
}

/** CloudTrail record format version of the current KMS Developer Guide examples. */
const EVENT_VERSION = '1.11';

/**
 * EventBridge leaves out read-only management events whose name starts with Describe, Get or List
 * unless a rule opts in with ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS ("Receiving read-only
 * management events from AWS services", Amazon EventBridge User Guide). Read-only calls with
 * other names, such as Encrypt and Decrypt, are delivered to plain rules.
 */
function deliveredToPlainRules(record: CloudTrailRecord): boolean {
  return !(record.readOnly && /^(Describe|Get|List)/.test(record.eventName));
}

/**
 * The emulator's CloudTrail: every record it made, its trails, and the events it puts on the
 * default event buses. Records are kept in memory only, like `Emulator.calls()`.
 */
export class CloudTrailLog {
  readonly trails: TrailStore;
  private readonly stored: StoredRecord[] = [];
  private readonly listeners = new Set<EventListener>();
  private readonly sessionStarts = new Map<string, Date>();
  private sequence = 0;

  constructor(
    private readonly clock: Clock,
    trailLogging: boolean,
  ) {
    this.trails = new TrailStore(clock, trailLogging);
  }

  records(): CloudTrailRecord[] {
    return this.stored.map((entry) => structuredClone(entry.record));
  }

  storedRecords(): readonly StoredRecord[] {
    return this.stored;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Calls every subscriber with an event put on a bus. A subscriber's failure is logged and does not reach the caller. */
  notify(event: PublishedEvent): void {
    for (const listener of this.listeners) {
      const report = (error: unknown) =>
        console.error(`kms-rotator emulator: an event subscriber failed on event ${event.id} (${event.detailType}):`, error);
      try {
        const result = listener(structuredClone(event));
        if (result instanceof Promise) result.catch(report);
      } catch (error) {
        report(error);
      }
    }
  }

  /** Records a served request and delivers it to the default bus where EventBridge would. */
  recordApiCall(call: ApiCall): CloudTrailRecord {
    const { identity } = call;
    const sessionStart = this.sessionStarts.get(identity.arn) ?? call.time;
    this.sessionStarts.set(identity.arn, sessionStart);
    const dataEvent = isDataEvent(call.service, call.operation);
    const resources = resourcesOf(call, identity.accountId, call.region, partitionOf(call.region));

    const record: CloudTrailRecord = {
      eventVersion: EVENT_VERSION,
      userIdentity: userIdentityOf(identity, sessionStart),
      eventTime: formatEventTime(call.time),
      eventSource: EVENT_SOURCES[call.service].eventSource,
      eventName: call.operation,
      awsRegion: call.region,
      sourceIPAddress: call.sourceIp,
      userAgent: call.userAgent,
      ...(call.errorCode !== undefined ? { errorCode: call.errorCode, errorMessage: call.errorMessage ?? '' } : {}),
      requestParameters: requestParametersOf(call),
      responseElements: call.errorCode === undefined ? responseElementsOf(call) : null,
      requestID: call.requestId,
      eventID: randomUUID(),
      readOnly: isReadOnly(call.service, call.operation),
      ...(resources.length > 0 ? { resources } : {}),
      eventType: 'AwsApiCall',
      managementEvent: !dataEvent,
      recipientAccountId: identity.accountId,
      eventCategory: dataEvent ? 'Data' : 'Management',
    };
    this.store(record, identity.accountId, call.region, call.time.getTime());

    if (!dataEvent && deliveredToPlainRules(record) && this.trails.isLogging(identity.accountId, call.region)) {
      this.deliver(record, EVENT_SOURCES[call.service].source, 'AWS API Call via CloudTrail', identity.accountId, call.region, call.time);
    }
    return record;
  }

  /**
   * Records a rotation or deletion that KMS completed by itself, as an AwsServiceEvent (the KMS
   * Developer Guide's RotateKey and DeleteKey examples), and puts the matching KMS event on the
   * default bus ("Monitor KMS keys with Amazon EventBridge"). KMS sends those events whether or
   * not a trail is logging; the CloudTrail copy is delivered only where one is.
   */
  recordKmsServiceEvent(event: KmsServiceEvent): CloudTrailRecord {
    const { key } = event;
    const time = new Date(event.time);
    const serviceEventDetails: Record<string, unknown> =
      event.kind === 'RotateKey'
        ? {
            rotationType: event.rotationType,
            keyOrigin: key.origin,
            ...(event.previousMaterialId !== undefined ? { previousKeyMaterialId: event.previousMaterialId } : {}),
            currentKeyMaterialId: event.currentMaterialId,
            keyId: key.keyId,
          }
        : { keyId: key.keyId };

    const record: CloudTrailRecord = {
      eventVersion: EVENT_VERSION,
      userIdentity: { accountId: key.accountId, invokedBy: 'AWS Internal' },
      eventTime: formatEventTime(time),
      eventSource: 'kms.amazonaws.com',
      eventName: event.kind,
      awsRegion: key.region,
      sourceIPAddress: 'AWS Internal',
      userAgent: 'AWS Internal',
      requestParameters: null,
      responseElements: null,
      eventID: randomUUID(),
      readOnly: false,
      resources: [{ accountId: key.accountId, type: 'AWS::KMS::Key', ARN: key.arn }],
      eventType: 'AwsServiceEvent',
      managementEvent: true,
      recipientAccountId: key.accountId,
      serviceEventDetails,
      eventCategory: 'Management',
    };
    this.store(record, key.accountId, key.region, event.time);

    if (this.trails.isLogging(key.accountId, key.region)) {
      this.deliver(record, 'aws.kms', 'AWS Service Event via CloudTrail', key.accountId, key.region, time);
    }
    const detail: Record<string, unknown> =
      event.kind === 'RotateKey'
        ? {
            'key-id': key.keyId,
            'key-origin': key.origin,
            'rotation-type': event.rotationType,
            ...(event.previousMaterialId !== undefined ? { 'previous-key-material-id': event.previousMaterialId } : {}),
            'current-key-material-id': event.currentMaterialId,
          }
        : { 'key-id': key.keyId };
    this.notify({
      accountId: key.accountId,
      region: key.region,
      eventBusName: 'default',
      source: 'aws.kms',
      detailType: event.kind === 'RotateKey' ? 'KMS CMK Rotation' : 'KMS CMK Deletion',
      detail,
      resources: [key.arn],
      time,
      id: randomUUID(),
    });
    return record;
  }

  private store(record: CloudTrailRecord, accountId: string, region: string, time: number): void {
    this.sequence += 1;
    this.stored.push({ record, accountId, region, time, sequence: this.sequence });
  }

  private deliver(record: CloudTrailRecord, source: string, detailType: string, accountId: string, region: string, time: Date): void {
    this.notify({
      accountId,
      region,
      eventBusName: 'default',
      source,
      detailType,
      detail: structuredClone(record),
      resources: [],
      time,
      id: randomUUID(),
    });
  }

  /** Now on the emulator clock, for LookupEvents' 90-day window. */
  now(): Date {
    return this.clock.now();
  }
}
