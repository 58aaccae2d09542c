import {
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  ListKeysCommand,
  PutKeyPolicyCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { foreignIdentity, LOCAL_ACCOUNT_ID } from '../../local/identities.js';
import { VirtualClock } from '../../local/clock.js';
import { kmsClient, rejection } from './helpers.js';

const START = Date.UTC(2027, 0, 1);

describe('KMS keys', () => {
  let emulator: Emulator;
  let kms: KMSClient;

  beforeAll(async () => {
    emulator = await startEmulator({ clock: new VirtualClock(START) });
    kms = kmsClient(emulator.endpoint);
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('creates a symmetric key with full metadata', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({ Description: 'data key' }));
    expect(metadata?.KeyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(metadata?.Arn).toBe(`arn:aws:kms:us-east-1:${LOCAL_ACCOUNT_ID}:key/${metadata?.KeyId}`);
    expect(metadata?.AWSAccountId).toBe(LOCAL_ACCOUNT_ID);
    expect(metadata?.CreationDate).toEqual(new Date(START));
    expect(metadata?.Enabled).toBe(true);
    expect(metadata?.KeyState).toBe('Enabled');
    expect(metadata?.Description).toBe('data key');
    expect(metadata?.KeyUsage).toBe('ENCRYPT_DECRYPT');
    expect(metadata?.KeySpec).toBe('SYMMETRIC_DEFAULT');
    expect(metadata?.CustomerMasterKeySpec).toBe('SYMMETRIC_DEFAULT');
    expect(metadata?.Origin).toBe('AWS_KMS');
    expect(metadata?.KeyManager).toBe('CUSTOMER');
    expect(metadata?.MultiRegion).toBe(false);
    expect(metadata?.EncryptionAlgorithms).toEqual(['SYMMETRIC_DEFAULT']);
    expect(metadata?.SigningAlgorithms).toBeUndefined();
    expect(metadata?.MacAlgorithms).toBeUndefined();
  });

  it('lists algorithms per key spec', async () => {
    const cases = [
      { KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT', field: 'EncryptionAlgorithms', expected: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] },
      {
        KeySpec: 'RSA_3072',
        KeyUsage: 'SIGN_VERIFY',
        field: 'SigningAlgorithms',
        expected: [
          'RSASSA_PKCS1_V1_5_SHA_256',
          'RSASSA_PKCS1_V1_5_SHA_384',
          'RSASSA_PKCS1_V1_5_SHA_512',
          'RSASSA_PSS_SHA_256',
          'RSASSA_PSS_SHA_384',
          'RSASSA_PSS_SHA_512',
        ],
      },
      { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', field: 'SigningAlgorithms', expected: ['ECDSA_SHA_256'] },
      { KeySpec: 'ECC_NIST_P384', KeyUsage: 'SIGN_VERIFY', field: 'SigningAlgorithms', expected: ['ECDSA_SHA_384'] },
      { KeySpec: 'ECC_NIST_P521', KeyUsage: 'SIGN_VERIFY', field: 'SigningAlgorithms', expected: ['ECDSA_SHA_512'] },
      { KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY', field: 'SigningAlgorithms', expected: ['ECDSA_SHA_256'] },
      { KeySpec: 'HMAC_224', KeyUsage: 'GENERATE_VERIFY_MAC', field: 'MacAlgorithms', expected: ['HMAC_SHA_224'] },
      { KeySpec: 'HMAC_512', KeyUsage: 'GENERATE_VERIFY_MAC', field: 'MacAlgorithms', expected: ['HMAC_SHA_512'] },
    ] as const;
    for (const { KeySpec, KeyUsage, field, expected } of cases) {
      const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({ KeySpec, KeyUsage }));
      expect(metadata?.[field], KeySpec).toEqual(expected);
      expect(metadata?.KeyUsage, KeySpec).toBe(KeyUsage);
    }
  });

  it('requires KeyUsage for non-symmetric specs', async () => {
    const error = await rejection(kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256' })));
    expect(error.name).toBe('ValidationException');
    expect(error.message).toBe('You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.');
  });

  it('rejects incompatible KeyUsage', async () => {
    const cases = [
      ['SYMMETRIC_DEFAULT', 'SIGN_VERIFY'],
      ['ECC_NIST_P256', 'ENCRYPT_DECRYPT'],
      ['HMAC_256', 'ENCRYPT_DECRYPT'],
      ['RSA_2048', 'GENERATE_VERIFY_MAC'],
    ] as const;
    for (const [KeySpec, KeyUsage] of cases) {
      const error = await rejection(kms.send(new CreateKeyCommand({ KeySpec, KeyUsage })));
      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe(`KeyUsage ${KeyUsage} is not compatible with KeySpec ${KeySpec}`);
    }
  });

  it('rejects an unknown KeySpec', async () => {
    const error = await rejection(kms.send(new CreateKeyCommand({ KeySpec: 'RSA_1024' as never })));
    expect(error.name).toBe('ValidationException');
    expect(error.message).toBe(
      "1 validation error detected: Value 'RSA_1024' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: " +
        '[SYMMETRIC_DEFAULT, RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, HMAC_224, HMAC_256, HMAC_384, HMAC_512]',
    );
  });

  it('creates multi-Region keys with mrk ids', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({ MultiRegion: true }));
    expect(metadata?.KeyId).toMatch(/^mrk-[0-9a-f]{32}$/);
    expect(metadata?.MultiRegion).toBe(true);
    expect(metadata?.MultiRegionConfiguration).toEqual({
      MultiRegionKeyType: 'PRIMARY',
      PrimaryKey: { Arn: metadata?.Arn, Region: 'us-east-1' },
      ReplicaKeys: [],
    });
  });

  it('creates EXTERNAL keys pending import', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }));
    expect(metadata?.Origin).toBe('EXTERNAL');
    expect(metadata?.KeyState).toBe('PendingImport');
    expect(metadata?.Enabled).toBe(false);
  });

  it('rejects custom key store origins', async () => {
    const error = await rejection(kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: 'cks-1234567890abcdef0' })));
    expect(error.name).toBe('CustomKeyStoreNotFoundException');
    expect(error.message).toBe(
      'The request was rejected because AWS KMS cannot find a custom key store with the specified key store name or ID.',
    );
  });

  it('writes the default key policy', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    const { Policy: policy, PolicyName: policyName } = await kms.send(new GetKeyPolicyCommand({ KeyId: metadata?.KeyId }));
    expect(policyName).toBe('default');
    expect(JSON.parse(policy ?? '')).toEqual({
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
    });
  });

  it('validates key policies', async () => {
    const malformed = await rejection(kms.send(new CreateKeyCommand({ Policy: 'not json' })));
    expect(malformed.name).toBe('MalformedPolicyDocumentException');
    expect(malformed.message).toBe('The key policy is not valid JSON.');

    const tooLarge = `{"Version":"2012-10-17","Pad":"${'x'.repeat(32768)}"}`;
    const oversized = await rejection(kms.send(new CreateKeyCommand({ Policy: tooLarge })));
    expect(oversized.name).toBe('ValidationException');
    expect(oversized.message).toBe(
      `1 validation error detected: Value '${tooLarge}' at 'policy' failed to satisfy constraint: Member must have length less than or equal to 32768`,
    );
  });

  it('replaces a key policy', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    const policy = '{"Version":"2012-10-17","Statement":[]}';
    await kms.send(new PutKeyPolicyCommand({ KeyId: metadata?.Arn, Policy: policy, PolicyName: 'default' }));
    const read = await kms.send(new GetKeyPolicyCommand({ KeyId: metadata?.KeyId }));
    expect(read.Policy).toBe(policy);

    const otherName = await rejection(kms.send(new GetKeyPolicyCommand({ KeyId: metadata?.KeyId, PolicyName: 'other' })));
    expect(otherName.name).toBe('NotFoundException');
    expect(otherName.message).toBe('No such policy exists');
  });

  it('reports missing and malformed key ids', async () => {
    const missingId = '00000000-0000-0000-0000-000000000000';
    const missing = await rejection(kms.send(new DescribeKeyCommand({ KeyId: missingId })));
    expect(missing.name).toBe('NotFoundException');
    expect(missing.message).toBe(`Key 'arn:aws:kms:us-east-1:${LOCAL_ACCOUNT_ID}:key/${missingId}' does not exist`);

    const malformed = await rejection(kms.send(new DescribeKeyCommand({ KeyId: 'not-a-key' })));
    expect(malformed.name).toBe('NotFoundException');
    expect(malformed.message).toBe('Invalid keyId not-a-key');

    const absent = await rejection(kms.send(new DescribeKeyCommand({} as never)));
    expect(absent.name).toBe('ValidationException');
    expect(absent.message).toBe("1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
  });

  it('rejects ARNs of another Region or account', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    const otherRegion = metadata?.Arn?.replace('us-east-1', 'eu-west-1');
    const regionError = await rejection(kms.send(new DescribeKeyCommand({ KeyId: otherRegion })));
    expect(regionError.name).toBe('NotFoundException');
    expect(regionError.message).toBe('Invalid arn eu-west-1');

    const otherAccount = metadata?.Arn?.replace(LOCAL_ACCOUNT_ID, '444455556666');
    const accountError = await rejection(kms.send(new DescribeKeyCommand({ KeyId: otherAccount })));
    expect(accountError.name).toBe('NotFoundException');
    expect(accountError.message).toBe(`Key '${otherAccount}' does not exist`);
  });

  it('isolates accounts and Regions', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({ Description: 'isolated' }));
    const west = kmsClient(emulator.endpoint, undefined, 'us-west-2');
    const westError = await rejection(west.send(new DescribeKeyCommand({ KeyId: metadata?.KeyId })));
    expect(westError.name).toBe('NotFoundException');
    expect(westError.message).toBe(`Key 'arn:aws:kms:us-west-2:${LOCAL_ACCOUNT_ID}:key/${metadata?.KeyId}' does not exist`);
    expect((await west.send(new ListKeysCommand({}))).Keys).toEqual([]);

    const foreign = kmsClient(emulator.endpoint, foreignIdentity);
    const foreignError = await rejection(foreign.send(new DescribeKeyCommand({ KeyId: metadata?.KeyId })));
    expect(foreignError.name).toBe('NotFoundException');
    expect(foreignError.message).toBe(`Key 'arn:aws:kms:us-east-1:444455556666:key/${metadata?.KeyId}' does not exist`);
  });

  it('paginates ListKeys', async () => {
    const west = kmsClient(emulator.endpoint, undefined, 'eu-central-1');
    const created: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const { KeyMetadata: metadata } = await west.send(new CreateKeyCommand({}));
      created.push(metadata?.KeyId ?? '');
    }
    const first = await west.send(new ListKeysCommand({ Limit: 2 }));
    expect(first.Keys).toHaveLength(2);
    expect(first.Truncated).toBe(true);
    expect(first.NextMarker).toBeDefined();
    const second = await west.send(new ListKeysCommand({ Limit: 2, Marker: first.NextMarker }));
    expect(second.Keys).toHaveLength(2);
    expect(second.Truncated).toBe(true);
    const third = await west.send(new ListKeysCommand({ Limit: 2, Marker: second.NextMarker }));
    expect(third.Keys).toHaveLength(1);
    expect(third.Truncated).toBe(false);
    expect(third.NextMarker).toBeUndefined();

    const listed = [...(first.Keys ?? []), ...(second.Keys ?? []), ...(third.Keys ?? [])].map((key) => key.KeyId);
    expect(listed).toEqual([...created].sort());

    const badLimit = await rejection(west.send(new ListKeysCommand({ Limit: 1001 })));
    expect(badLimit.name).toBe('ValidationException');
    expect(badLimit.message).toBe(
      "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );

    const badMarker = await rejection(west.send(new ListKeysCommand({ Marker: 'bogus' })));
    expect(badMarker.name).toBe('InvalidMarkerException');
    expect(badMarker.message).toBe('The marker that specifies where pagination should next begin is not valid.');
  });
});
