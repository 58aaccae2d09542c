import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  ListResourceTagsCommand,
  ReplicateKeyCommand,
  RotateKeyOnDemandCommand,
  SignCommand,
  VerifyCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VirtualClock } from '../../local/clock.js';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { LOCAL_ACCOUNT_ID } from '../../local/identities.js';
import { kmsClient, rejection } from './helpers.js';

const PRIMARY_REGION = 'us-east-1';
const REPLICA_REGION = 'eu-west-1';

function arnIn(region: string, keyId: string): string {
  return `arn:aws:kms:${region}:${LOCAL_ACCOUNT_ID}:key/${keyId}`;
}

function defaultPolicy(): string {
  const policy = {
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  };
  return JSON.stringify(policy, null, 2);
}

describe('KMS multi-Region keys', () => {
  const clock = new VirtualClock(Date.UTC(2027, 0, 1));
  let emulator: Emulator;
  let primaryKms: KMSClient;
  let replicaKms: KMSClient;

  async function newPrimaryKey(input: { KeySpec?: 'ECC_NIST_P256'; KeyUsage?: 'SIGN_VERIFY' } = {}): Promise<string> {
    const { KeyMetadata: metadata } = await primaryKms.send(new CreateKeyCommand({ MultiRegion: true, ...input }));
    return metadata?.KeyId ?? '';
  }

  beforeAll(async () => {
    emulator = await startEmulator({ clock });
    primaryKms = kmsClient(emulator.endpoint, undefined, PRIMARY_REGION);
    replicaKms = kmsClient(emulator.endpoint, undefined, REPLICA_REGION);
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('replicates a primary key', async () => {
    const keyId = await newPrimaryKey();
    const replicated = await primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION }));

    const metadata = replicated.ReplicaKeyMetadata;
    expect(metadata?.KeyId).toBe(keyId);
    expect(metadata?.Arn).toBe(arnIn(REPLICA_REGION, keyId));
    expect(metadata?.AWSAccountId).toBe(LOCAL_ACCOUNT_ID);
    expect(metadata?.KeyState).toBe('Enabled');
    expect(metadata?.Enabled).toBe(true);
    expect(metadata?.MultiRegion).toBe(true);
    expect(metadata?.KeySpec).toBe('SYMMETRIC_DEFAULT');
    expect(metadata?.KeyUsage).toBe('ENCRYPT_DECRYPT');
    expect(metadata?.Description).toBe('');
    expect(replicated.ReplicaTags).toEqual([]);
    expect(replicated.ReplicaPolicy).toBe(defaultPolicy());
  });

  it('describes the key alike in both Regions', async () => {
    const keyId = await newPrimaryKey();
    await primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION }));
    // Replicas are listed in the order they were created.
    clock.advance(1000);
    await primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'ap-southeast-2' }));

    const primaryKey = { Arn: arnIn(PRIMARY_REGION, keyId), Region: PRIMARY_REGION };
    const replicaKeys = [
      { Arn: arnIn(REPLICA_REGION, keyId), Region: REPLICA_REGION },
      { Arn: arnIn('ap-southeast-2', keyId), Region: 'ap-southeast-2' },
    ];
    const inPrimaryRegion = await primaryKms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(inPrimaryRegion.KeyMetadata?.MultiRegionConfiguration).toEqual({
      MultiRegionKeyType: 'PRIMARY',
      PrimaryKey: primaryKey,
      ReplicaKeys: replicaKeys,
    });

    const inReplicaRegion = await replicaKms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(inReplicaRegion.KeyMetadata?.Arn).toBe(arnIn(REPLICA_REGION, keyId));
    expect(inReplicaRegion.KeyMetadata?.MultiRegionConfiguration).toEqual({
      MultiRegionKeyType: 'REPLICA',
      PrimaryKey: primaryKey,
      ReplicaKeys: replicaKeys,
    });
  });

  it('decrypts ciphertext of the other Region', async () => {
    const keyId = await newPrimaryKey();
    await primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION }));
    const plaintext = Buffer.from('shared across Regions');

    const fromPrimary = await primaryKms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext }));
    const inReplica = await replicaKms.send(new DecryptCommand({ CiphertextBlob: fromPrimary.CiphertextBlob }));
    expect(Buffer.from(inReplica.Plaintext ?? []).toString()).toBe('shared across Regions');
    expect(inReplica.KeyId).toBe(arnIn(REPLICA_REGION, keyId));

    const fromReplica = await replicaKms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext }));
    const inPrimary = await primaryKms.send(new DecryptCommand({ CiphertextBlob: fromReplica.CiphertextBlob }));
    expect(Buffer.from(inPrimary.Plaintext ?? []).toString()).toBe('shared across Regions');
    expect(inPrimary.KeyId).toBe(arnIn(PRIMARY_REGION, keyId));
  });

  it('shares rotated material with replicas', async () => {
    const keyId = await newPrimaryKey();
    await primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION }));
    await primaryKms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));

    const fromPrimary = await primaryKms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('after rotation') }));
    const inReplica = await replicaKms.send(new DecryptCommand({ CiphertextBlob: fromPrimary.CiphertextBlob }));
    expect(Buffer.from(inReplica.Plaintext ?? []).toString()).toBe('after rotation');
  });

  it('shares automatic rotation with replicas', async () => {
    const keyId = await newPrimaryKey();
    await primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION }));
    await primaryKms.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 90 }));

    const status = await replicaKms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
    expect(status.KeyRotationEnabled).toBe(true);
    expect(status.RotationPeriodInDays).toBe(90);
    expect(status.KeyId).toBe(arnIn(REPLICA_REGION, keyId));
  });

  it('verifies signatures across Regions', async () => {
    const keyId = await newPrimaryKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    await primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION }));
    const message = Buffer.from('signed in us-east-1');

    const signed = await primaryKms.send(
      new SignCommand({ KeyId: keyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    const verified = await replicaKms.send(
      new VerifyCommand({ KeyId: keyId, Message: message, Signature: signed.Signature, SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    expect(verified.SignatureValid).toBe(true);
  });

  it('gives replicas their own policy, description and tags', async () => {
    const { KeyMetadata: primary } = await primaryKms.send(
      new CreateKeyCommand({ MultiRegion: true, Description: 'primary', Tags: [{ TagKey: 'team', TagValue: 'a' }] }),
    );
    const keyId = primary?.KeyId ?? '';
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [] });

    const replicated = await primaryKms.send(
      new ReplicateKeyCommand({
        KeyId: keyId,
        ReplicaRegion: REPLICA_REGION,
        Policy: policy,
        Description: 'replica',
        Tags: [{ TagKey: 'team', TagValue: 'b' }],
      }),
    );
    expect(replicated.ReplicaPolicy).toBe(policy);
    expect(replicated.ReplicaTags).toEqual([{ TagKey: 'team', TagValue: 'b' }]);
    expect(replicated.ReplicaKeyMetadata?.Description).toBe('replica');

    const replicaPolicy = await replicaKms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }));
    expect(replicaPolicy.Policy).toBe(policy);
    const primaryPolicy = await primaryKms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }));
    expect(primaryPolicy.Policy).toBe(defaultPolicy());
    const primaryTags = await primaryKms.send(new ListResourceTagsCommand({ KeyId: keyId }));
    expect(primaryTags.Tags).toEqual([{ TagKey: 'team', TagValue: 'a' }]);
  });

  it('keeps replica key state separate', async () => {
    const keyId = await newPrimaryKey();
    await primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION }));
    await replicaKms.send(new DisableKeyCommand({ KeyId: keyId }));

    const replica = await replicaKms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(replica.KeyMetadata?.KeyState).toBe('Disabled');
    const primary = await primaryKms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(primary.KeyMetadata?.KeyState).toBe('Enabled');
  });

  it('rejects a single-Region key', async () => {
    const { KeyMetadata: metadata } = await primaryKms.send(new CreateKeyCommand({}));
    const error = await rejection(
      primaryKms.send(new ReplicateKeyCommand({ KeyId: metadata?.KeyId, ReplicaRegion: REPLICA_REGION })),
    );
    expect(error.name).toBe('UnsupportedOperationException');
    expect(error.message).toBe(`${metadata?.Arn} is not a multi-Region primary key.`);
  });

  it('rejects replicating a replica', async () => {
    const keyId = await newPrimaryKey();
    await primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION }));
    const error = await rejection(replicaKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'us-west-2' })));
    expect(error.name).toBe('UnsupportedOperationException');
    expect(error.message).toBe(`${arnIn(REPLICA_REGION, keyId)} is not a multi-Region primary key.`);
  });

  it('rejects a second replica in a Region', async () => {
    const keyId = await newPrimaryKey();
    await primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION }));
    const error = await rejection(primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION })));
    expect(error.name).toBe('AlreadyExistsException');
    expect(error.message).toBe(`A replica of ${arnIn(PRIMARY_REGION, keyId)} already exists in ${REPLICA_REGION}.`);
  });

  it('rejects the Region of the primary key', async () => {
    const keyId = await newPrimaryKey();
    const error = await rejection(primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: PRIMARY_REGION })));
    expect(error.name).toBe('UnsupportedOperationException');
    expect(error.message).toBe(
      `Cannot replicate ${arnIn(PRIMARY_REGION, keyId)} to ${PRIMARY_REGION}, the Region of the primary key. Choose another Region.`,
    );
  });

  it('rejects a Region of another partition', async () => {
    const keyId = await newPrimaryKey();
    const error = await rejection(primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'cn-north-1' })));
    expect(error.name).toBe('UnsupportedOperationException');
    expect(error.message).toBe(`Cannot replicate ${arnIn(PRIMARY_REGION, keyId)} to cn-north-1, which is in another AWS partition.`);
  });

  it('rejects a malformed Region', async () => {
    const keyId = await newPrimaryKey();
    const error = await rejection(primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'Europe' })));
    expect(error.name).toBe('ValidationException');
    expect(error.message).toBe(
      "1 validation error detected: Value 'Europe' at 'replicaRegion' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([a-z]+-){2,3}\\d+$",
    );
  });

  it('rejects a disabled primary key', async () => {
    const keyId = await newPrimaryKey();
    await primaryKms.send(new DisableKeyCommand({ KeyId: keyId }));
    const error = await rejection(primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION })));
    expect(error.name).toBe('DisabledException');
    expect(error.message).toBe(`${arnIn(PRIMARY_REGION, keyId)} is disabled.`);
  });

  it('rejects rotation settings on a replica', async () => {
    const keyId = await newPrimaryKey();
    await primaryKms.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION }));
    for (const command of [new EnableKeyRotationCommand({ KeyId: keyId }), new RotateKeyOnDemandCommand({ KeyId: keyId })]) {
      const error = await rejection(replicaKms.send(command as EnableKeyRotationCommand));
      expect(error.name).toBe('UnsupportedOperationException');
      expect(error.message).toBe(
        `${arnIn(REPLICA_REGION, keyId)} is a multi-Region replica key. Manage rotation on its primary key in ${PRIMARY_REGION}.`,
      );
    }
  });
});
