import { cloudTrailOperations } from './cloudtrail/operations.js';
import type { CloudTrailLog } from './cloudtrail/log.js';
import { createEventBus } from './events/buses.js';
import { putEventsOperation, type PublishedEvent } from './events/put-events.js';
import { kmsOperations } from './kms/operations.js';
import type { Operation } from './types.js';

export type ServiceName = 'kms' | 'events' | 'cloudtrail';

/**
 * JSON 1.1 target prefixes: `X-Amz-Target: <prefix>.<Operation>`. CloudTrail's prefix is
 * `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101` in current AWS SDKs and
 * `CloudTrail_20131101` in older ones; both are accepted.
 */
const TARGET_PREFIXES: Record<string, ServiceName> = {
  TrentService: 'kms',
  AWSEvents: 'events',
  'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101': 'cloudtrail',
  CloudTrail_20131101: 'cloudtrail',
};

export interface Target {
  service: ServiceName;
  operation: string;
}

export function parseTarget(header: string | undefined): Target | undefined {
  if (!header) return undefined;
  const dot = header.lastIndexOf('.');
  if (dot < 0) return undefined;
  const service = TARGET_PREFIXES[header.slice(0, dot)];
  if (!service) return undefined;
  return { service, operation: header.slice(dot + 1) };
}

export type DispatchTable = Record<ServiceName, Record<string, Operation>>;

/** Builds the operation table of one emulator; PutEvents hands each accepted event to `publish`. */
export function createDispatchTable(publish: (event: PublishedEvent) => void, cloudTrail: CloudTrailLog): DispatchTable {
  return {
    kms: kmsOperations,
    events: {
      CreateEventBus: createEventBus,
      PutEvents: putEventsOperation(publish),
    },
    cloudtrail: cloudTrailOperations(cloudTrail),
  };
}
