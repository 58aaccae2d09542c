import { createEventBus } from './events/buses.js';
import { putEventsOperation, type PublishedEvent } from './events/put-events.js';
import { kmsOperations } from './kms/operations.js';
import type { Operation } from './types.js';

export type ServiceName = 'kms' | 'events';

/** JSON 1.1 target prefixes: `X-Amz-Target: <prefix>.<Operation>`. */
const TARGET_PREFIXES: Record<string, ServiceName> = {
  TrentService: 'kms',
  AWSEvents: 'events',
};

export interface Target {
  service: ServiceName;
  operation: string;
}

export function parseTarget(header: string | undefined): Target | undefined {
  if (!header) return undefined;
  const dot = header.indexOf('.');
  if (dot < 0) return undefined;
  const service = TARGET_PREFIXES[header.slice(0, dot)];
  if (!service) return undefined;
  return { service, operation: header.slice(dot + 1) };
}

export type DispatchTable = Record<ServiceName, Record<string, Operation>>;

/** Builds the operation table of one emulator; PutEvents appends to that emulator's event list. */
export function createDispatchTable(published: PublishedEvent[]): DispatchTable {
  return {
    kms: kmsOperations,
    events: {
      CreateEventBus: createEventBus,
      PutEvents: putEventsOperation(published),
    },
  };
}
