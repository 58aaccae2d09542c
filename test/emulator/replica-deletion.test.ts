import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ReplicateKeyCommand,
  ScheduleKeyDeletionCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VirtualClock } from '../../local/clock.js';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { LOCAL_ACCOUNT_ID } from '../../local/identities.js';
import { DAY_MS, kmsClient, rejection } from './helpers.js';

const PRIMARY_REGION = 'us-east-1';
const REPLICA_REGION = 'eu-west-1';

function arnIn(region: string, keyId: string): string {
  return `arn:aws:kms:${region}:${LOCAL_ACCOUNT_ID}:key/${keyId}`;
}

describe('KMS multi-Region key deletion', () => {
  const clock = new VirtualClock(Date.UTC(2027, 0, 1));
  let emulator: Emulator;
  let primaryKms: KMSClient;
  let replicaKms: KMSClient;

  async function newReplicatedKey(): Promise<string> {
    const { KeyMetadata: metadata } = await primaryKms.send(new CreateKeyCommand({ MultiRegion: true }));
    const keyId = metadata?.KeyId ?? '';
    await primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION }));
    return keyId;
  }

  beforeAll(async () => {
    emulator = await startEmulator({ clock });
    primaryKms = kmsClient(emulator.endpoint, undefined, PRIMARY_REGION);
    replicaKms = kmsClient(emulator.endpoint, undefined, REPLICA_REGION);
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('waits for replicas before the primary window', async () => {
    const keyId = await newReplicatedKey();
    const scheduled = await primaryKms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 10 }));
    expect(scheduled.KeyId).toBe(arnIn(PRIMARY_REGION, keyId));
    expect(scheduled.KeyState).toBe('PendingReplicaDeletion');
    expect(scheduled.PendingWindowInDays).toBe(10);
    expect(scheduled.DeletionDate).toBeUndefined();

    const pending = await primaryKms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(pending.KeyMetadata?.KeyState).toBe('PendingReplicaDeletion');
    expect(pending.KeyMetadata?.Enabled).toBe(false);
    expect(pending.KeyMetadata?.PendingDeletionWindowInDays).toBe(10);
    expect(pending.KeyMetadata?.DeletionDate).toBeUndefined();

    // A primary key pending replica deletion stays so however long its replicas live.
    clock.advance(365 * DAY_MS);
    const later = await primaryKms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(later.KeyMetadata?.KeyState).toBe('PendingReplicaDeletion');

    const replicaScheduled = await replicaKms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    expect(replicaScheduled.KeyState).toBe('PendingDeletion');
    const replicaDeletionDate = clock.now().getTime() + 7 * DAY_MS;
    expect(replicaScheduled.DeletionDate).toEqual(new Date(replicaDeletionDate));

    clock.advance(7 * DAY_MS);
    const replicaGone = await rejection(replicaKms.send(new DescribeKeyCommand({ KeyId: keyId })));
    expect(replicaGone.name).toBe('NotFoundException');
    expect(replicaGone.message).toBe(`Key '${arnIn(REPLICA_REGION, keyId)}' does not exist`);

    const deleting = await primaryKms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(deleting.KeyMetadata?.KeyState).toBe('PendingDeletion');
    expect(deleting.KeyMetadata?.DeletionDate).toEqual(new Date(replicaDeletionDate + 10 * DAY_MS));
    expect(deleting.KeyMetadata?.PendingDeletionWindowInDays).toBeUndefined();
    expect(deleting.KeyMetadata?.MultiRegionConfiguration?.ReplicaKeys).toEqual([]);

    clock.advance(10 * DAY_MS);
    const primaryGone = await rejection(primaryKms.send(new DescribeKeyCommand({ KeyId: keyId })));
    expect(primaryGone.name).toBe('NotFoundException');
  });

  it('starts the window when the replica is deleted', async () => {
    const keyId = await newReplicatedKey();
    await replicaKms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const replicaDeletionDate = clock.now().getTime() + 7 * DAY_MS;
    await primaryKms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));

    // Only the primary Region is read: the replica's deletion is still applied, then the primary's.
    clock.advance(20 * DAY_MS);
    const primaryGone = await rejection(primaryKms.send(new DescribeKeyCommand({ KeyId: keyId })));
    expect(primaryGone.name).toBe('NotFoundException');
    expect(clock.now().getTime()).toBeGreaterThan(replicaDeletionDate + 7 * DAY_MS);
  });

  it('rejects use while pending replica deletion', async () => {
    const keyId = await newReplicatedKey();
    await primaryKms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId }));
    const arn = arnIn(PRIMARY_REGION, keyId);

    const encrypt = await rejection(primaryKms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })));
    expect(encrypt.name).toBe('KMSInvalidStateException');
    expect(encrypt.message).toBe(`${arn} is pending replica deletion.`);

    const replicate = await rejection(primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'us-west-2' })));
    expect(replicate.name).toBe('KMSInvalidStateException');
    expect(replicate.message).toBe(`${arn} is pending replica deletion.`);

    const again = await rejection(primaryKms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId })));
    expect(again.name).toBe('KMSInvalidStateException');
    expect(again.message).toBe(`${arn} is pending replica deletion.`);

    // The replica is unaffected and still encrypts.
    const fromReplica = await replicaKms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') }));
    expect(fromReplica.KeyId).toBe(arnIn(REPLICA_REGION, keyId));
  });

  it('cancels pending replica deletion', async () => {
    const keyId = await newReplicatedKey();
    await primaryKms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId }));
    const cancelled = await primaryKms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    expect(cancelled.KeyId).toBe(arnIn(PRIMARY_REGION, keyId));

    const { KeyMetadata: metadata } = await primaryKms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(metadata?.KeyState).toBe('Disabled');
    expect(metadata?.PendingDeletionWindowInDays).toBeUndefined();
  });

  it('deletes a primary without replicas normally', async () => {
    const { KeyMetadata: created } = await primaryKms.send(new CreateKeyCommand({ MultiRegion: true }));
    const scheduled = await primaryKms.send(new ScheduleKeyDeletionCommand({ KeyId: created?.KeyId, PendingWindowInDays: 7 }));
    expect(scheduled.KeyState).toBe('PendingDeletion');
    expect(scheduled.DeletionDate).toEqual(new Date(clock.now().getTime() + 7 * DAY_MS));
  });

  it('lets a Region hold a new replica after deletion', async () => {
    const keyId = await newReplicatedKey();
    await replicaKms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));

    const whilePending = await rejection(
      primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION })),
    );
    expect(whilePending.name).toBe('AlreadyExistsException');

    clock.advance(7 * DAY_MS);
    const again = await primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION }));
    expect(again.ReplicaKeyMetadata?.KeyState).toBe('Enabled');
  });
});
