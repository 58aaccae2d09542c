import {
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyRotationStatusCommand,
  ListResourceTagsCommand,
  type KeyMetadata,
} from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_BUS_NAME } from '../../local/cloud.js';
import { type ManagedAlias } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/yaml.js';
import type { RotationDeps } from '../../src/rotation/deps.js';
import { rotateNative } from '../../src/rotation/native.js';
import type { AliasOutcome } from '../../src/rotation/outcome.js';
import type { RotationRequest } from '../../src/rotation/rotation-request.js';
import { countCalls, createAliasedKey, DAY_MS, START, startTestCloud, type TestCloud } from '../support/local-cloud.js';

const ALIAS = 'alias/orders';
const REGION = 'us-east-1';

function managedAlias(period = '180d'): ManagedAlias {
  const config = parseConfig(`aliases:\n  - alias: ${ALIAS}\n    regions: [${REGION}]\n    strategy: native\n    period: ${period}\n`);
  return config.aliases[0] as ManagedAlias;
}

let runs = 0;

async function runNative(test: TestCloud, request: Partial<RotationRequest> = {}, managed = managedAlias()): Promise<AliasOutcome> {
  runs += 1;
  return rotateNative(test.cloud.rotationDeps(), managed, { runId: `run-${runs}`, trigger: 'schedule', mayCreate: true, ...request });
}

async function rotationStatus(test: TestCloud, keyId: string | undefined) {
  const { KeyRotationEnabled, RotationPeriodInDays, NextRotationDate } = await test.operator.kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
  return { KeyRotationEnabled, RotationPeriodInDays, NextRotationDate: NextRotationDate?.toISOString() };
}

function busEvents(test: TestCloud) {
  return test.cloud.emulator.events().filter((event) => event.eventBusName === LOCAL_BUS_NAME);
}

