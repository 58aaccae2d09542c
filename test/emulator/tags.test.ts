import {
  CreateKeyCommand,
  ListResourceTagsCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type KMSClient,
  type Tag,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { kmsClient, rejection } from './helpers.js';

function manyTags(count: number, prefix = 'k'): Tag[] {
  return Array.from({ length: count }, (_, index) => ({ TagKey: `${prefix}${String(index).padStart(2, '0')}`, TagValue: 'v' }));
}

describe('KMS tags', () => {
  let emulator: Emulator;
  let kms: KMSClient;

  async function newKey(tags?: Tag[]): Promise<string> {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand(tags ? { Tags: tags } : {}));
    return metadata?.KeyId ?? '';
  }

  beforeAll(async () => {
    emulator = await startEmulator();
    kms = kmsClient(emulator.endpoint);
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('tags, retags and untags a key', async () => {
    const keyId = await newKey([{ TagKey: 'team', TagValue: 'payments' }]);
    await kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'team', TagValue: 'billing' }, { TagKey: 'env', TagValue: '' }] }));
    const tagged = await kms.send(new ListResourceTagsCommand({ KeyId: keyId }));
    expect(tagged.Tags).toEqual([
      { TagKey: 'env', TagValue: '' },
      { TagKey: 'team', TagValue: 'billing' },
    ]);
    expect(tagged.Truncated).toBe(false);

    await kms.send(new UntagResourceCommand({ KeyId: keyId, TagKeys: ['team', 'absent'] }));
    const untagged = await kms.send(new ListResourceTagsCommand({ KeyId: keyId }));
    expect(untagged.Tags).toEqual([{ TagKey: 'env', TagValue: '' }]);
  });

  it('limits a key to 50 tags', async () => {
    const full = await newKey(manyTags(50));
    const error = await rejection(kms.send(new TagResourceCommand({ KeyId: full, Tags: [{ TagKey: 'extra', TagValue: 'x' }] })));
    expect(error.name).toBe('TagException');
    expect(error.message).toBe('Too many tags');

    const tooMany = await rejection(kms.send(new CreateKeyCommand({ Tags: manyTags(51) })));
    expect(tooMany.name).toBe('TagException');
    expect(tooMany.message).toBe('Too many tags');
  });

  it('checks tag key and value lengths', async () => {
    const longKey = 'k'.repeat(129);
    const keyError = await rejection(kms.send(new CreateKeyCommand({ Tags: [{ TagKey: longKey, TagValue: 'v' }] })));
    expect(keyError.name).toBe('ValidationException');
    expect(keyError.message).toBe(
      `1 validation error detected: Value '${longKey}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128`,
    );

    const longValue = 'v'.repeat(257);
    const valueError = await rejection(
      kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'ok', TagValue: 'v' }, { TagKey: 'second', TagValue: longValue }] })),
    );
    expect(valueError.name).toBe('ValidationException');
    expect(valueError.message).toBe(
      `1 validation error detected: Value '${longValue}' at 'tags.2.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256`,
    );

    const emptyKey = await rejection(kms.send(new CreateKeyCommand({ Tags: [{ TagKey: '', TagValue: 'v' }] })));
    expect(emptyKey.name).toBe('ValidationException');
    expect(emptyKey.message).toBe(
      "1 validation error detected: Value '' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );

    await newKey([{ TagKey: 'k'.repeat(128), TagValue: 'v'.repeat(256) }]);
  });

  it('rejects reserved, duplicate and invalid tags', async () => {
    const reserved = await rejection(kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'AWS:owner', TagValue: 'me' }] })));
    expect(reserved.name).toBe('TagException');
    expect(reserved.message).toBe('Tags beginning with aws: are reserved');

    const duplicate = await rejection(
      kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'a', TagValue: '1' }, { TagKey: 'a', TagValue: '2' }] })),
    );
    expect(duplicate.name).toBe('TagException');
    expect(duplicate.message).toBe('Duplicate tag keys');

    const invalid = await rejection(kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'semi;colon', TagValue: 'v' }] })));
    expect(invalid.name).toBe('TagException');
    expect(invalid.message).toBe(
      'Tag semi;colon contains characters that are not allowed. Use letters, digits, spaces and _ . : / = + - @ only.',
    );

    await newKey([{ TagKey: 'Ünïcode key_.:/=+-@ 1', TagValue: 'value with spaces' }]);
  });

  it('rejects tagging a key pending deletion', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: metadata?.KeyId }));
    const error = await rejection(kms.send(new TagResourceCommand({ KeyId: metadata?.KeyId, Tags: [{ TagKey: 'a', TagValue: 'b' }] })));
    expect(error.name).toBe('KMSInvalidStateException');
    expect(error.message).toBe(`${metadata?.Arn} is pending deletion.`);
    const listed = await kms.send(new ListResourceTagsCommand({ KeyId: metadata?.KeyId }));
    expect(listed.Tags).toEqual([]);
  });

  it('paginates ListResourceTags', async () => {
    const keyId = await newKey(manyTags(5));
    const first = await kms.send(new ListResourceTagsCommand({ KeyId: keyId, Limit: 3 }));
    expect(first.Tags?.map((tag) => tag.TagKey)).toEqual(['k00', 'k01', 'k02']);
    expect(first.Truncated).toBe(true);
    const second = await kms.send(new ListResourceTagsCommand({ KeyId: keyId, Limit: 3, Marker: first.NextMarker }));
    expect(second.Tags?.map((tag) => tag.TagKey)).toEqual(['k03', 'k04']);
    expect(second.Truncated).toBe(false);
  });
});
