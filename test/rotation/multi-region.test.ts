import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  ListResourceTagsCommand,
  ReplicateKeyCommand,
  UpdateAliasCommand,
  type KeyMetadata,
  type KMSClient,
  type Tag,
} from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClients, destroyClients, type AwsClients } from '../../src/aws/clients.js';
import type { RotationConfig } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/yaml.js';
import type { RotationDeps } from '../../src/rotation/deps.js';
import { handleRotateInvoke } from '../../src/rotation/handle-invoke.js';
import type { AliasOutcome } from '../../src/rotation/outcome.js';
import type { SweepResult } from '../../src/rotation/sweep.js';
import { LOCAL_BUS_NAME } from '../../local/cloud.js';
import { LOCAL_ACCOUNT_ID, operatorIdentity, toolIdentity } from '../../local/identities.js';
import { countCalls, createAliasedKey, DAY_MS, proofFor, START, startTestCloud, type TestCloud } from '../support/local-cloud.js';

const ALIAS = 'alias/payments';
const PRIMARY = 'us-east-1';
const REPLICA = 'eu-west-1';
/** Past the 90-day period plus any jitter, which is at most a day. */
const DUE_MS = 91 * DAY_MS;
const SCHEDULED_EVENT = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2027-01-01T00:00:00Z', detail: {} };

const MULTI_REGION_CONFIG = parseConfig(`aliases:\n  - alias: ${ALIAS}\n    regions: [${PRIMARY}, ${REPLICA}]\n    period: 90d\n    multiRegion: true\n`);
const SINGLE_REGION_CONFIG = parseConfig(`aliases:\n  - alias: ${ALIAS}\n    regions: [${PRIMARY}]\n    period: 90d\n`);

