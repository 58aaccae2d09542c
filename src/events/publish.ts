import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';

export const EVENT_SOURCE = 'kms-rotator';

export type DetailType = 'Key Rotated' | 'Rotation Failed' | 'Rotation Blocked';

/** Publishes one event on the project's bus; throws when EventBridge rejects the entry. */
export async function publishEvent(
  eventbridge: EventBridgeClient,
  busName: string,
  detailType: DetailType,
  detail: Record<string, unknown>,
  resources: string[] = [],
): Promise<void> {
  const output = await eventbridge.send(
    new PutEventsCommand({
      Entries: [{ EventBusName: busName, Source: EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), Resources: resources }],
    }),
  );
  const failed = output.Entries?.find((entry) => entry.ErrorCode);
  if ((output.FailedEntryCount ?? 0) > 0 || failed) {
    throw new Error(`EventBridge rejected the ${detailType} event on bus ${busName}: ${failed?.ErrorCode}: ${failed?.ErrorMessage}`);
  }
}
