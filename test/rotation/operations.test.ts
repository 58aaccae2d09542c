import { CreateAliasCommand, CreateGrantCommand, CreateKeyCommand, DescribeKeyCommand, ListResourceTagsCommand, TagResourceCommand } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RotationConfig } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/yaml.js';
import { handleRotateInvoke } from '../../src/rotation/handle-invoke.js';
import type { AliasOutcome } from '../../src/rotation/outcome.js';
import type { SweepResult } from '../../src/rotation/sweep.js';
import type { DryRunResult } from '../../src/rotation/dry-run.js';
import { LOCAL_BUS_NAME } from '../../local/cloud.js';
import { approverIdentity } from '../../local/identities.js';
import { createAliasedKey, countCalls, DAY_MS, START, startTestCloud, type TestCloud } from '../support/local-cloud.js';

const SCHEDULED_EVENT = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2027-01-01T00:00:00Z', detail: {} };
const DUE_MS = 91 * DAY_MS;
const HOUR_MS = 3_600_000;

function config(aliases = ['alias/orders'], settings = ''): RotationConfig {
  const entries = aliases.map((alias) => `  - alias: ${alias}\n    regions: [us-east-1]\n    period: 90d\n`).join('');
  return parseConfig(`${settings ? `settings:\n${settings}` : ''}aliases:\n${entries}`);
}