function policyWith(sid: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: sid, Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:root` }, Action: 'kms:*', Resource: '*' }],
  });
}

const PRIMARY_POLICY = policyWith('PrimaryRegionAdmins');
const REPLICA_POLICY = policyWith('IrelandAdmins');

function sortTags(tags: Tag[] | undefined): Tag[] {
  return [...(tags ?? [])].sort((left, right) => (left.TagKey ?? '').localeCompare(right.TagKey ?? ''));
}

/** Adds a middleware that makes one command fail, before it is sent or after its response arrived. */
function failCommand(kms: KMSClient, commandName: string, when: 'before' | 'after'): void {
  kms.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== commandName) return next(args);
      if (when === 'before') throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      await next(args);
      throw Object.assign(new Error('Lambda timed out'), { name: 'TimeoutError' });
    },
    { step: 'initialize', name: `fail${commandName}${when}` },
  );
}

describe('rotateAlias with a multi-Region alias', () => {
  let test: TestCloud;
  let replicaOperator: AwsClients;

  beforeEach(async () => {
    test = await startTestCloud();
    replicaOperator = createClients({
      region: REPLICA,
      endpoints: test.cloud.endpoints,
      credentials: { accessKeyId: operatorIdentity.accessKeyId, secretAccessKey: operatorIdentity.secretAccessKey },
    });
  });

  afterEach(async () => {
    destroyClients(replicaOperator);
    await test.close();
  });

  /** Creates a multi-Region primary in us-east-1 and its replica in eu-west-1, each with its own policy, description and tags, and the alias in both. */
  async function createMultiRegionAlias(): Promise<{ primary: KeyMetadata; replica: KeyMetadata }> {
    const created = await test.operator.kms.send(
      new CreateKeyCommand({ MultiRegion: true, Description: 'payments key', Policy: PRIMARY_POLICY, Tags: [{ TagKey: 'team', TagValue: 'payments' }] }),
    );
    const primary = created.KeyMetadata as KeyMetadata;
    await test.operator.kms.send(new CreateAliasCommand({ AliasName: ALIAS, TargetKeyId: primary.KeyId }));
    const replicated = await test.operator.kms.send(
      new ReplicateKeyCommand({
        KeyId: primary.KeyId,
        ReplicaRegion: REPLICA,
        Policy: REPLICA_POLICY,
        Description: 'payments key, Ireland',
        Tags: [
          { TagKey: 'team', TagValue: 'payments-eu' },
          { TagKey: 'residency', TagValue: 'eu' },
        ],
      }),
    );
    const replica = replicated.ReplicaKeyMetadata as KeyMetadata;
    await replicaOperator.kms.send(new CreateAliasCommand({ AliasName: ALIAS, TargetKeyId: replica.KeyId }));
    return { primary, replica };
  }

  async function runSweep(deps: RotationDeps = test.cloud.rotationDeps(), config: RotationConfig = MULTI_REGION_CONFIG): Promise<AliasOutcome> {
    const result = (await handleRotateInvoke(deps, config, SCHEDULED_EVENT)) as SweepResult;
    expect(result.aliases).toHaveLength(1);
    return result.aliases[0] as AliasOutcome;
  }

  async function describeKey(kms: KMSClient, keyId: string | undefined): Promise<KeyMetadata> {
    return (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata as KeyMetadata;
  }

  /** Encrypts through the alias in the Region of `kms` and decrypts the result there; returns the key that decrypted. */
  async function roundTripThroughAlias(kms: KMSClient): Promise<string | undefined> {
    const encrypted = await kms.send(new EncryptCommand({ KeyId: ALIAS, Plaintext: new TextEncoder().encode('invoice 7') }));
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }));
    expect(new TextDecoder().decode(decrypted.Plaintext)).toBe('invoice 7');
    return decrypted.KeyId;
  }

  it('rotates the key and its replica', async () => {
    const { primary, replica } = await createMultiRegionAlias();
    const before = await replicaOperator.kms.send(
      new EncryptCommand({ KeyId: ALIAS, Plaintext: new TextEncoder().encode('order 42'), EncryptionContext: { app: 'payments' } }),
    );
    test.clock.set(START + DUE_MS);

    const outcome = await runSweep();

    expect(outcome.outcome).toBe('rotated');
    expect(outcome.previousKeyId).toBe(primary.KeyId);
    const successorId = outcome.currentKeyId as string;
    expect(successorId).toMatch(/^mrk-/);
    expect(successorId).not.toBe(primary.KeyId);

    const successor = await describeKey(test.operator.kms, successorId);
    expect(successor.MultiRegion).toBe(true);
    expect(successor.MultiRegionConfiguration?.MultiRegionKeyType).toBe('PRIMARY');
    expect(successor.Description).toBe('payments key');
    const successorPolicy = await test.operator.kms.send(new GetKeyPolicyCommand({ KeyId: successorId, PolicyName: 'default' }));
    expect(successorPolicy.Policy).toBe(PRIMARY_POLICY);

    const successorReplica = await describeKey(replicaOperator.kms, successorId);
    expect(successorReplica.Arn).toBe(`arn:aws:kms:${REPLICA}:${LOCAL_ACCOUNT_ID}:key/${successorId}`);
    expect(successorReplica.MultiRegionConfiguration?.MultiRegionKeyType).toBe('REPLICA');
    expect(successorReplica.Description).toBe('payments key, Ireland');
    const replicaPolicy = await replicaOperator.kms.send(new GetKeyPolicyCommand({ KeyId: successorId, PolicyName: 'default' }));
    expect(replicaPolicy.Policy).toBe(REPLICA_POLICY);
    expect(replicaPolicy.Policy).not.toBe(PRIMARY_POLICY);
    const replicaTags = await replicaOperator.kms.send(new ListResourceTagsCommand({ KeyId: successorId }));
    expect(sortTags(replicaTags.Tags)).toEqual([
      { TagKey: 'kms-rotator:alias', TagValue: ALIAS },
      { TagKey: 'kms-rotator:managed', TagValue: 'true' },
      { TagKey: 'residency', TagValue: 'eu' },
      { TagKey: 'team', TagValue: 'payments-eu' },
    ]);

    expect((await describeKey(test.operator.kms, ALIAS)).KeyId).toBe(successorId);
    expect((await describeKey(replicaOperator.kms, ALIAS)).Arn).toBe(successorReplica.Arn);
    expect((await describeKey(test.operator.kms, primary.KeyId)).KeyState).toBe('Enabled');
    expect((await describeKey(replicaOperator.kms, replica.KeyId)).KeyState).toBe('Enabled');

    const decrypted = await replicaOperator.kms.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob, EncryptionContext: { app: 'payments' } }));
    expect(new TextDecoder().decode(decrypted.Plaintext)).toBe('order 42');
    expect(decrypted.KeyId).toBe(replica.Arn);
    expect(await roundTripThroughAlias(replicaOperator.kms)).toBe(successorReplica.Arn);

    const item = await test.cloud.rotationDeps().table.getAlias(PRIMARY, ALIAS);
    expect(item?.rotation).toBeUndefined();
    expect(item?.currentKeyId).toBe(successorId);
    const generations = await test.cloud.rotationDeps().table.listGenerations(PRIMARY, ALIAS);
    expect(generations.map(({ generation, keyId, state, replicaKeyArns }) => ({ generation, keyId, state, replicaKeyArns }))).toEqual([
      { generation: 1, keyId: primary.KeyId, state: 'superseded', replicaKeyArns: { [REPLICA]: replica.Arn } },
      { generation: 2, keyId: successorId, state: 'current', replicaKeyArns: { [REPLICA]: successorReplica.Arn } },
    ]);

    const rotated = test.cloud.emulator.events().filter((event) => event.eventBusName === LOCAL_BUS_NAME && event.detailType === 'Key Rotated');
    expect(rotated).toHaveLength(1);
    expect(rotated[0]?.detail).toMatchObject({ alias: ALIAS, region: PRIMARY, newKeyId: successorId, newKeyArn: successor.Arn, replicas: { [REPLICA]: successorReplica.Arn } });
    expect(countCalls(test.cloud, 'CreateKey')).toBe(2);
    expect(countCalls(test.cloud, 'ReplicateKey')).toBe(2);
  });

  it('resumes after UpdateAlias fails in the second Region', async () => {
    const { primary, replica } = await createMultiRegionAlias();
    test.clock.set(START + DUE_MS);
    const crashing = test.cloud.rotationDeps({ kms: test.cloud.clients().kms });
    failCommand(crashing.kms, 'UpdateAliasCommand', 'before');

    const crashed = await runSweep(crashing);

    expect(crashed.outcome).toBe('failed');
    expect(crashed.step).toBe('promote');
    expect(crashed.message).toContain(`UpdateAlias of ${ALIAS} in ${PRIMARY} failed: TimeoutError: socket hang up.`);
    const rotation = (await test.cloud.rotationDeps().table.getAlias(PRIMARY, ALIAS))?.rotation;
    const successorId = rotation?.successorKeyId as string;
    expect(successorId).toMatch(/^mrk-/);
    expect(Object.keys(rotation?.aliasesMovedAt ?? {})).toEqual([REPLICA]);

    // Each Region's alias is on a working key: the replica Region's on the successor, the primary's on the old key.
    expect((await describeKey(test.operator.kms, ALIAS)).KeyId).toBe(primary.KeyId);
    expect((await describeKey(replicaOperator.kms, ALIAS)).KeyId).toBe(successorId);
    expect((await describeKey(test.operator.kms, primary.KeyId)).KeyState).toBe('Enabled');
    expect((await describeKey(replicaOperator.kms, successorId)).KeyState).toBe('Enabled');
    expect(await roundTripThroughAlias(test.operator.kms)).toBe(primary.Arn);
    expect(await roundTripThroughAlias(replicaOperator.kms)).toBe(`arn:aws:kms:${REPLICA}:${LOCAL_ACCOUNT_ID}:key/${successorId}`);
    expect((await describeKey(replicaOperator.kms, replica.KeyId)).KeyState).toBe('Enabled');

    test.clock.set(START + DUE_MS + 3_600_000);
    const resumed = await runSweep();

    expect(resumed.outcome).toBe('rotated');
    expect(resumed.currentKeyId).toBe(successorId);
    expect((await describeKey(test.operator.kms, ALIAS)).KeyId).toBe(successorId);
    expect((await describeKey(replicaOperator.kms, ALIAS)).KeyId).toBe(successorId);
    expect(countCalls(test.cloud, 'CreateKey')).toBe(2);
    expect(countCalls(test.cloud, 'ReplicateKey')).toBe(2);
  });

  it('moves no Region when one alias was moved elsewhere', async () => {
    const { replica } = await createMultiRegionAlias();
    test.clock.set(START + DUE_MS);
    const replicaClient = createClients({
      region: REPLICA,
      endpoints: test.cloud.endpoints,
      credentials: { accessKeyId: toolIdentity.accessKeyId, secretAccessKey: toolIdentity.secretAccessKey },
    });
    failCommand(replicaClient.kms, 'UpdateAliasCommand', 'before');
    const crashed = await runSweep(test.cloud.rotationDeps({ regions: { [REPLICA]: replicaClient.kms } }));
    expect(crashed.step).toBe('promote');
    const elsewhere = await createAliasedKey(test.operator.kms, 'alias/elsewhere', { MultiRegion: true });
    await test.operator.kms.send(new UpdateAliasCommand({ AliasName: ALIAS, TargetKeyId: elsewhere.KeyId }));

    test.clock.set(START + DUE_MS + 3_600_000);
    const stopped = await runSweep();

    expect(stopped.outcome).toBe('failed');
    expect(stopped.message).toContain(`The alias ${ALIAS} in ${PRIMARY} moved to ${elsewhere.KeyId} during the rotation, not by kms-rotator; no alias was moved in any Region.`);
    expect((await describeKey(replicaOperator.kms, ALIAS)).KeyId).toBe(replica.KeyId);
    expect((await describeKey(test.operator.kms, ALIAS)).KeyId).toBe(elsewhere.KeyId);
    destroyClients(replicaClient);
  });

  it('resumes a crash after ReplicateKey without a second replica', async () => {
    const { primary } = await createMultiRegionAlias();
    test.clock.set(START + DUE_MS);
    const crashing = test.cloud.rotationDeps({ kms: test.cloud.clients().kms });
    failCommand(crashing.kms, 'ReplicateKeyCommand', 'after');

    const crashed = await runSweep(crashing);

    expect(crashed.outcome).toBe('failed');
    expect(crashed.step).toBe('create');
    const rotation = (await test.cloud.rotationDeps().table.getAlias(PRIMARY, ALIAS))?.rotation;
    expect(rotation?.step).toBe('tested');
    expect(rotation?.replicas).toBeUndefined();
    expect((await describeKey(test.operator.kms, ALIAS)).KeyId).toBe(primary.KeyId);
    expect((await describeKey(replicaOperator.kms, ALIAS)).KeyId).toBe(primary.KeyId);
    expect(countCalls(test.cloud, 'ReplicateKey')).toBe(2);

    const resumed = await runSweep();

    expect(resumed.outcome).toBe('rotated');
    expect(resumed.currentKeyId).toBe(rotation?.successorKeyId);
    expect(countCalls(test.cloud, 'CreateKey')).toBe(2);
    expect(countCalls(test.cloud, 'ReplicateKey')).toBe(2);
    expect((await describeKey(replicaOperator.kms, ALIAS)).KeyId).toBe(rotation?.successorKeyId);
    const replicaPolicy = await replicaOperator.kms.send(new GetKeyPolicyCommand({ KeyId: rotation?.successorKeyId, PolicyName: 'default' }));
    expect(replicaPolicy.Policy).toBe(REPLICA_POLICY);
  });

  it('blocks before CreateKey when a replica Region has no alias', async () => {
    const { primary } = await createMultiRegionAlias();
    await replicaOperator.kms.send(new DeleteAliasCommand({ AliasName: ALIAS }));
    test.clock.set(START + DUE_MS);

    const outcome = await runSweep();

    expect(outcome).toEqual({
      alias: ALIAS,
      region: PRIMARY,
      outcome: 'blocked',
      step: 'plan',
      currentKeyId: primary.KeyId,
      message: `The alias ${ALIAS} does not exist in ${REPLICA}, a replica Region of ${ALIAS} in rotation.config.yml. Create it in ${REPLICA} on the replica of ${primary.KeyId}, or remove ${REPLICA} from the regions of ${ALIAS}.`,
    });
    expect(countCalls(test.cloud, 'CreateKey')).toBe(1);
    expect(countCalls(test.cloud, 'ReplicateKey')).toBe(1);
    const tags = await test.operator.kms.send(new ListResourceTagsCommand({ KeyId: primary.KeyId }));
    expect(tags.Tags?.map((tag) => tag.TagKey)).toEqual(['team']);
  });

  it('blocks when the replica is disabled', async () => {
    const { primary, replica } = await createMultiRegionAlias();
    await replicaOperator.kms.send(new DisableKeyCommand({ KeyId: replica.KeyId }));
    test.clock.set(START + DUE_MS);

    const outcome = await runSweep();

    expect(outcome.outcome).toBe('blocked');
    expect(outcome.message).toBe(
      `The replica ${replica.Arn} that ${ALIAS} targets in ${REPLICA} is Disabled; kms-rotator rotates a multi-Region alias only while its key is Enabled in every Region, because a person may have disabled it on purpose. Enable the replica, or point the alias in ${REPLICA} at an enabled replica.`,
    );
    expect(countCalls(test.cloud, 'CreateKey')).toBe(1);
    expect((await describeKey(test.operator.kms, ALIAS)).KeyId).toBe(primary.KeyId);
  });

  it('blocks a replica alias on another key', async () => {
    const { primary } = await createMultiRegionAlias();
    const other = await createAliasedKey(replicaOperator.kms, 'alias/other-eu');
    await replicaOperator.kms.send(new DeleteAliasCommand({ AliasName: ALIAS }));
    await replicaOperator.kms.send(new CreateAliasCommand({ AliasName: ALIAS, TargetKeyId: other.KeyId }));
    test.clock.set(START + DUE_MS);

    const outcome = await runSweep();

    expect(outcome.outcome).toBe('blocked');
    expect(outcome.message).toBe(
      `The alias ${ALIAS} in ${REPLICA} targets ${other.KeyId}, not the replica of ${primary.KeyId} that ${ALIAS} in ${PRIMARY} belongs to. Point ${ALIAS} in ${REPLICA} at the replica of ${primary.KeyId} (replicate the key to ${REPLICA} first if it has none), or remove ${REPLICA} from the regions of ${ALIAS}.`,
    );
    expect(countCalls(test.cloud, 'CreateKey')).toBe(2);
  });

  it('blocks a single-Region key on a multi-Region alias', async () => {
    const key = await createAliasedKey(test.operator.kms, ALIAS);
    test.clock.set(START + DUE_MS);

    const outcome = await runSweep();

    expect(outcome).toEqual({
      alias: ALIAS,
      region: PRIMARY,
      outcome: 'blocked',
      step: 'plan',
      currentKeyId: key.KeyId,
      message: `The key ${key.KeyId} of ${ALIAS} in ${PRIMARY} is a single-Region key, but rotation.config.yml sets multiRegion: true for ${ALIAS}. Point the alias in ${PRIMARY} at a multi-Region primary key replicated to ${REPLICA}, or remove multiRegion: true so that each listed Region's alias rotates on its own.`,
    });
    expect(countCalls(test.cloud, 'CreateKey')).toBe(1);
  });

  it('blocks a multi-Region key on a single-Region alias', async () => {
    const { primary } = await createMultiRegionAlias();
    test.clock.set(START + DUE_MS);

    const outcome = await runSweep(test.cloud.rotationDeps(), SINGLE_REGION_CONFIG);

    expect(outcome.outcome).toBe('blocked');
    expect(outcome.message).toBe(
      `The key ${primary.KeyId} of ${ALIAS} in ${PRIMARY} is a multi-Region key, but rotation.config.yml does not set multiRegion: true for ${ALIAS}. Set multiRegion: true and list the primary key's Region first, then each replica Region, or point the alias at a single-Region key.`,
    );
    expect(countCalls(test.cloud, 'CreateKey')).toBe(1);
  });

  it('rolls back the alias in every Region', async () => {
    const { primary } = await createMultiRegionAlias();
    test.clock.set(START + DUE_MS);
    const rotated = await runSweep();
    expect(rotated.outcome).toBe('rotated');
    const requestId = 'rollback-multi-region-1';
    const identityProof = await proofFor(test.cloud, operatorIdentity, { requestId, verb: 'rollback', alias: ALIAS });

    const outcome = (await handleRotateInvoke(test.cloud.rotationDeps(), MULTI_REGION_CONFIG, {
      alias: ALIAS,
      reason: 'successor breaks the EU service',
      rollback: true,
      requestId,
      identityProof,
    })) as AliasOutcome;

    expect(outcome.outcome).toBe('rolled-back');
    expect((await describeKey(test.operator.kms, ALIAS)).KeyId).toBe(primary.KeyId);
    expect((await describeKey(replicaOperator.kms, ALIAS)).KeyId).toBe(primary.KeyId);
    expect((await describeKey(replicaOperator.kms, rotated.currentKeyId)).KeyState).toBe('Enabled');
  });
});
