import type { KMSClient } from '@aws-sdk/client-kms';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../identity/sha256.js';
import type { TrailEvent, TrailLookup } from './deps.js';

const TARGET = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents';
/** LookupEvents returns at most 50 events per page. */
const PAGE_SIZE = 50;
/** A lookup that would pass this many pages is cut short with an error rather than run for minutes. */
const MAX_PAGES = 200;

interface LookupEventsPage {
  Events?: Array<{ EventId?: string; EventName?: string; EventTime?: number; CloudTrailEvent?: string }>;
  NextToken?: string;
}

/**
 * CloudTrail LookupEvents over the AWS JSON 1.1 protocol, signed with SigV4 by the credentials of
 * an existing KMS client. It replaces `@aws-sdk/client-cloudtrail`, which is not a dependency
 * of the project. `endpoint` is `https://cloudtrail.<region>.amazonaws.com/` unless set.
 * NOTE: LookupEvents allows 2 requests per second per account and Region; this client does not
 * pace its pages, so a key with thousands of events may be throttled.
 */
export function signedTrailLookup(options: { region: string; credentialsFrom: KMSClient; endpoint?: string; fetch?: typeof fetch }): TrailLookup {
  const endpoint = new URL(options.endpoint ?? `https://cloudtrail.${options.region}.amazonaws.com/`);
  const signer = new SignatureV4({
    service: 'cloudtrail',
    region: options.region,
    credentials: () => options.credentialsFrom.config.credentials(),
    sha256: NodeSha256,
    applyChecksum: false,
  });

  async function page(body: Record<string, unknown>): Promise<LookupEventsPage> {
    const text = JSON.stringify(body);
    const signed = await signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port !== '' ? { port: Number(endpoint.port) } : {}),
      path: endpoint.pathname,
      query: {},
      headers: { host: endpoint.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': TARGET },
      body: text,
    });
    const response = await (options.fetch ?? fetch)(endpoint.href, { method: 'POST', headers: signed.headers, body: text, signal: AbortSignal.timeout(10_000) });
    const payload = (await response.json().catch(() => ({}))) as LookupEventsPage & { __type?: string; message?: string; Message?: string };
    if (!response.ok) {
      throw new Error(`CloudTrail LookupEvents failed with HTTP ${response.status}: ${payload.__type ?? 'unknown error'}: ${payload.message ?? payload.Message ?? ''}`);
    }
    return payload;
  }

  return {
    async eventsForKey(keyArn, start, end) {
      const events: TrailEvent[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const output = await page({
          LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: keyArn }],
          StartTime: start.getTime() / 1000,
          EndTime: end.getTime() / 1000,
          MaxResults: PAGE_SIZE,
          ...(nextToken ? { NextToken: nextToken } : {}),
        });
        events.push(...(output.Events ?? []).map(toTrailEvent));
        nextToken = output.NextToken;
        pages += 1;
        if (nextToken && pages >= MAX_PAGES) throw new Error(`CloudTrail LookupEvents returned more than ${MAX_PAGES * PAGE_SIZE} events for ${keyArn}; check the key by hand`);
      } while (nextToken);
      return events;
    },
  };
}

function toTrailEvent(event: NonNullable<LookupEventsPage['Events']>[number]): TrailEvent {
  let record: { userIdentity?: { arn?: string }; errorCode?: string; errorMessage?: string } = {};
  try {
    record = JSON.parse(event.CloudTrailEvent ?? '{}') as typeof record;
  } catch {
    // An unreadable record still counts as an event; it only lacks its principal and error.
  }
  return {
    eventId: event.EventId ?? '',
    eventName: event.EventName ?? '',
    eventTime: new Date((event.EventTime ?? 0) * 1000),
    ...(record.userIdentity?.arn ? { principal: record.userIdentity.arn } : {}),
    ...(record.errorCode ? { errorCode: record.errorCode } : {}),
    ...(record.errorMessage ? { errorMessage: record.errorMessage } : {}),
  };
}