describe('rotate function operations', () => {
  let test: TestCloud;

  beforeEach(async () => {
    test = await startTestCloud();
  });

  afterEach(async () => {
    await test.close();
  });

  async function sweepOutcomes(rotationConfig: RotationConfig = config()): Promise<AliasOutcome[]> {
    return ((await handleRotateInvoke(test.cloud.rotationDeps(), rotationConfig, SCHEDULED_EVENT)) as SweepResult).aliases;
  }

  function busEvents(detailType: string) {
    return test.cloud.emulator.events().filter((event) => event.eventBusName === LOCAL_BUS_NAME && event.detailType === detailType);
  }

  it('changes nothing on a dry run', async () => {
    const key = await createAliasedKey(test.operator.kms, 'alias/orders');
    await createAliasedKey(test.operator.kms, 'alias/fresh');
    test.clock.set(START + DUE_MS);
    const readOnly = ['DescribeKey', 'ListKeys', 'ListResourceTags'];
    const callsBefore = test.cloud.emulator.calls().filter((call) => !readOnly.includes(call.operation)).length;

    const result = (await handleRotateInvoke(test.cloud.rotationDeps(), config(['alias/orders', 'alias/missing']), { dryRun: true })) as DryRunResult;

    expect(result).toEqual({
      dryRun: true,
      at: '2027-04-02T00:00:00.000Z',
      aliases: [
        {
          alias: 'alias/orders',
          region: 'us-east-1',
          strategy: 'alias',
          period: '90d',
          currentKeyId: key.KeyId,
          keyAgeDays: 91,
          dueAt: expect.stringMatching(/^2027-04-0[12]T/),
          action: 'rotate',
        },
        {
          alias: 'alias/missing',
          region: 'us-east-1',
          strategy: 'alias',
          period: '90d',
          action: 'error',
          message: 'AliasNotFoundError: The alias alias/missing does not exist in KMS in us-east-1; create it or remove it from rotation.config.yml',
        },
      ],
      orphanKeys: [],
    });
    expect(test.cloud.emulator.calls().filter((call) => !readOnly.includes(call.operation)).length).toBe(callsBefore);
    expect(await test.cloud.rotationDeps().table.getAlias('us-east-1', 'alias/orders')).toBeUndefined();
  });

  it('logs not-due aliases at debug and counts them in the summary', async () => {
    await createAliasedKey(test.operator.kms, 'alias/a');
    await createAliasedKey(test.operator.kms, 'alias/b');
    await sweepOutcomes(config(['alias/a', 'alias/b']));
    const lines: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
    const capture = (level: string) => (message: string, fields: Record<string, unknown> = {}) => void lines.push({ level, message, fields });
    const logger = { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') };

    await handleRotateInvoke(test.cloud.rotationDeps({ logger: logger as never }), config(['alias/a', 'alias/b']), SCHEDULED_EVENT);

    expect(lines.filter((line) => line.message === 'Alias checked').map((line) => [line.level, line.fields.alias, line.fields.outcome])).toEqual([
      ['debug', 'alias/a', 'not-due'],
      ['debug', 'alias/b', 'not-due'],
    ]);
    const summary = lines.find((line) => line.message === 'Sweep finished');
    expect(summary?.level).toBe('info');
    expect(summary?.fields).toMatchObject({ checked: 2, rotated: 0, failed: 0, fannedOut: 0, outcomes: { 'not-due': 2 } });
  });

  it('plans aliases that are not due in bulk', async () => {
    const aliases = Array.from({ length: 150 }, (_unused, index) => `alias/bulk-${String(index).padStart(3, '0')}`);
    const key = await test.operator.kms.send(new CreateKeyCommand({}));
    for (const alias of aliases) await test.operator.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyMetadata?.KeyId }));
    await sweepOutcomes(config(aliases));
    test.clock.set(START + 10 * DAY_MS);
    const before = test.cloud.emulator.calls().length;

    const outcomes = await sweepOutcomes(config(aliases));

    expect(new Set(outcomes.map((outcome) => outcome.outcome))).toEqual(new Set(['not-due']));
    const operations = test.cloud.emulator.calls().slice(before).map((call) => call.operation);
    expect(operations).toEqual(['ListAliases', 'ListAliases']);
  }, 60_000);

  it('caps the keys one sweep creates', async () => {
    const aliases = ['alias/a', 'alias/b', 'alias/c'];
    for (const alias of aliases) await createAliasedKey(test.operator.kms, alias);
    test.clock.set(START + DUE_MS);

    const outcomes = await sweepOutcomes(config(aliases, '  maxRotationsPerRun: 2\n'));

    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['rotated', 'rotated', 'deferred']);
    expect(outcomes[2]?.message).toBe('This run reached maxRotationsPerRun; the next sweep rotates the alias');
    expect((await sweepOutcomes(config(aliases, '  maxRotationsPerRun: 2\n'))).map((outcome) => outcome.outcome)).toEqual(['not-due', 'not-due', 'rotated']);
  });

  it('retries a throttled CreateKey, then stops creating', async () => {
    const aliases = ['alias/a', 'alias/b', 'alias/c'];
    for (const alias of aliases) await createAliasedKey(test.operator.kms, alias);
    test.clock.set(START + DUE_MS);
    const createsBefore = countCalls(test.cloud, 'CreateKey');
    test.cloud.emulator.setFaults({ rules: [{ kind: 'throttle', service: 'kms', operation: 'CreateKey', share: 1 }] });

    const outcomes = await sweepOutcomes(config(aliases));

    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['failed', 'deferred', 'deferred']);
    expect(outcomes[0]?.message).toBe('CreateKey failed: ThrottlingException: You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.');
    expect(outcomes[1]?.message).toBe('KMS throttled CreateKey in this run; the next sweep rotates the alias');
    expect(countCalls(test.cloud, 'CreateKey') - createsBefore).toBe(4);
    expect((await test.cloud.rotationDeps().table.getAlias('us-east-1', 'alias/a'))?.rotation).toBeUndefined();

    test.cloud.emulator.setFaults({ rules: [{ kind: 'throttle', service: 'kms', operation: 'CreateKey', nth: 1 }] });
    const next = await sweepOutcomes(config(aliases));
    expect(next.map((outcome) => outcome.outcome)).toEqual(['rotated', 'rotated', 'rotated']);
  });

  it('counts published successors against the cap', async () => {
    const aliases = ['alias/a', 'alias/b', 'alias/c'];
    for (const alias of aliases) await createAliasedKey(test.operator.kms, alias, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    test.clock.set(START + DUE_MS);

    const outcomes = await sweepOutcomes(config(aliases, '  maxRotationsPerRun: 2\n'));

    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['published', 'published', 'deferred']);
    expect(countCalls(test.cloud, 'CreateKey')).toBe(5);
  });

  it('reports a tool-tagged key without a record', async () => {
    await createAliasedKey(test.operator.kms, 'alias/orders');
    await sweepOutcomes();
    const forged = await test.operator.kms.send(
      new CreateKeyCommand({ Tags: [{ TagKey: 'kms-rotator:managed', TagValue: 'true' }, { TagKey: 'kms-rotator:alias', TagValue: 'alias/orders' }] }),
    );

    const result = (await handleRotateInvoke(test.cloud.rotationDeps(), config(), { dryRun: true })) as DryRunResult;

    expect(result.orphanKeys).toEqual([
      {
        keyId: forged.KeyMetadata?.KeyId,
        keyArn: forged.KeyMetadata?.Arn,
        taggedAlias: 'alias/orders',
        keyState: 'Enabled',
        createdAt: '2027-01-01T00:00:00.000Z',
      },
    ]);
    expect(result.aliases[0]?.currentKeyId).not.toBe(forged.KeyMetadata?.KeyId);
  });

  it('ignores a forged successor key', async () => {
    const old = await createAliasedKey(test.operator.kms, 'alias/orders');
    const forged = await test.operator.kms.send(
      new CreateKeyCommand({
        Tags: [
          { TagKey: 'kms-rotator:managed', TagValue: 'true' },
          { TagKey: 'kms-rotator:alias', TagValue: 'alias/orders' },
        ],
      }),
    );
    test.clock.set(START + DUE_MS);

    const [outcome] = await sweepOutcomes();

    expect(outcome?.outcome).toBe('rotated');
    expect(outcome?.previousKeyId).toBe(old.KeyId);
    expect(outcome?.currentKeyId).not.toBe(forged.KeyMetadata?.KeyId);
    const target = await test.operator.kms.send(new DescribeKeyCommand({ KeyId: 'alias/orders' }));
    expect(target.KeyMetadata?.KeyId).toBe(outcome?.currentKeyId);
  });

  it('lists the old key grants in the event', async () => {
    const old = await createAliasedKey(test.operator.kms, 'alias/orders');
    const grant = await test.operator.kms.send(
      new CreateGrantCommand({ KeyId: old.KeyId, GranteePrincipal: approverIdentity.arn, Operations: ['Decrypt', 'Encrypt'] }),
    );
    test.clock.set(START + DUE_MS);

    await sweepOutcomes();

    expect(busEvents('Key Rotated')[0]?.detail).toMatchObject({
      previousKeyGrants: [{ grantId: grant.GrantId, granteePrincipal: approverIdentity.arn, operations: ['Decrypt', 'Encrypt'] }],
    });
  });

  it('blocks a key with too many tags before any change', async () => {
    const tags = Array.from({ length: 49 }, (_unused, index) => ({ TagKey: `t${index}`, TagValue: 'v' }));
    const key = await createAliasedKey(test.operator.kms, 'alias/orders', { Tags: tags });
    test.clock.set(START + DUE_MS);

    const [outcome] = await sweepOutcomes();

    expect(outcome?.outcome).toBe('blocked');
    expect(outcome?.step).toBe('adopt');
    expect(outcome?.message).toBe(
      `The key ${key.KeyId} of alias/orders has 49 user tags; with the tool's 2 tags the successor would have 51, over the KMS limit of 50. Remove at least 1 tag from the key.`,
    );
    expect(countCalls(test.cloud, 'TagResource')).toBe(0);
    expect(countCalls(test.cloud, 'CreateKey')).toBe(1);
    const tagged = await test.operator.kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId, Limit: 50 }));
    expect(tagged.Tags).toHaveLength(49);
  });

  it('rotates the other aliases when one fails', async () => {
    await createAliasedKey(test.operator.kms, 'alias/a');
    await createAliasedKey(test.operator.kms, 'alias/c');
    test.clock.set(START + DUE_MS);

    const outcomes = await sweepOutcomes(config(['alias/a', 'alias/missing', 'alias/c']));

    expect(outcomes.map((outcome) => [outcome.alias, outcome.outcome])).toEqual([
      ['alias/a', 'rotated'],
      ['alias/missing', 'failed'],
      ['alias/c', 'rotated'],
    ]);
  });

  it('announces a blocked key once per change', async () => {
    const key = await createAliasedKey(test.operator.kms, 'alias/orders', { Origin: 'EXTERNAL' });
    test.clock.set(START + DUE_MS);

    const [first] = await sweepOutcomes();
    const [second] = await sweepOutcomes();

    expect(first?.outcome).toBe('blocked');
    expect(first?.message).toBe(
      `The key ${key.KeyId} of alias/orders is PendingImport; kms-rotator rotates only aliases whose key is Enabled, because a person may have disabled it on purpose. Enable the key, or point the alias at an enabled key.`,
    );
    expect(second?.outcome).toBe('blocked');
    expect(busEvents('Rotation Blocked')).toHaveLength(1);
    expect(countCalls(test.cloud, 'CreateKey')).toBe(1);
  });

  it('announces a due rotation once', async () => {
    const key = await createAliasedKey(test.operator.kms, 'alias/orders');
    test.clock.set(START + 80 * DAY_MS);
    await sweepOutcomes();
    expect(busEvents('Rotation Due Soon')).toHaveLength(0);

    test.clock.set(START + 84 * DAY_MS);
    await sweepOutcomes();
    test.clock.set(START + 85 * DAY_MS);
    await sweepOutcomes();

    const notices = busEvents('Rotation Due Soon');
    expect(notices).toHaveLength(1);
    expect(notices[0]?.detail).toMatchObject({ version: 1, alias: 'alias/orders', region: 'us-east-1', keyId: key.KeyId, keyArn: key.Arn });
  });

  it('skips paused aliases until resumed', async () => {
    const key = await createAliasedKey(test.operator.kms, 'alias/orders');
    test.clock.set(START + DUE_MS);
    await test.cloud.rotationDeps().table.setPaused('us-east-1', 'alias/orders', { reason: 'audit freeze', cause: 'person', at: test.clock.now().toISOString() });

    const [paused] = await sweepOutcomes();

    expect(paused).toEqual({
      alias: 'alias/orders',
      region: 'us-east-1',
      outcome: 'paused',
      currentKeyId: key.KeyId,
      keyAgeDays: 91,
      message: 'Paused at 2027-04-02T00:00:00.000Z: audit freeze. Resume the alias to rotate it.',
    });
    await test.cloud.rotationDeps().table.setPaused('us-east-1', 'alias/orders', undefined);
    const [resumed] = await sweepOutcomes();
    expect(resumed?.outcome).toBe('rotated');
  });

  it('holds every alias on a Region pause', async () => {
    await createAliasedKey(test.operator.kms, 'alias/orders');
    test.clock.set(START + DUE_MS);
    await test.cloud.rotationDeps().table.setGlobalPause('us-east-1', { reason: 'incident 77', cause: 'person', at: test.clock.now().toISOString() });

    const [outcome] = await sweepOutcomes();

    expect(outcome).toEqual({ alias: 'alias/orders', region: 'us-east-1', outcome: 'paused', message: 'Every alias of us-east-1 is paused: incident 77' });
    expect(countCalls(test.cloud, 'CreateKey')).toBe(1);
  });

  it('applies the cooldown between manual rotations', async () => {
    await createAliasedKey(test.operator.kms, 'alias/orders');
    test.clock.set(START + DAY_MS);
    const first = (await handleRotateInvoke(test.cloud.rotationDeps(), config(), { alias: 'alias/orders', reason: 'first' })) as AliasOutcome;
    expect(first.outcome).toBe('rotated');

    test.clock.set(START + DAY_MS + 30 * 60_000);
    const second = (await handleRotateInvoke(test.cloud.rotationDeps(), config(), { alias: 'alias/orders', reason: 'second' })) as AliasOutcome;

    expect(second).toEqual({
      alias: 'alias/orders',
      region: 'us-east-1',
      outcome: 'rejected',
      currentKeyId: first.currentKeyId,
      message: 'A person rotated alias/orders at 2027-01-02T00:00:00.000Z; settings.forceCooldown allows the next manual rotation at 2027-01-02T01:00:00.000Z.',
    });
    test.clock.set(START + DAY_MS + HOUR_MS);
    const third = (await handleRotateInvoke(test.cloud.rotationDeps(), config(), { alias: 'alias/orders', reason: 'third' })) as AliasOutcome;
    expect(third.outcome).toBe('rotated');
  });

  it('honours an explicit overlap for a symmetric key', async () => {
    await createAliasedKey(test.operator.kms, 'alias/orders');
    const withOverlap = parseConfig('aliases:\n  - alias: alias/orders\n    regions: [us-east-1]\n    period: 90d\n    overlap: 2h\n');
    test.clock.set(START + DUE_MS);

    const [published] = ((await handleRotateInvoke(test.cloud.rotationDeps(), withOverlap, SCHEDULED_EVENT)) as SweepResult).aliases;
    test.clock.set(START + DUE_MS + HOUR_MS);
    const [waiting] = ((await handleRotateInvoke(test.cloud.rotationDeps(), withOverlap, SCHEDULED_EVENT)) as SweepResult).aliases;
    test.clock.set(START + DUE_MS + 2 * HOUR_MS);
    const [rotated] = ((await handleRotateInvoke(test.cloud.rotationDeps(), withOverlap, SCHEDULED_EVENT)) as SweepResult).aliases;

    expect(published?.outcome).toBe('published');
    expect(waiting?.outcome).toBe('published');
    expect(waiting?.message).toMatch(/the alias moves to it after 2027-04-02T02:00:00.000Z, when the overlap window ends\.$/);
    expect(rotated?.outcome).toBe('rotated');
    expect(busEvents('Successor Published')).toHaveLength(1);
    expect(busEvents('Successor Published')[0]?.detail).toMatchObject({ keySpec: 'SYMMETRIC_DEFAULT', promoteAfter: '2027-04-02T02:00:00.000Z' });
    expect(countCalls(test.cloud, 'CreateKey')).toBe(2);
  });

  it('publishes the public key of an asymmetric successor', async () => {
    await createAliasedKey(test.operator.kms, 'alias/orders', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    test.clock.set(START + DUE_MS);

    const [outcome] = await sweepOutcomes();

    expect(outcome?.outcome).toBe('published');
    const detail = busEvents('Successor Published')[0]?.detail as Record<string, string>;
    expect(detail.keyUsage).toBe('SIGN_VERIFY');
    expect(detail.promoteAfter).toBe('2027-04-03T00:00:00.000Z');
    expect(Buffer.from(detail.publicKey ?? '', 'base64').subarray(0, 2).toString('hex')).toBe('3059');
  });

  it('keeps the tool tags off the key of another alias', async () => {
    const other = await createAliasedKey(test.operator.kms, 'alias/unmanaged');
    await test.operator.kms.send(new TagResourceCommand({ KeyId: other.KeyId, Tags: [{ TagKey: 'kms-rotator:alias', TagValue: 'alias/orders' }] }));
    await createAliasedKey(test.operator.kms, 'alias/orders');
    test.clock.set(START + DUE_MS);

    await sweepOutcomes();

    const target = await test.operator.kms.send(new DescribeKeyCommand({ KeyId: 'alias/unmanaged' }));
    expect(target.KeyMetadata?.KeyId).toBe(other.KeyId);
    expect(await test.cloud.rotationDeps().table.getAlias('us-east-1', 'alias/unmanaged')).toBeUndefined();
  });
});
