import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GetKeyLastUsageCommand,
  ReEncryptCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VirtualClock } from '../../local/clock.js';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { DAY_MS, kmsClient, rejection } from './helpers.js';

const START = Date.UTC(2027, 0, 1);

describe('GetKeyLastUsage', () => {
  const clock = new VirtualClock(START);
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

  it('reports no use before any', async () => {
    const { keyId, arn } = await newKey();
    await kms.send(new DescribeKeyCommand({ KeyId: keyId }));

    const usage = await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }));
    expect(usage.KeyId).toBe(keyId);
    expect(usage.KeyLastUsage).toEqual({});
    expect(usage.KeyCreationDate).toEqual(clock.now());
    expect(usage.TrackingStartDate).toEqual(clock.now());
  });

  it('reports the last successful use', async () => {
    const { keyId } = await newKey();
    clock.advance(DAY_MS);
    const { CiphertextBlob: ciphertext } = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') }));
    clock.advance(DAY_MS);
    await kms.send(new DecryptCommand({ CiphertextBlob: ciphertext }));
    const decryptedAt = clock.now();

    const usage = await kms.send(new GetKeyLastUsageCommand({ KeyId: keyId }));
    const record = emulator.cloudTrail().findLast((candidate) => candidate.eventName === 'Decrypt');
    expect(usage.KeyLastUsage).toEqual({
      Operation: 'Decrypt',
      Timestamp: decryptedAt,
      CloudTrailEventId: record?.eventID,
      KmsRequestId: record?.requestID,
    });
  });

  it('ignores failed uses', async () => {
    const { keyId } = await newKey();
    const { CiphertextBlob: ciphertext } = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') }));
    const encryptedAt = clock.now();
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    clock.advance(DAY_MS);
    expect((await rejection(kms.send(new DecryptCommand({ CiphertextBlob: ciphertext })))).name).toBe('DisabledException');

    const usage = await kms.send(new GetKeyLastUsageCommand({ KeyId: keyId }));
    expect(usage.KeyLastUsage?.Operation).toBe('Encrypt');
    expect(usage.KeyLastUsage?.Timestamp).toEqual(encryptedAt);
  });

  it('records ReEncrypt on both keys', async () => {
    const source = await newKey();
    const destination = await newKey();
    const { CiphertextBlob: ciphertext } = await kms.send(new EncryptCommand({ KeyId: source.keyId, Plaintext: Buffer.from('x') }));
    clock.advance(DAY_MS);
    await kms.send(new ReEncryptCommand({ CiphertextBlob: ciphertext, DestinationKeyId: destination.keyId }));

    for (const key of [source, destination]) {
      const usage = await kms.send(new GetKeyLastUsageCommand({ KeyId: key.keyId }));
      expect(usage.KeyLastUsage?.Operation, key.keyId).toBe('ReEncrypt');
      expect(usage.KeyLastUsage?.Timestamp, key.keyId).toEqual(clock.now());
    }
  });

  it('rejects aliases and unknown keys', async () => {
    const alias = await rejection(kms.send(new GetKeyLastUsageCommand({ KeyId: 'alias/anything' })));
    expect(alias).toEqual({ name: 'NotFoundException', message: 'Invalid keyId alias/anything' });
    const unknown = await rejection(kms.send(new GetKeyLastUsageCommand({ KeyId: '11111111-2222-3333-4444-555555555555' })));
    expect(unknown.name).toBe('NotFoundException');
  });
});

describe('GetKeyLastUsage tracking start', () => {
  const clock = new VirtualClock(START);
  const trackingStart = new Date(START + 10 * DAY_MS);
  let emulator: Emulator;
  let kms: KMSClient;

  beforeAll(async () => {
    emulator = await startEmulator({ clock, usageTrackingStartDate: trackingStart });
    kms = kmsClient(emulator.endpoint);
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('records no use before tracking starts', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    await kms.send(new EncryptCommand({ KeyId: metadata?.KeyId, Plaintext: Buffer.from('x') }));

    const before = await kms.send(new GetKeyLastUsageCommand({ KeyId: metadata?.KeyId }));
    expect(before.KeyLastUsage).toEqual({});
    expect(before.TrackingStartDate).toEqual(trackingStart);
    expect(before.KeyCreationDate).toEqual(new Date(START));

    clock.set(trackingStart);
    await kms.send(new EncryptCommand({ KeyId: metadata?.KeyId, Plaintext: Buffer.from('x') }));
    const after = await kms.send(new GetKeyLastUsageCommand({ KeyId: metadata?.KeyId }));
    expect(after.KeyLastUsage?.Timestamp).toEqual(trackingStart);
  });
});
