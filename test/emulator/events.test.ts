import { CreateEventBusCommand, PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VirtualClock } from '../../local/clock.js';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { LOCAL_ACCOUNT_ID } from '../../local/identities.js';
import { eventsClient, rejection } from './helpers.js';

const START = Date.UTC(2027, 0, 1);

describe('EventBridge', () => {
  let emulator: Emulator;
  let events: EventBridgeClient;

  beforeAll(async () => {
    emulator = await startEmulator({ clock: new VirtualClock(START) });
    events = eventsClient(emulator.endpoint);
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('creates an event bus', async () => {
    const created = await events.send(new CreateEventBusCommand({ Name: 'kms-rotator' }));
    expect(created.EventBusArn).toBe(`arn:aws:events:us-east-1:${LOCAL_ACCOUNT_ID}:event-bus/kms-rotator`);

    const duplicate = await rejection(events.send(new CreateEventBusCommand({ Name: 'kms-rotator' })));
    expect(duplicate.name).toBe('ResourceAlreadyExistsException');
    expect(duplicate.message).toBe('Event bus kms-rotator already exists.');

    const reserved = await rejection(events.send(new CreateEventBusCommand({ Name: 'default' })));
    expect(reserved.name).toBe('ResourceAlreadyExistsException');
    expect(reserved.message).toBe('Event bus default already exists.');
  });

  it('validates event bus names', async () => {
    const pattern = await rejection(events.send(new CreateEventBusCommand({ Name: 'has space' })));
    expect(pattern.name).toBe('ValidationException');
    expect(pattern.message).toBe(
      "1 validation error detected: Value 'has space' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+",
    );

    const slash = await rejection(events.send(new CreateEventBusCommand({ Name: 'a/b' })));
    expect(slash.name).toBe('ValidationException');
    expect(slash.message).toBe("Event bus name a/b is not valid: custom event bus names cannot contain '/'.");

    const longName = 'b'.repeat(257);
    const tooLong = await rejection(events.send(new CreateEventBusCommand({ Name: longName })));
    expect(tooLong.name).toBe('ValidationException');
    expect(tooLong.message).toBe(
      `1 validation error detected: Value '${longName}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 256`,
    );
  });

  it('puts good and bad entries', async () => {
    await events.send(new CreateEventBusCommand({ Name: 'audit' }));
    const result = await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'kms-rotator', DetailType: 'KeyRotated', Detail: '{"keyId":"k1"}', Resources: ['arn:aws:kms:us-east-1:1:key/k1'] },
          { DetailType: 'KeyRotated', Detail: '{}' },
          { Source: 'kms-rotator', Detail: '{}' },
          { Source: 'kms-rotator', DetailType: 'KeyRotated' },
          { Source: 'kms-rotator', DetailType: 'KeyRotated', Detail: 'not json' },
          { Source: 'kms-rotator', DetailType: 'KeyRotated', Detail: '[1,2]' },
          { Source: 'kms-rotator', DetailType: 'KeyRotated', Detail: '{}', EventBusName: 'missing-bus' },
          {
            Source: 'kms-rotator',
            DetailType: 'AuditRecord',
            Detail: '{"ok":true}',
            EventBusName: `arn:aws:events:us-east-1:${LOCAL_ACCOUNT_ID}:event-bus/audit`,
          },
        ],
      }),
    );

    expect(result.FailedEntryCount).toBe(5);
    const entries = result.Entries ?? [];
    expect(entries[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(entries[1]).toEqual({ ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' });
    expect(entries[2]).toEqual({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
    });
    expect(entries[3]).toEqual({ ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.' });
    expect(entries[4]).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
    expect(entries[5]).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
    // AWS accepts an entry for a bus that does not exist and drops the event.
    expect(entries[6]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(entries[7]?.EventId).toBeDefined();

    const published = emulator.events();
    expect(published).toHaveLength(2);
    expect(published[0]).toEqual({
      accountId: LOCAL_ACCOUNT_ID,
      region: 'us-east-1',
      eventBusName: 'default',
      source: 'kms-rotator',
      detailType: 'KeyRotated',
      detail: { keyId: 'k1' },
      resources: ['arn:aws:kms:us-east-1:1:key/k1'],
      time: new Date(START),
      id: entries[0]?.EventId,
    });
    expect(published[1]?.eventBusName).toBe('audit');
  });

  it('limits PutEvents to 10 entries', async () => {
    const entries = Array.from({ length: 11 }, () => ({ Source: 's', DetailType: 't', Detail: '{}' }));
    const error = await rejection(events.send(new PutEventsCommand({ Entries: entries })));
    expect(error.name).toBe('ValidationException');
    expect(error.message).toBe(
      "1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10",
    );

    const empty = await rejection(events.send(new PutEventsCommand({ Entries: [] })));
    expect(empty.name).toBe('ValidationException');
    expect(empty.message).toBe(
      "1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });
});
