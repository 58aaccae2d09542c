import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  ListAliasesCommand,
  ScheduleKeyDeletionCommand,
  UpdateKeyDescriptionCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VirtualClock } from '../../local/clock.js';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { DAY_MS, kmsClient, rejection } from './helpers.js';

describe('KMS key lifecycle', () => {
  const clock = new VirtualClock(Date.UTC(2027, 0, 1));
  let emulator: Emulator;
  let kms: KMSClient;

  async function newKey(): Promise<{ keyId: string; arn: string }> {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    return { keyId: metadata?.KeyId ?? '', arn: metadata?.Arn ?? '' };
  }

  beforeAll(async () => {
    emulator = await startEmulator({ clock });
    kms = kmsClient(emulator.endpoint);
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('disables and enables a key', async () => {
    const { keyId } = await newKey();
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    const disabled = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(disabled.KeyMetadata?.KeyState).toBe('Disabled');
    expect(disabled.KeyMetadata?.Enabled).toBe(false);

    await kms.send(new EnableKeyCommand({ KeyId: keyId }));
    const enabled = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(enabled.KeyMetadata?.KeyState).toBe('Enabled');
    expect(enabled.KeyMetadata?.Enabled).toBe(true);
  });

  it('schedules deletion with the default window', async () => {
    const { keyId, arn } = await newKey();
    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId }));
    expect(scheduled.KeyId).toBe(arn);
    expect(scheduled.KeyState).toBe('PendingDeletion');
    expect(scheduled.PendingWindowInDays).toBe(30);
    expect(scheduled.DeletionDate).toEqual(new Date(clock.now().getTime() + 30 * DAY_MS));

    const { KeyMetadata: metadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(metadata?.KeyState).toBe('PendingDeletion');
    expect(metadata?.DeletionDate).toEqual(scheduled.DeletionDate);
  });

  it('enforces the deletion window range', async () => {
    const { keyId } = await newKey();
    for (const [days, bound] of [
      [6, 'greater than or equal to 7'],
      [31, 'less than or equal to 30'],
    ] as const) {
      const error = await rejection(kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: days })));
      expect(error.name, String(days)).toBe('ValidationException');
      expect(error.message, String(days)).toBe(
        `1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value ${bound}`,
      );
    }
    for (const days of [7, 30]) {
      const { keyId: other } = await newKey();
      const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: other, PendingWindowInDays: days }));
      expect(scheduled.PendingWindowInDays).toBe(days);
    }
  });

  it('rejects alias forms for ScheduleKeyDeletion', async () => {
    const { keyId } = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/no-delete-by-alias', TargetKeyId: keyId }));
    const error = await rejection(kms.send(new ScheduleKeyDeletionCommand({ KeyId: 'alias/no-delete-by-alias' })));
    expect(error.name).toBe('NotFoundException');
    expect(error.message).toBe('Invalid keyId alias/no-delete-by-alias');
  });

  it('applies the state table while pending deletion', async () => {
    const { keyId, arn } = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const attempts = [
      kms.send(new EnableKeyCommand({ KeyId: keyId })),
      kms.send(new DisableKeyCommand({ KeyId: keyId })),
      kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId })),
      kms.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: 'late' })),
    ];
    for (const attempt of attempts) {
      const error = await rejection(attempt);
      expect(error.name).toBe('KMSInvalidStateException');
      expect(error.message).toBe(`${arn} is pending deletion.`);
    }
  });

  it('cancels deletion into Disabled', async () => {
    const { keyId, arn } = await newKey();
    const notPending = await rejection(kms.send(new CancelKeyDeletionCommand({ KeyId: keyId })));
    expect(notPending.name).toBe('KMSInvalidStateException');
    expect(notPending.message).toBe(`${arn} is not pending deletion.`);

    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId }));
    const cancelled = await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    expect(cancelled.KeyId).toBe(arn);
    const { KeyMetadata: metadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(metadata?.KeyState).toBe('Disabled');
    expect(metadata?.DeletionDate).toBeUndefined();
  });

  it('rejects EnableKey while pending import', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }));
    const error = await rejection(kms.send(new EnableKeyCommand({ KeyId: metadata?.KeyId })));
    expect(error.name).toBe('KMSInvalidStateException');
    expect(error.message).toBe(`${metadata?.Arn} is pending import.`);
  });

  it('deletes the key when the date passes', async () => {
    const { keyId, arn } = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/expiring', TargetKeyId: keyId }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));

    clock.advance(7 * DAY_MS - 1);
    const stillThere = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(stillThere.KeyMetadata?.KeyState).toBe('PendingDeletion');

    clock.advance(1);
    const deleted = await rejection(kms.send(new DescribeKeyCommand({ KeyId: keyId })));
    expect(deleted.name).toBe('NotFoundException');
    expect(deleted.message).toBe(`Key '${arn}' does not exist`);
    const aliases = await kms.send(new ListAliasesCommand({}));
    expect(aliases.Aliases?.map((alias) => alias.AliasName)).not.toContain('alias/expiring');
  });
});