describe('rotateNative', () => {
  let test: TestCloud;

  beforeEach(async () => {
    test = await startTestCloud();
  });

  afterEach(async () => {
    await test.close();
  });

  it('enables rotation when it adopts the key', async () => {
    const key = await createAliasedKey(test.operator.kms, ALIAS);
    test.clock.set(START + 10 * DAY_MS);

    const outcome = await runNative(test);

    expect(outcome).toEqual({
      alias: ALIAS,
      region: REGION,
      outcome: 'repaired',
      currentKeyId: key.KeyId,
      keyAgeDays: 10,
      message: 'Adopted the key and enabled automatic rotation every 180 days; it was off',
    });
    expect(await rotationStatus(test, key.KeyId)).toEqual({
      KeyRotationEnabled: true,
      RotationPeriodInDays: 180,
      NextRotationDate: '2027-07-10T00:00:00.000Z',
    });
    const tags = await test.operator.kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }));
    expect(tags.Tags).toContainEqual({ TagKey: 'kms-rotator:managed', TagValue: 'true' });
    expect(tags.Tags).toContainEqual({ TagKey: 'kms-rotator:alias', TagValue: ALIAS });
    const generations = await test.cloud.rotationDeps().table.listGenerations(REGION, ALIAS);
    expect(generations.map(({ generation, keyId, state, source }) => ({ generation, keyId, state, source }))).toEqual([
      { generation: 1, keyId: key.KeyId, state: 'current', source: 'adopted' },
    ]);
    expect(busEvents(test)).toEqual([]);
    expect((await test.cloud.rotationDeps().table.getAlias(REGION, ALIAS))?.leaseOwner).toBeUndefined();
  });

  it('reports not-due once the schedule matches', async () => {
    const key = await createAliasedKey(test.operator.kms, ALIAS, { Description: 'orders data key' });
    await test.operator.kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 180 }));
    test.clock.set(START + 3 * DAY_MS);

    const adopted = await runNative(test);
    test.clock.set(START + 40 * DAY_MS);
    const later = await runNative(test);

    expect(adopted).toEqual({ alias: ALIAS, region: REGION, outcome: 'not-due', currentKeyId: key.KeyId, keyAgeDays: 3 });
    expect(later).toEqual({ alias: ALIAS, region: REGION, outcome: 'not-due', currentKeyId: key.KeyId, keyAgeDays: 40 });
    expect(countCalls(test.cloud, 'EnableKeyRotation')).toBe(1);
    expect(busEvents(test)).toEqual([]);
  });

  it('repairs rotation a person disabled', async () => {
    const key = await createAliasedKey(test.operator.kms, ALIAS);
    await runNative(test);
    await test.operator.kms.send(new DisableKeyRotationCommand({ KeyId: key.KeyId }));
    test.clock.set(START + 20 * DAY_MS);

    const outcome = await runNative(test);

    expect(outcome).toEqual({
      alias: ALIAS,
      region: REGION,
      outcome: 'repaired',
      currentKeyId: key.KeyId,
      keyAgeDays: 20,
      message: 'Automatic rotation had been disabled; enabled it again every 180 days, as rotation.config.yml sets',
    });
    expect(await rotationStatus(test, key.KeyId)).toEqual({
      KeyRotationEnabled: true,
      RotationPeriodInDays: 180,
      NextRotationDate: '2027-07-20T00:00:00.000Z',
    });
    const events = busEvents(test);
    expect(events).toHaveLength(1);
    expect(events[0]?.source).toBe('kms-rotator');
    expect(events[0]?.detailType).toBe('Rotation Drift Repaired');
    expect(events[0]?.detail).toEqual({
      version: 1,
      alias: ALIAS,
      region: REGION,
      keyId: key.KeyId,
      keyArn: key.Arn,
      before: { enabled: false, rotationPeriodInDays: null },
      after: { enabled: true, rotationPeriodInDays: 180 },
    });
  });

  it('repairs a changed rotation period', async () => {
    const key = await createAliasedKey(test.operator.kms, ALIAS);
    await runNative(test);
    await test.operator.kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 365 }));

    const outcome = await runNative(test);

    expect(outcome.outcome).toBe('repaired');
    expect(outcome.message).toBe('Automatic rotation was every 365 days instead of 180; set it back to every 180 days, as rotation.config.yml sets');
    expect((await rotationStatus(test, key.KeyId)).RotationPeriodInDays).toBe(180);
    const events = busEvents(test);
    expect(events.map((event) => event.detailType)).toEqual(['Rotation Drift Repaired']);
    expect(events[0]?.detail).toMatchObject({
      before: { enabled: true, rotationPeriodInDays: 365 },
      after: { enabled: true, rotationPeriodInDays: 180 },
    });
  });

  it('repairs a period the config changed', async () => {
    const key = await createAliasedKey(test.operator.kms, ALIAS);
    await runNative(test);

    const outcome = await runNative(test, {}, managedAlias('90d'));

    expect(outcome.outcome).toBe('repaired');
    expect(outcome.message).toBe('Automatic rotation was every 180 days instead of 90; set it back to every 90 days, as rotation.config.yml sets');
    expect((await rotationStatus(test, key.KeyId)).RotationPeriodInDays).toBe(90);
  });

  it('rotates the key material on demand', async () => {
    const key = await createAliasedKey(test.operator.kms, ALIAS);
    await runNative(test);
    const before = await test.operator.kms.send(
      new EncryptCommand({ KeyId: ALIAS, Plaintext: new TextEncoder().encode('order 42'), EncryptionContext: { app: 'orders' } }),
    );
    test.clock.set(START + 30 * DAY_MS);

    const outcome = await runNative(test, {
      trigger: 'manual',
      force: true,
      reason: 'laptop with key access was stolen',
      requestedBy: 'arn:aws:iam::111122223333:user/alice',
    });

    expect(outcome).toEqual({
      alias: ALIAS,
      region: REGION,
      outcome: 'rotated',
      currentKeyId: key.KeyId,
      keyAgeDays: 30,
      message: `Rotated the key material on demand; the key id stays ${key.KeyId}`,
    });
    expect(countCalls(test.cloud, 'RotateKeyOnDemand')).toBe(1);
    const target = await test.operator.kms.send(new DescribeKeyCommand({ KeyId: ALIAS }));
    expect(target.KeyMetadata?.KeyId).toBe(key.KeyId);
    const decrypted = await test.operator.kms.send(
      new DecryptCommand({ CiphertextBlob: before.CiphertextBlob, EncryptionContext: { app: 'orders' } }),
    );
    expect(new TextDecoder().decode(decrypted.Plaintext)).toBe('order 42');
    expect(decrypted.KeyId).toBe(key.Arn);
    // On-demand rotations leave the automatic schedule as it was.
    expect(await rotationStatus(test, key.KeyId)).toEqual({
      KeyRotationEnabled: true,
      RotationPeriodInDays: 180,
      NextRotationDate: '2027-06-30T00:00:00.000Z',
    });
    const events = busEvents(test);
    expect(events.map((event) => event.detailType)).toEqual(['Key Rotated']);
    expect(events[0]?.detail).toEqual({
      version: 1,
      alias: ALIAS,
      region: REGION,
      strategy: 'native',
      keyId: key.KeyId,
      keyArn: key.Arn,
      trigger: 'manual',
      reason: 'laptop with key access was stolen',
      requestedBy: 'arn:aws:iam::111122223333:user/alice',
      rotatedAt: '2027-01-31T00:00:00.000Z',
    });
  });

  it('enables rotation and rotates on a first manual request', async () => {
    const key = await createAliasedKey(test.operator.kms, ALIAS);

    const outcome = await runNative(test, { trigger: 'manual', reason: 'first request' });

    expect(outcome.outcome).toBe('rotated');
    expect(outcome.message).toBe(
      `Adopted the key and enabled automatic rotation every 180 days; it was off. Rotated the key material on demand; the key id stays ${key.KeyId}`,
    );
    expect(busEvents(test).map((event) => event.detailType)).toEqual(['Key Rotated']);
  });

  it('reports the on-demand limit on the 26th rotation', async () => {
    const key = await createAliasedKey(test.operator.kms, ALIAS);
    await runNative(test);
    for (let rotation = 1; rotation <= 25; rotation += 1) {
      const outcome = await runNative(test, { trigger: 'manual', reason: `drill ${rotation}` });
      expect(outcome.outcome).toBe('rotated');
    }

    const outcome = await runNative(test, { trigger: 'manual', reason: 'drill 26' });

    expect(outcome).toEqual({
      alias: ALIAS,
      region: REGION,
      outcome: 'failed',
      step: 'rotate',
      currentKeyId: key.KeyId,
      message:
        `KMS's limit of on-demand rotations is reached for the key ${key.KeyId} of ${ALIAS}, so its key material was not rotated ` +
        `(LimitExceededException: The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${key.Arn}). ` +
        'The AWS KMS Developer Guide allows at most 25 on-demand rotations per key. ' +
        `For new key material now, set strategy: alias for ${ALIAS} in rotation.config.yml and ask again: kms-rotator then points the alias at a new key. ` +
        'Otherwise wait: KMS still rotates it automatically, next on 2027-06-30, since on-demand rotations do not change that schedule.',
    });
    expect(countCalls(test.cloud, 'RotateKeyOnDemand')).toBe(26);
    const failures = busEvents(test).filter((event) => event.detailType === 'Rotation Failed');
    expect(failures).toHaveLength(1);
  });

  it.each([
    {
      name: 'an RSA key',
      input: { KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' },
      message: (key: KeyMetadata) =>
        `The key ${key.KeyId} of ${ALIAS} is a RSA_2048 ENCRYPT_DECRYPT key; KMS rotates key material only in symmetric encryption keys (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT). Set strategy: alias for ${ALIAS} in rotation.config.yml, so that kms-rotator rotates it by pointing the alias at a new key.`,
    },
    {
      name: 'an HMAC key',
      input: { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' },
      message: (key: KeyMetadata) =>
        `The key ${key.KeyId} of ${ALIAS} is a HMAC_256 GENERATE_VERIFY_MAC key; KMS rotates key material only in symmetric encryption keys (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT). Set strategy: alias for ${ALIAS} in rotation.config.yml, so that kms-rotator rotates it by pointing the alias at a new key.`,
    },
    {
      name: 'a key with imported material',
      input: { Origin: 'EXTERNAL' },
      message: (key: KeyMetadata) =>
        `The key ${key.KeyId} of ${ALIAS} has imported key material (origin EXTERNAL); KMS does not rotate imported key material automatically. Rotate it yourself: for a single-Region key, import new key material with ImportType NEW_KEY_MATERIAL and call RotateKeyOnDemand; otherwise create a key, import new material and point the alias at it.`,
    },
  ] as const)('blocks $name', async ({ input, message }) => {
    const key = await createAliasedKey(test.operator.kms, ALIAS, input);

    const outcome = await runNative(test, { trigger: 'manual', reason: 'test' });

    expect(outcome).toEqual({ alias: ALIAS, region: REGION, outcome: 'blocked', step: 'plan', currentKeyId: key.KeyId, message: message(key) });
    expect(countCalls(test.cloud, 'EnableKeyRotation')).toBe(0);
    expect(countCalls(test.cloud, 'RotateKeyOnDemand')).toBe(0);
    expect(busEvents(test).map((event) => event.detailType)).toEqual(['Rotation Blocked']);
  });

  it('blocks a disabled key', async () => {
    const key = await createAliasedKey(test.operator.kms, ALIAS);
    await test.operator.kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));

    const outcome = await runNative(test);

    expect(outcome).toEqual({
      alias: ALIAS,
      region: REGION,
      outcome: 'blocked',
      step: 'plan',
      currentKeyId: key.KeyId,
      message: `The key ${key.KeyId} of ${ALIAS} is Disabled; kms-rotator rotates only aliases whose key is Enabled, because a person may have disabled it on purpose. Enable the key, or point the alias at an enabled key.`,
    });
    expect(countCalls(test.cloud, 'EnableKeyRotation')).toBe(0);
  });

  it('accepts a multi-Region primary key', async () => {
    const key = await createAliasedKey(test.operator.kms, ALIAS, { MultiRegion: true });

    const outcome = await runNative(test);

    expect(outcome.outcome).toBe('repaired');
    expect((await rotationStatus(test, key.KeyId)).RotationPeriodInDays).toBe(180);
  });

  it('reports busy while another run holds the lease', async () => {
    const key = await createAliasedKey(test.operator.kms, ALIAS);
    const deps: RotationDeps = test.cloud.rotationDeps();
    await deps.table.acquireLease(REGION, ALIAS, 'other-run', test.clock.now().getTime(), deps.leaseDurationMs);

    const outcome = await runNative(test, { trigger: 'manual', reason: 'test' });

    expect(outcome).toEqual({
      alias: ALIAS,
      region: REGION,
      outcome: 'busy',
      currentKeyId: key.KeyId,
      message: 'Another run holds the lease of this alias',
    });
    expect(countCalls(test.cloud, 'EnableKeyRotation')).toBe(0);
    expect(countCalls(test.cloud, 'RotateKeyOnDemand')).toBe(0);
    expect((await deps.table.getAlias(REGION, ALIAS))?.leaseOwner).toBe('other-run');
  });

  it('adopts again after EnableKeyRotation fails', async () => {
    const key = await createAliasedKey(test.operator.kms, ALIAS);
    const failing = test.cloud.rotationDeps({ kms: test.cloud.clients().kms });
    failing.kms.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'EnableKeyRotationCommand') throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        return next(args);
      },
      { step: 'initialize', name: 'failEnableKeyRotation' },
    );

    const broken = await rotateNative(failing, managedAlias(), { runId: 'failing-run', trigger: 'schedule', mayCreate: true });
    const next = await runNative(test);

    expect(broken).toEqual({
      alias: ALIAS,
      region: REGION,
      outcome: 'failed',
      step: 'adopt',
      currentKeyId: key.KeyId,
      message: `EnableKeyRotation of the key ${key.KeyId} failed: TimeoutError: socket hang up`,
      transient: true,
    });
    expect(next.outcome).toBe('repaired');
    expect(next.message).toBe('Adopted the key and enabled automatic rotation every 180 days; it was off');
    expect(busEvents(test).map((event) => event.detailType)).toEqual(['Rotation Failed']);
  });

  it('fails for an alias missing from KMS', async () => {
    const outcome = await runNative(test);

    expect(outcome).toEqual({
      alias: ALIAS,
      region: REGION,
      outcome: 'failed',
      step: 'plan',
      message: `The alias ${ALIAS} does not exist in KMS in ${REGION}; create it or remove it from rotation.config.yml`,
    });
  });

  it('leaves a paused alias alone', async () => {
    const key = await createAliasedKey(test.operator.kms, ALIAS);
    await test.cloud.rotationDeps().table.setPaused(REGION, ALIAS, { reason: 'migration in progress', cause: 'person', at: '2027-01-01T00:00:00.000Z' });

    const outcome = await runNative(test, { trigger: 'manual', reason: 'test' });

    expect(outcome).toEqual({
      alias: ALIAS,
      region: REGION,
      outcome: 'paused',
      currentKeyId: key.KeyId,
      message: 'Paused at 2027-01-01T00:00:00.000Z: migration in progress. Resume the alias, or pass force: true, to rotate it.',
    });
    expect(countCalls(test.cloud, 'RotateKeyOnDemand')).toBe(0);
  });

  it('rotates a paused alias when forced', async () => {
    await createAliasedKey(test.operator.kms, ALIAS);
    await test.cloud.rotationDeps().table.setPaused(REGION, ALIAS, { reason: 'migration in progress', cause: 'person', at: '2027-01-01T00:00:00.000Z' });

    const outcome = await runNative(test, { trigger: 'manual', force: true, reason: 'test' });

    expect(outcome.outcome).toBe('rotated');
  });
});
