import { LookupEventsCommand, type CloudTrailClient, type Event } from '@aws-sdk/client-cloudtrail';
import type { TrailEvent } from './deps.js';

/** LookupEvents returns at most 50 events per page. */
const PAGE_SIZE = 50;
/** A lookup that would pass this many pages is cut short with an error rather than run for minutes. */
const MAX_PAGES = 200;

/**
 * Returns every CloudTrail management event whose resources name `keyArn` between `start` and
 * `end`, all pages, through LookupEvents of `cloudtrail`'s Region.
 * NOTE: LookupEvents allows 2 requests per second per account and Region. Pages are not paced,
 * so a key with thousands of events relies on the SDK's retries of ThrottlingException.
 */
export async function keyTrailEvents(cloudtrail: CloudTrailClient, keyArn: string, start: Date, end: Date): Promise<TrailEvent[]> {
  const events: TrailEvent[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const output = await cloudtrail.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: keyArn }],
        StartTime: start,
        EndTime: end,
        MaxResults: PAGE_SIZE,
        NextToken: nextToken,
      }),
    );
    events.push(...(output.Events ?? []).map(toTrailEvent));
    nextToken = output.NextToken;
    pages += 1;
    if (nextToken && pages >= MAX_PAGES) throw new Error(`CloudTrail LookupEvents returned more than ${MAX_PAGES * PAGE_SIZE} events for ${keyArn}; check the key by hand`);
  } while (nextToken);
  return events;
}

function toTrailEvent(event: Event): TrailEvent {
  let record: { userIdentity?: { arn?: string }; errorCode?: string; errorMessage?: string } = {};
  try {
    record = JSON.parse(event.CloudTrailEvent ?? '{}') as typeof record;
  } catch {
    // An unreadable record still counts as an event; it only lacks its principal and error.
  }
  return {
    eventId: event.EventId ?? '',
    eventName: event.EventName ?? '',
    eventTime: event.EventTime ?? new Date(0),
    ...(record.userIdentity?.arn ? { principal: record.userIdentity.arn } : {}),
    ...(record.errorCode ? { errorCode: record.errorCode } : {}),
    ...(record.errorMessage ? { errorMessage: record.errorMessage } : {}),
  };
}
