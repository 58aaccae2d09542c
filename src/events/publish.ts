import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';

export const EVENT_SOURCE = 'kms-rotator';

/** Detail types of the events the tool publishes; docs/events.md gives each detail's fields. */
export type DetailType =
  | 'Rotation Due Soon'
  | 'Successor Published'
  | 'Key Rotated'
  | 'Rotation Rolled Back'
  | 'Rotation Failed'
  | 'Rotation Blocked'
  | 'Rotation Drift Repaired'
  | 'Alias Paused'
  | 'Alias Resumed'
  | 'Retirement Requested'
  | 'Retirement Reminder'
  | 'Approval Recorded'
  | 'Retirement Approved'
  | 'Retirement Rejected'
  | 'Retirement Refused'
  | 'Retirement Expired'
  | 'Retirement Withdrawn'
  | 'Key Disabled'
  | 'Key Deletion Scheduled'
  | 'Key Deletion Cancelled'
  | 'Audit Alert';

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
