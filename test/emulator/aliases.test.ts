import {
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  ListAliasesCommand,
  ScheduleKeyDeletionCommand,
  UpdateAliasCommand,
  type CreateKeyCommandInput,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VirtualClock } from '../../local/clock.js';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { LOCAL_ACCOUNT_ID } from '../../local/identities.js';
import { kmsClient, rejection } from './helpers.js';

const ALIAS_ARN_PREFIX = `arn:aws:kms:us-east-1:${LOCAL_ACCOUNT_ID}:`;

describe('KMS aliases', () => {
  let emulator: Emulator;
  let kms: KMSClient;

  async function newKey(input: CreateKeyCommandInput = {}): Promise<string> {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand(input));
    return metadata?.KeyId ?? '';
  }

  beforeAll(async () => {
    emulator = await startEmulator({ clock: new VirtualClock(Date.UTC(2027, 0, 1)) });
    kms = kmsClient(emulator.endpoint);
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('resolves keys in all four forms', async () => {
    const keyId = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/four-forms', TargetKeyId: keyId }));
    const forms = [keyId, `${ALIAS_ARN_PREFIX}key/${keyId}`, 'alias/four-forms', `${ALIAS_ARN_PREFIX}alias/four-forms`];
    for (const form of forms) {
      const { KeyMetadata: metadata } = await kms.send(new DescribeKeyCommand({ KeyId: form }));
      expect(metadata?.KeyId, form).toBe(keyId);
    }
  });

  it('reports a missing alias by ARN', async () => {
    const error = await rejection(kms.send(new DescribeKeyCommand({ KeyId: 'alias/nothing-here' })));
    expect(error.name).toBe('NotFoundException');
    expect(error.message).toBe(`Alias ${ALIAS_ARN_PREFIX}alias/nothing-here is not found.`);
  });

  it('rejects invalid alias names', async () => {
    const keyId = await newKey();
    const badPattern = ['wrongprefix/name', 'alias/has space', 'alias/has.dot', 'alias/has:colon', 'alias/'];
    for (const aliasName of badPattern) {
      const error = await rejection(kms.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: keyId })));
      expect(error.name, aliasName).toBe('ValidationException');
      expect(error.message, aliasName).toBe(
        `1 validation error detected: Value '${aliasName}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$`,
      );
    }

    const longName = `alias/${'a'.repeat(251)}`;
    const tooLong = await rejection(kms.send(new CreateAliasCommand({ AliasName: longName, TargetKeyId: keyId })));
    expect(tooLong.name).toBe('ValidationException');
    expect(tooLong.message).toBe(
      `1 validation error detected: Value '${longName}' at 'aliasName' failed to satisfy constraint: Member must have length less than or equal to 256`,
    );
    await kms.send(new CreateAliasCommand({ AliasName: `alias/${'a'.repeat(250)}`, TargetKeyId: keyId }));
  });

  it('reserves the alias/aws/ prefix', async () => {
    const keyId = await newKey();
    const error = await rejection(kms.send(new CreateAliasCommand({ AliasName: 'alias/aws/s3', TargetKeyId: keyId })));
    expect(error.name).toBe('NotAuthorizedException');
    // The body carries an empty message, which the SDK reports as 'UnknownError'.
    expect(error.message).toBe('UnknownError');
  });

  it('rejects an alias as target', async () => {
    const keyId = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/first', TargetKeyId: keyId }));
    for (const target of ['alias/first', `${ALIAS_ARN_PREFIX}alias/first`]) {
      const error = await rejection(kms.send(new CreateAliasCommand({ AliasName: 'alias/second', TargetKeyId: target })));
      expect(error.name, target).toBe('ValidationException');
      expect(error.message, target).toBe('Aliases must refer to keys. Not aliases');
    }
  });

  it('rejects a duplicate alias', async () => {
    const keyId = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/dup', TargetKeyId: keyId }));
    const error = await rejection(kms.send(new CreateAliasCommand({ AliasName: 'alias/dup', TargetKeyId: keyId })));
    expect(error.name).toBe('AlreadyExistsException');
    expect(error.message).toBe(`An alias with the name ${ALIAS_ARN_PREFIX}alias/dup already exists`);
  });

  it('rejects aliases to keys pending deletion', async () => {
    const keyId = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId }));
    const error = await rejection(kms.send(new CreateAliasCommand({ AliasName: 'alias/doomed', TargetKeyId: keyId })));
    expect(error.name).toBe('KMSInvalidStateException');
    expect(error.message).toBe(`${ALIAS_ARN_PREFIX}key/${keyId} is pending deletion.`);
  });

  it('updates an alias between compatible keys', async () => {
    const first = await newKey();
    const second = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/moving', TargetKeyId: first }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: first }));
    await kms.send(new UpdateAliasCommand({ AliasName: 'alias/moving', TargetKeyId: second }));
    const { KeyMetadata: metadata } = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/moving' }));
    expect(metadata?.KeyId).toBe(second);
  });

  it('rejects UpdateAlias across key types', async () => {
    const symmetric = await newKey();
    const hmac = await newKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const rsaEncrypt = await newKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
    const rsaSign = await newKey({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
    const eccSign = await newKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/typed', TargetKeyId: symmetric }));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/signing', TargetKeyId: rsaSign }));

    const toHmac = await rejection(kms.send(new UpdateAliasCommand({ AliasName: 'alias/typed', TargetKeyId: hmac })));
    expect(toHmac.name).toBe('ValidationException');
    expect(toHmac.message).toBe(
      `alias/typed points to a symmetric key with key usage ENCRYPT_DECRYPT, but ${ALIAS_ARN_PREFIX}key/${hmac} is a HMAC key ` +
        'with key usage GENERATE_VERIFY_MAC. The current and new KMS key must be the same type and have the same key usage.',
    );

    const toEncrypt = await rejection(kms.send(new UpdateAliasCommand({ AliasName: 'alias/signing', TargetKeyId: rsaEncrypt })));
    expect(toEncrypt.name).toBe('ValidationException');
    expect(toEncrypt.message).toContain('with key usage SIGN_VERIFY, but');

    await kms.send(new UpdateAliasCommand({ AliasName: 'alias/signing', TargetKeyId: eccSign }));
    const { KeyMetadata: metadata } = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/signing' }));
    expect(metadata?.KeyId).toBe(eccSign);
  });

  it('rejects UpdateAlias to a key pending deletion', async () => {
    const first = await newKey();
    const second = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/stay', TargetKeyId: first }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: second }));
    const error = await rejection(kms.send(new UpdateAliasCommand({ AliasName: 'alias/stay', TargetKeyId: second })));
    expect(error.name).toBe('KMSInvalidStateException');
    expect(error.message).toBe(`${ALIAS_ARN_PREFIX}key/${second} is pending deletion.`);
  });

  it('rejects UpdateAlias of a missing alias', async () => {
    const keyId = await newKey();
    const error = await rejection(kms.send(new UpdateAliasCommand({ AliasName: 'alias/absent', TargetKeyId: keyId })));
    expect(error.name).toBe('NotFoundException');
    expect(error.message).toBe(`Alias ${ALIAS_ARN_PREFIX}alias/absent is not found.`);
  });

  it('deletes an alias', async () => {
    const keyId = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/short-lived', TargetKeyId: keyId }));
    await kms.send(new DeleteAliasCommand({ AliasName: 'alias/short-lived' }));
    const error = await rejection(kms.send(new DeleteAliasCommand({ AliasName: 'alias/short-lived' })));
    expect(error.name).toBe('NotFoundException');
    expect(error.message).toBe(`Alias ${ALIAS_ARN_PREFIX}alias/short-lived is not found.`);
  });

  it('paginates and filters ListAliases', async () => {
    const west = kmsClient(emulator.endpoint, undefined, 'ap-south-1');
    const { KeyMetadata: one } = await west.send(new CreateKeyCommand({}));
    const { KeyMetadata: two } = await west.send(new CreateKeyCommand({}));
    for (const name of ['alias/a', 'alias/b', 'alias/c']) {
      await west.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: one?.KeyId }));
    }
    await west.send(new CreateAliasCommand({ AliasName: 'alias/d', TargetKeyId: two?.KeyId }));

    const first = await west.send(new ListAliasesCommand({ Limit: 3 }));
    expect(first.Aliases?.map((alias) => alias.AliasName)).toEqual(['alias/a', 'alias/b', 'alias/c']);
    expect(first.Truncated).toBe(true);
    const second = await west.send(new ListAliasesCommand({ Limit: 3, Marker: first.NextMarker }));
    expect(second.Aliases?.map((alias) => alias.AliasName)).toEqual(['alias/d']);
    expect(second.Truncated).toBe(false);
    expect(second.Aliases?.[0]?.AliasArn).toBe(`arn:aws:kms:ap-south-1:${LOCAL_ACCOUNT_ID}:alias/d`);
    expect(second.Aliases?.[0]?.TargetKeyId).toBe(two?.KeyId);
    expect(second.Aliases?.[0]?.CreationDate).toEqual(new Date(Date.UTC(2027, 0, 1)));

    const filtered = await west.send(new ListAliasesCommand({ KeyId: two?.Arn }));
    expect(filtered.Aliases?.map((alias) => alias.AliasName)).toEqual(['alias/d']);

    const badLimit = await rejection(west.send(new ListAliasesCommand({ Limit: 101 })));
    expect(badLimit.name).toBe('ValidationException');
    expect(badLimit.message).toBe(
      "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
  });
});
