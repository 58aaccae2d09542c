import {
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  UpdateAliasCommand,
  type Tag,
} from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RotationConfig } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/yaml.js';
import { handleRotateInvoke } from '../../src/rotation/handle-invoke.js';
import type { AliasOutcome } from '../../src/rotation/outcome.js';
import type { SweepResult } from '../../src/rotation/sweep.js';
import { LOCAL_BUS_NAME } from '../../local/cloud.js';
import { jitterMs } from '../../src/rotation/plan.js';
import { createAliasedKey, countCalls, DAY_MS, START, startTestCloud, type TestCloud } from '../support/local-cloud.js';

/** Past the 90-day period plus any jitter, which is at most a day. */
const DUE_MS = 91 * DAY_MS;
const JITTER_MS = jitterMs({ alias: 'alias/orders', region: 'us-east-1', periodMs: 90 * DAY_MS });

const SCHEDULED_EVENT = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2027-01-01T00:00:00Z', detail: {} };

function config(period = '90d'): RotationConfig {
  return parseConfig(`aliases:\n  - alias: alias/orders\n    regions: [us-east-1]\n    period: ${period}\n`);
}

async function runSweep(test: TestCloud, rotationConfig: RotationConfig = config()): Promise<AliasOutcome> {
  const result = (await handleRotateInvoke(test.cloud.rotationDeps(), rotationConfig, SCHEDULED_EVENT)) as SweepResult;
  expect(result.aliases).toHaveLength(1);
  return result.aliases[0] as AliasOutcome;
}

async function aliasTarget(test: TestCloud, alias: string): Promise<string | undefined> {
  const output = await test.operator.kms.send(new DescribeKeyCommand({ KeyId: alias }));
  return output.KeyMetadata?.KeyId;
}

function sortTags(tags: Tag[] | undefined): Tag[] {
  return [...(tags ?? [])].sort((left, right) => (left.TagKey ?? '').localeCompare(right.TagKey ?? ''));
}

