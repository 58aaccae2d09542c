import { randomUUID } from 'node:crypto';

import { AwsError } from '../errors.js';
import type { Operation, RequestContext } from '../types.js';
import { requireArray } from '../validation.js';
import { DEFAULT_BUS, eventsRegionState } from './buses.js';

/** An event put on an event bus: accepted by PutEvents, or sent by an AWS service (CloudTrail, KMS). */
export interface PublishedEvent {
  accountId: string;
  region: string;
  eventBusName: string;
  source: string;
  detailType: string;
  detail: unknown;
  resources: string[];
  time: Date;
  id: string;
}

/** Largest PutEvents request, counting Detail sizes, from the PutEvents API reference (256 KB). */
const MAX_ENTRIES_SIZE = 256 * 1024;

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

function entryError(code: string, message: string): EntryResult {
  return { ErrorCode: code, ErrorMessage: message };
}

function text(entry: Record<string, unknown>, field: string): string | undefined {
  const value = entry[field];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Returns the bus name an entry targets, from its EventBusName (a name or an ARN) or the default bus. */
function targetBusName(entry: Record<string, unknown>, context: RequestContext): string | undefined {
  const value = text(entry, 'EventBusName');
  if (value === undefined) return DEFAULT_BUS;
  if (!value.startsWith('arn:')) return value;
  const match = /^arn:[^:]+:events:([^:]+):(\d{12}):event-bus\/(.+)$/.exec(value);
  if (!match || match[1] !== context.region || match[2] !== context.accountId) return undefined;
  return match[3];
}

/**
 * Validates each entry as AWS does and records the good ones. Per-entry error codes and messages
 * are the ones AWS returns for a missing Source, DetailType or Detail and for a Detail that is not
 * a JSON object, as recorded in the moto and LocalStack EventBridge test suites.
 * For a bus that does not exist, AWS accepts the entry, returns an EventId and drops the event
 * (aws/aws-cli issue 9186, January 2025); the emulator does the same, so events() never shows it.
 */
export function putEventsOperation(publish: (event: PublishedEvent) => void): Operation {
  return (input, context) => {
    const entries = requireArray(input, 'Entries', 'entries');
    if (entries.length < 1 || entries.length > 10) {
      const bound = entries.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 10';
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
      );
    }
    const totalSize = entries.reduce<number>((sum, entry) => sum + Buffer.byteLength(JSON.stringify(entry ?? null)), 0);
    if (totalSize > MAX_ENTRIES_SIZE) {
      throw new AwsError('ValidationException', 'Total size of the entries in the request is over the limit.');
    }

    const region = eventsRegionState(context);
    const results: EntryResult[] = entries.map((raw) => {
      const entry = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
      const source = text(entry, 'Source');
      const detailType = text(entry, 'DetailType');
      const detailText = text(entry, 'Detail');
      if (source === undefined) {
        return entryError('InvalidArgument', 'Parameter Source is not valid. Reason: Source is a required argument.');
      }
      if (detailType === undefined) {
        return entryError('InvalidArgument', 'Parameter DetailType is not valid. Reason: DetailType is a required argument.');
      }
      if (detailText === undefined) {
        return entryError('InvalidArgument', 'Parameter Detail is not valid. Reason: Detail is a required argument.');
      }
      let detail: unknown;
      try {
        detail = JSON.parse(detailText);
      } catch {
        return entryError('MalformedDetail', 'Detail is malformed.');
      }
      if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
        return entryError('MalformedDetail', 'Detail is malformed.');
      }

      const busName = targetBusName(entry, context);
      const id = randomUUID();
      if (busName === undefined || !region.buses[busName]) return { EventId: id };

      const resources = Array.isArray(entry.Resources) ? entry.Resources.filter((r): r is string => typeof r === 'string') : [];
      const time = typeof entry.Time === 'number' ? new Date(entry.Time * 1000) : context.clock.now();
      publish({
        accountId: context.accountId,
        region: context.region,
        eventBusName: busName,
        source,
        detailType,
        detail,
        resources,
        time,
        id,
      });
      return { EventId: id };
    });

    const failedEntryCount = results.filter((result) => 'ErrorCode' in result).length;
    return { FailedEntryCount: failedEntryCount, Entries: results };
  };
}
