import {
  CreateKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyRotationCommand,
  GetKeyRotationStatusCommand,
  ListKeyRotationsCommand,
  RotateKeyOnDemandCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VirtualClock } from '../../local/clock.js';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { DAY_MS, kmsClient, rejection } from './helpers.js';

describe('KMS rotation', () => {
  const clock = new VirtualClock(Date.UTC(2027, 0, 1));
  let emulator: Emulator;
  let kms: KMSClient;

  beforeAll(async () => {
    emulator = await startEmulator({ clock });
    kms = kmsClient(emulator.endpoint);
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('enables rotation with the default period', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    const before = await kms.send(new GetKeyRotationStatusCommand({ KeyId: metadata?.KeyId }));
    expect(before.KeyRotationEnabled).toBe(false);
    expect(before.RotationPeriodInDays).toBeUndefined();

    await kms.send(new EnableKeyRotationCommand({ KeyId: metadata?.KeyId }));
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: metadata?.KeyId }));
    expect(status.KeyId).toBe(metadata?.Arn);
    expect(status.KeyRotationEnabled).toBe(true);
    expect(status.RotationPeriodInDays).toBe(365);
    expect(status.NextRotationDate).toEqual(new Date(clock.now().getTime() + 365 * DAY_MS));
    expect(status.OnDemandRotationStartDate).toBeUndefined();

    await kms.send(new DisableKeyRotationCommand({ KeyId: metadata?.KeyId }));
    const disabled = await kms.send(new GetKeyRotationStatusCommand({ KeyId: metadata?.KeyId }));
    expect(disabled.KeyRotationEnabled).toBe(false);
    expect(disabled.NextRotationDate).toBeUndefined();
  });

  it('enforces the rotation period range', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    for (const [days, bound] of [
      [89, 'greater than or equal to 90'],
      [2561, 'less than or equal to 2560'],
    ] as const) {
      const error = await rejection(kms.send(new EnableKeyRotationCommand({ KeyId: metadata?.KeyId, RotationPeriodInDays: days })));
      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe(
        `1 validation error detected: Value '${days}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value ${bound}`,
      );
    }
    await kms.send(new EnableKeyRotationCommand({ KeyId: metadata?.KeyId, RotationPeriodInDays: 90 }));
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: metadata?.KeyId }));
    expect(status.RotationPeriodInDays).toBe(90);
  });

  it('rejects rotation of non-symmetric keys', async () => {
    const { KeyMetadata: hmac } = await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }));
    const error = await rejection(kms.send(new EnableKeyRotationCommand({ KeyId: hmac?.KeyId })));
    expect(error.name).toBe('UnsupportedOperationException');
    expect(error.message).toBe(`${hmac?.Arn} key spec is HMAC_256 which is not valid for this operation.`);

    const { KeyMetadata: external } = await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }));
    const externalError = await rejection(kms.send(new RotateKeyOnDemandCommand({ KeyId: external?.KeyId })));
    expect(externalError.name).toBe('UnsupportedOperationException');
    expect(externalError.message).toBe(`${external?.Arn} origin is EXTERNAL which is not valid for this operation.`);
  });

  it('rejects rotation of disabled keys', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    await kms.send(new DisableKeyCommand({ KeyId: metadata?.KeyId }));
    const error = await rejection(kms.send(new EnableKeyRotationCommand({ KeyId: metadata?.KeyId })));
    expect(error.name).toBe('DisabledException');
    expect(error.message).toBe(`${metadata?.Arn} is disabled.`);
  });

  it('limits on-demand rotations to 25', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    for (let i = 0; i < 25; i += 1) {
      const rotated = await kms.send(new RotateKeyOnDemandCommand({ KeyId: metadata?.KeyId }));
      expect(rotated.KeyId).toBe(metadata?.KeyId);
    }
    const error = await rejection(kms.send(new RotateKeyOnDemandCommand({ KeyId: metadata?.KeyId })));
    expect(error.name).toBe('LimitExceededException');
    expect(error.message).toBe(
      `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${metadata?.Arn}`,
    );
  });

  it('rotates automatically when the date passes', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    await kms.send(new EnableKeyRotationCommand({ KeyId: metadata?.KeyId, RotationPeriodInDays: 100 }));
    const enabledAt = clock.now().getTime();

    clock.advance(250 * DAY_MS);
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: metadata?.KeyId }));
    expect(status.NextRotationDate).toEqual(new Date(enabledAt + 300 * DAY_MS));
  });

  it('lists automatic and on-demand rotations', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    await kms.send(new EnableKeyRotationCommand({ KeyId: metadata?.KeyId, RotationPeriodInDays: 90 }));
    const enabledAt = clock.now().getTime();
    clock.advance(10 * DAY_MS);
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: metadata?.KeyId }));
    clock.set(enabledAt + 90 * DAY_MS + 1);

    const listed = await kms.send(new ListKeyRotationsCommand({ KeyId: metadata?.KeyId }));

    expect(listed.Truncated).toBe(false);
    expect(listed.Rotations?.map(({ RotationType, RotationDate }) => ({ RotationType, RotationDate }))).toEqual([
      { RotationType: 'ON_DEMAND', RotationDate: new Date(enabledAt + 10 * DAY_MS) },
      { RotationType: 'AUTOMATIC', RotationDate: new Date(enabledAt + 90 * DAY_MS) },
    ]);
    const firstPage = await kms.send(new ListKeyRotationsCommand({ KeyId: metadata?.KeyId, Limit: 1 }));
    expect(firstPage.Rotations).toHaveLength(1);
    expect(firstPage.Truncated).toBe(true);
    const secondPage = await kms.send(new ListKeyRotationsCommand({ KeyId: metadata?.KeyId, Limit: 1, Marker: firstPage.NextMarker }));
    expect(secondPage.Rotations?.[0]?.RotationType).toBe('AUTOMATIC');
    expect(secondPage.Truncated).toBe(false);
  });
});