describe('rotateAlias', () => {
  let test: TestCloud;

  beforeEach(async () => {
    test = await startTestCloud();
  });

  afterEach(async () => {
    await test.close();
  });

  it('adopts a key that is not due and leaves it', async () => {
    const key = await createAliasedKey(test.operator.kms, 'alias/orders');
    test.clock.set(START + 10 * DAY_MS);

    const outcome = await runSweep(test);

    expect(outcome).toEqual({ alias: 'alias/orders', region: 'us-east-1', outcome: 'not-due', currentKeyId: key.KeyId, keyAgeDays: 10 });
    const tags = await test.operator.kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }));
    expect(sortTags(tags.Tags)).toEqual([
      { TagKey: 'kms-rotator:alias', TagValue: 'alias/orders' },
      { TagKey: 'kms-rotator:managed', TagValue: 'true' },
    ]);
    const generations = await test.cloud.rotationDeps().table.listGenerations('us-east-1', 'alias/orders');
    expect(generations.map(({ generation, keyId, state, source }) => ({ generation, keyId, state, source }))).toEqual([
      { generation: 1, keyId: key.KeyId, state: 'current', source: 'adopted' },
    ]);
    expect(countCalls(test.cloud, 'CreateKey')).toBe(1);
  });

  it('rotates a due key and keeps the old one enabled', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'Root', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }],
    });
    const old = await createAliasedKey(test.operator.kms, 'alias/orders', {
      Description: 'orders data key',
      Policy: policy,
      Tags: [{ TagKey: 'team', TagValue: 'orders' }],
    });
    const before = await test.operator.kms.send(
      new EncryptCommand({ KeyId: 'alias/orders', Plaintext: new TextEncoder().encode('order 42'), EncryptionContext: { app: 'orders' } }),
    );
    test.clock.set(START + DUE_MS);

    const outcome = await runSweep(test);

    expect(outcome.outcome).toBe('rotated');
    expect(outcome.previousKeyId).toBe(old.KeyId);
    expect(outcome.keyAgeDays).toBe(91);
    const newKeyId = outcome.currentKeyId as string;
    expect(newKeyId).not.toBe(old.KeyId);
    expect(await aliasTarget(test, 'alias/orders')).toBe(newKeyId);

    const oldKey = await test.operator.kms.send(new DescribeKeyCommand({ KeyId: old.KeyId }));
    expect(oldKey.KeyMetadata?.KeyState).toBe('Enabled');
    const newKey = (await test.operator.kms.send(new DescribeKeyCommand({ KeyId: newKeyId }))).KeyMetadata;
    expect(newKey?.KeySpec).toBe('SYMMETRIC_DEFAULT');
    expect(newKey?.KeyUsage).toBe('ENCRYPT_DECRYPT');
    expect(newKey?.Description).toBe('orders data key');
    expect(newKey?.MultiRegion).toBe(false);
    const newPolicy = await test.operator.kms.send(new GetKeyPolicyCommand({ KeyId: newKeyId, PolicyName: 'default' }));
    expect(newPolicy.Policy).toBe(policy);
    const newTags = await test.operator.kms.send(new ListResourceTagsCommand({ KeyId: newKeyId }));
    expect(sortTags(newTags.Tags)).toEqual([
      { TagKey: 'kms-rotator:alias', TagValue: 'alias/orders' },
      { TagKey: 'kms-rotator:managed', TagValue: 'true' },
      { TagKey: 'team', TagValue: 'orders' },
    ]);

    const decrypted = await test.operator.kms.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob, EncryptionContext: { app: 'orders' } }));
    expect(new TextDecoder().decode(decrypted.Plaintext)).toBe('order 42');
    expect(decrypted.KeyId).toBe(old.Arn);
    const after = await test.operator.kms.send(new EncryptCommand({ KeyId: 'alias/orders', Plaintext: new Uint8Array([1]) }));
    expect(after.KeyId).toBe(newKey?.Arn);

    const generations = await test.cloud.rotationDeps().table.listGenerations('us-east-1', 'alias/orders');
    expect(generations.map(({ generation, keyId, state, source, promotedAt, supersededAt }) => ({ generation, keyId, state, source, promotedAt, supersededAt }))).toEqual([
      { generation: 1, keyId: old.KeyId, state: 'superseded', source: 'adopted', promotedAt: undefined, supersededAt: '2027-04-02T00:00:00.000Z' },
      { generation: 2, keyId: newKeyId, state: 'current', source: 'rotated', promotedAt: '2027-04-02T00:00:00.000Z', supersededAt: undefined },
    ]);

    const events = test.cloud.emulator.events().filter((event) => event.eventBusName === LOCAL_BUS_NAME);
    expect(events).toHaveLength(1);
    expect(events[0]?.source).toBe('kms-rotator');
    expect(events[0]?.detailType).toBe('Key Rotated');
    expect(events[0]?.detail).toEqual({
      version: 1,
      alias: 'alias/orders',
      region: 'us-east-1',
      strategy: 'alias',
      rotationId: expect.any(String),
      trigger: 'schedule',
      previousKeyId: old.KeyId,
      previousKeyArn: old.Arn,
      newKeyId,
      newKeyArn: newKey?.Arn,
      generation: 2,
      previousKeyGrants: [],
      rotatedAt: '2027-04-02T00:00:00.000Z',
    });
  });

  it('counts key age from the promotion', async () => {
    await createAliasedKey(test.operator.kms, 'alias/orders');
    test.clock.set(START + 90 * DAY_MS + JITTER_MS - 1);
    const early = await runSweep(test);
    expect(early.outcome).toBe('not-due');

    test.clock.set(START + 90 * DAY_MS + JITTER_MS);
    const first = await runSweep(test);
    expect(first.outcome).toBe('rotated');
    const promotedAt = test.clock.now().getTime();

    test.clock.set(promotedAt + 90 * DAY_MS + JITTER_MS - 1);
    const notYet = await runSweep(test);
    expect(notYet).toEqual({ alias: 'alias/orders', region: 'us-east-1', outcome: 'not-due', currentKeyId: first.currentKeyId, keyAgeDays: Math.floor((90 * DAY_MS + JITTER_MS - 1) / DAY_MS) });

    test.clock.set(promotedAt + 90 * DAY_MS + JITTER_MS);
    const second = await runSweep(test);
    expect(second.outcome).toBe('rotated');
    expect(second.previousKeyId).toBe(first.currentKeyId);
  });

  it.each([
    { keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' },
    { keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT' },
    { keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' },
    { keySpec: 'RSA_3072', keyUsage: 'ENCRYPT_DECRYPT' },
    { keySpec: 'RSA_3072', keyUsage: 'SIGN_VERIFY' },
    { keySpec: 'RSA_4096', keyUsage: 'ENCRYPT_DECRYPT' },
    { keySpec: 'RSA_4096', keyUsage: 'SIGN_VERIFY' },
    { keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' },
    { keySpec: 'ECC_NIST_P384', keyUsage: 'SIGN_VERIFY' },
    { keySpec: 'ECC_NIST_P521', keyUsage: 'SIGN_VERIFY' },
    { keySpec: 'ECC_SECG_P256K1', keyUsage: 'SIGN_VERIFY' },
    { keySpec: 'HMAC_224', keyUsage: 'GENERATE_VERIFY_MAC' },
    { keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' },
    { keySpec: 'HMAC_384', keyUsage: 'GENERATE_VERIFY_MAC' },
    { keySpec: 'HMAC_512', keyUsage: 'GENERATE_VERIFY_MAC' },
  ] as const)('rotates a $keySpec $keyUsage key', async ({ keySpec, keyUsage }) => {
    const old = await createAliasedKey(test.operator.kms, 'alias/orders', { KeySpec: keySpec, KeyUsage: keyUsage });
    test.clock.set(START + DUE_MS);

    let outcome = await runSweep(test);

    if (keySpec !== 'SYMMETRIC_DEFAULT') {
      // Callers of asymmetric and HMAC keys choose the key, so the successor waits out a 24-hour overlap.
      expect(outcome.outcome).toBe('published');
      expect(await aliasTarget(test, 'alias/orders')).toBe(old.KeyId);
      test.clock.set(START + DUE_MS + 24 * 3_600_000);
      outcome = await runSweep(test);
    }
    expect(outcome.outcome).toBe('rotated');
    const newKey = (await test.operator.kms.send(new DescribeKeyCommand({ KeyId: outcome.currentKeyId }))).KeyMetadata;
    expect(newKey?.KeySpec).toBe(keySpec);
    expect(newKey?.KeyUsage).toBe(keyUsage);
    expect(await aliasTarget(test, 'alias/orders')).toBe(outcome.currentKeyId);
  }, 30_000);

  it('creates one key when two sweeps start together', async () => {
    await createAliasedKey(test.operator.kms, 'alias/orders');
    test.clock.set(START + DUE_MS);
    const createsBefore = countCalls(test.cloud, 'CreateKey');

    const results = (await Promise.all(
      Array.from({ length: 4 }, () => handleRotateInvoke(test.cloud.rotationDeps(), config(), SCHEDULED_EVENT)),
    )) as SweepResult[];

    const outcomes = results.map((result) => result.aliases[0]?.outcome).sort();
    expect(outcomes.filter((outcome) => outcome === 'rotated')).toHaveLength(1);
    expect(outcomes.every((outcome) => outcome === 'rotated' || outcome === 'busy' || outcome === 'not-due')).toBe(true);
    expect(countCalls(test.cloud, 'CreateKey') - createsBefore).toBe(1);
    const generations = await test.cloud.rotationDeps().table.listGenerations('us-east-1', 'alias/orders');
    expect(generations.map((generation) => generation.state)).toEqual(['superseded', 'current']);
  });

  it('rotates now on a manual request and records the reason', async () => {
    const old = await createAliasedKey(test.operator.kms, 'alias/orders');
    test.clock.set(START + DAY_MS);

    const outcome = (await handleRotateInvoke(test.cloud.rotationDeps(), config(), {
      alias: 'alias/orders',
      reason: 'laptop with key access was stolen',
    })) as AliasOutcome;

    expect(outcome.outcome).toBe('rotated');
    expect(outcome.previousKeyId).toBe(old.KeyId);
    const generations = await test.cloud.rotationDeps().table.listGenerations('us-east-1', 'alias/orders');
    expect(generations[1]?.reason).toBe('laptop with key access was stolen');
    const event = test.cloud.emulator.events().find((published) => published.detailType === 'Key Rotated');
    expect(event?.detail).toMatchObject({ trigger: 'manual', reason: 'laptop with key access was stolen' });
  });

  it('rejects a manual request for an unmanaged alias', async () => {
    await createAliasedKey(test.operator.kms, 'alias/orders');
    await createAliasedKey(test.operator.kms, 'alias/other');
    const callsBefore = test.cloud.emulator.calls().length;

    await expect(handleRotateInvoke(test.cloud.rotationDeps(), config(), { alias: 'alias/other', reason: 'test' })).rejects.toMatchObject({
      name: 'InvalidRequestError',
      message: 'The alias alias/other is not managed in us-east-1: only aliases listed for this Region in rotation.config.yml can be rotated',
    });

    expect(test.cloud.emulator.calls().length).toBe(callsBefore);
    expect(await test.cloud.rotationDeps().table.getAlias('us-east-1', 'alias/other')).toBeUndefined();
  });

  it('blocks an alias whose key is disabled', async () => {
    const key = await createAliasedKey(test.operator.kms, 'alias/orders');
    await test.operator.kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    await expect(test.operator.kms.send(new EncryptCommand({ KeyId: 'alias/orders', Plaintext: new Uint8Array([1]) }))).rejects.toMatchObject({
      name: 'DisabledException',
      message: `${key.Arn} is disabled.`,
    });
    test.clock.set(START + DUE_MS);

    const outcome = await runSweep(test);

    expect(outcome.outcome).toBe('blocked');
    expect(outcome.message).toBe(
      `The key ${key.KeyId} of alias/orders is Disabled; kms-rotator rotates only aliases whose key is Enabled, because a person may have disabled it on purpose. Enable the key, or point the alias at an enabled key.`,
    );
    expect(countCalls(test.cloud, 'CreateKey')).toBe(1);
    expect(await aliasTarget(test, 'alias/orders')).toBe(key.KeyId);
  });

  it('fails for an alias missing from KMS', async () => {
    const outcome = await runSweep(test);

    expect(outcome).toEqual({
      alias: 'alias/orders',
      region: 'us-east-1',
      outcome: 'failed',
      step: 'plan',
      message: 'The alias alias/orders does not exist in KMS in us-east-1; create it or remove it from rotation.config.yml',
    });
    expect(countCalls(test.cloud, 'CreateKey')).toBe(0);
  });

  it('reports a create whose outcome is unknown', async () => {
    const key = await createAliasedKey(test.operator.kms, 'alias/orders');
    test.clock.set(START + DUE_MS);
    const deps = test.cloud.rotationDeps();
    await runSweep(test, config('365d'));
    await deps.table.acquireLease('us-east-1', 'alias/orders', 'crashed-run', test.clock.now().getTime(), 1);
    await deps.table.recordIntent('us-east-1', 'alias/orders', 'crashed-run', {
      id: 'crashed-run',
      step: 'intent',
      trigger: 'schedule',
      oldKeyId: key.KeyId as string,
      oldKeyArn: key.Arn as string,
      generation: 2,
      startedAt: test.clock.now().toISOString(),
    });
    test.clock.set(START + 92 * DAY_MS);

    const outcome = await runSweep(test);

    expect(outcome.outcome).toBe('failed');
    expect(outcome.step).toBe('create');
    expect(outcome.message).toContain('Run crashed-run called CreateKey at 2027-04-02T00:00:00.000Z and its outcome is unknown');
    expect(countCalls(test.cloud, 'CreateKey')).toBe(1);
    expect(await aliasTarget(test, 'alias/orders')).toBe(key.KeyId);
  });

  it('resumes a run that died before promotion', async () => {
    const old = await createAliasedKey(test.operator.kms, 'alias/orders');
    test.clock.set(START + DUE_MS);
    const crashing = test.cloud.rotationDeps({ kms: test.cloud.clients().kms });
    crashing.kms.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateAliasCommand') throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        return next(args);
      },
      { step: 'initialize', name: 'failUpdateAlias' },
    );

    const crashed = ((await handleRotateInvoke(crashing, config(), SCHEDULED_EVENT)) as SweepResult).aliases[0];
    expect(crashed?.outcome).toBe('failed');
    expect(crashed?.step).toBe('promote');
    expect(await aliasTarget(test, 'alias/orders')).toBe(old.KeyId);
    const successorKeyId = (await test.cloud.rotationDeps().table.getAlias('us-east-1', 'alias/orders'))?.rotation?.successorKeyId;
    expect(successorKeyId).toBeDefined();

    const resumed = await runSweep(test);

    expect(resumed.outcome).toBe('rotated');
    expect(resumed.currentKeyId).toBe(successorKeyId);
    expect(countCalls(test.cloud, 'CreateKey')).toBe(2);
    expect(await aliasTarget(test, 'alias/orders')).toBe(successorKeyId);
  });

  it('leaves an alias that someone moved mid-run', async () => {
    const old = await createAliasedKey(test.operator.kms, 'alias/orders');
    const elsewhere = await createAliasedKey(test.operator.kms, 'alias/elsewhere');
    test.clock.set(START + DUE_MS);
    const deps = test.cloud.rotationDeps({ kms: test.cloud.clients().kms });
    let moved = false;
    deps.kms.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'EncryptCommand' && !moved) {
          moved = true;
          await test.operator.kms.send(new UpdateAliasCommand({ AliasName: 'alias/orders', TargetKeyId: elsewhere.KeyId }));
        }
        return next(args);
      },
      { step: 'initialize', name: 'moveAliasDuringSelfTest' },
    );

    const outcome = ((await handleRotateInvoke(deps, config(), SCHEDULED_EVENT)) as SweepResult).aliases[0];

    expect(outcome?.outcome).toBe('failed');
    expect(outcome?.step).toBe('promote');
    expect(outcome?.message).toContain(`The alias moved to ${elsewhere.KeyId} during the rotation, not by kms-rotator; it was left alone.`);
    expect(await aliasTarget(test, 'alias/orders')).toBe(elsewhere.KeyId);
    expect(old.KeyId).not.toBe(elsewhere.KeyId);
  });

  it('copies a key policy verbatim', async () => {
    const key = await createAliasedKey(test.operator.kms, 'alias/orders');
    const policy = `{\n  "Version" : "2012-10-17",\n  "Id" : "custom",\n  "Statement" : [ {\n    "Sid" : "Enable IAM User Permissions",\n    "Effect" : "Allow",\n    "Principal" : { "AWS" : "arn:aws:iam::111122223333:root" },\n    "Action" : "kms:*",\n    "Resource" : "*"\n  } ]\n}`;
    await test.operator.kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: 'default', Policy: policy }));
    test.clock.set(START + DUE_MS);

    const outcome = await runSweep(test);

    const copied = await test.operator.kms.send(new GetKeyPolicyCommand({ KeyId: outcome.currentKeyId, PolicyName: 'default' }));
    expect(copied.Policy).toBe(policy);
  });
});
