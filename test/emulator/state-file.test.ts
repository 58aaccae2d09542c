import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CreateEventBusCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  EnableKeyRotationCommand,
  ListResourceTagsCommand,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VirtualClock } from '../../local/clock.js';
import { startEmulator } from '../../local/emulator/index.js';
import { LOCAL_ACCOUNT_ID } from '../../local/identities.js';
import { DAY_MS, eventsClient, kmsClient } from './helpers.js';

interface SavedState {
  version: number;
  kms: Record<string, Record<string, { keys: Record<string, { material: unknown[] }> }>>;
  events: Record<string, Record<string, { buses: Record<string, unknown> }>>;
}

describe('emulator state file', () => {
  let directory: string;

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'kms-emulator-'));
  });

  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('keeps state across a restart', async () => {
    const stateFile = join(directory, 'restart.json');
    const first = await startEmulator({ stateFile });
    const kms = kmsClient(first.endpoint);
    const { KeyMetadata: metadata } = await kms.send(
      new CreateKeyCommand({ Description: 'survives', Tags: [{ TagKey: 'team', TagValue: 'payments' }] }),
    );
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/survivor', TargetKeyId: metadata?.KeyId }));
    await eventsClient(first.endpoint).send(new CreateEventBusCommand({ Name: 'rotation-events' }));
    await first.close();

    const second = await startEmulator({ stateFile });
    const reopened = kmsClient(second.endpoint);
    const described = await reopened.send(new DescribeKeyCommand({ KeyId: 'alias/survivor' }));
    expect(described.KeyMetadata?.KeyId).toBe(metadata?.KeyId);
    expect(described.KeyMetadata?.Description).toBe('survives');
    const tags = await reopened.send(new ListResourceTagsCommand({ KeyId: metadata?.KeyId }));
    expect(tags.Tags).toEqual([{ TagKey: 'team', TagValue: 'payments' }]);

    const put = await eventsClient(second.endpoint).send(
      new PutEventsCommand({ Entries: [{ EventBusName: 'rotation-events', Source: 's', DetailType: 't', Detail: '{}' }] }),
    );
    expect(put.FailedEntryCount).toBe(0);
    await second.close();
  });

  it('saves lazy rotations to the file', async () => {
    const stateFile = join(directory, 'rotation.json');
    const clock = new VirtualClock(Date.UTC(2027, 0, 1));
    const emulator = await startEmulator({ stateFile, clock });
    const kms = kmsClient(emulator.endpoint);
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    await kms.send(new EnableKeyRotationCommand({ KeyId: metadata?.KeyId, RotationPeriodInDays: 90 }));

    const keyId = metadata?.KeyId ?? '';
    const read = (): SavedState => JSON.parse(readFileSync(stateFile, 'utf8')) as SavedState;
    expect(read().version).toBe(1);
    expect(read().kms[LOCAL_ACCOUNT_ID]?.['us-east-1']?.keys[keyId]?.material).toHaveLength(1);

    clock.advance(200 * DAY_MS);
    await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(read().kms[LOCAL_ACCOUNT_ID]?.['us-east-1']?.keys[keyId]?.material).toHaveLength(3);
    await emulator.close();
  });
});
