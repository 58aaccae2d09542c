import { AwsError } from '../errors.js';
import type { Operation } from '../types.js';
import { checkLength, optionalInteger, requireArray, requireString } from '../validation.js';
import { assertKeyState } from './key-state.js';
import type { Tag } from './model.js';
import { compareKeys, pageOf } from './pagination.js';
import { resolveKeyIdOrArn } from './store.js';

/** Tags per KMS key, from "Quotas" in the AWS KMS Developer Guide. */
export const MAX_TAGS_PER_KEY = 50;

/**
 * Characters AWS tagging allows: Unicode letters, whitespace and digits, and `_ . : / = + - @`.
 * NOTE: taken from the common AWS tag rules (AWS::KMS::Key Tag in the CloudFormation reference);
 * the KMS API reference lists no pattern, and the message on a mismatch is the emulator's.
 */
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Validates a Tags list of CreateKey or TagResource and returns it as model tags. */
export function readTags(rawTags: unknown[]): Tag[] {
  const tags: Tag[] = [];
  rawTags.forEach((raw, index) => {
    const position = index + 1;
    if (typeof raw !== 'object' || raw === null) {
      throw new AwsError('SerializationException', `Expected a Tag structure at Tags[${index}].`);
    }
    const entry = raw as Record<string, unknown>;
    const tagKey = requireString(entry, 'TagKey', `tags.${position}.member.tagKey`);
    const tagValue = requireString(entry, 'TagValue', `tags.${position}.member.tagValue`);
    checkLength(tagKey, `tags.${position}.member.tagKey`, 1, 128);
    checkLength(tagValue, `tags.${position}.member.tagValue`, 0, 256);
    tags.push({ TagKey: tagKey, TagValue: tagValue });
  });

  for (const tag of tags) {
    if (tag.TagKey.toLowerCase().startsWith('aws:')) {
      throw new AwsError('TagException', 'Tags beginning with aws: are reserved');
    }
    if (!TAG_CHARACTERS.test(tag.TagKey) || !TAG_CHARACTERS.test(tag.TagValue)) {
      throw new AwsError(
        'TagException',
        `Tag ${tag.TagKey} contains characters that are not allowed. Use letters, digits, spaces and _ . : / = + - @ only.`,
      );
    }
  }
  const uniqueKeys = new Set(tags.map((tag) => tag.TagKey));
  if (uniqueKeys.size < tags.length) {
    throw new AwsError('TagException', 'Duplicate tag keys');
  }
  if (tags.length > MAX_TAGS_PER_KEY) {
    throw new AwsError('TagException', 'Too many tags');
  }
  return tags;
}

export const tagResource: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  const tags = readTags(requireArray(input, 'Tags', 'tags'));
  assertKeyState(key, 'TagResource');

  const merged = new Map(key.tags.map((tag) => [tag.TagKey, tag.TagValue]));
  for (const tag of tags) merged.set(tag.TagKey, tag.TagValue);
  if (merged.size > MAX_TAGS_PER_KEY) {
    throw new AwsError('TagException', 'Too many tags');
  }
  key.tags = [...merged].map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
  return {};
};

export const untagResource: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  const names = requireArray(input, 'TagKeys', 'tagKeys').map((name, index) => {
    const tagKey = requireString({ name }, 'name', `tagKeys.${index + 1}.member`);
    checkLength(tagKey, `tagKeys.${index + 1}.member`, 1, 128);
    return tagKey;
  });
  assertKeyState(key, 'UntagResource');

  // Removing a tag the key does not have is not an error in AWS.
  key.tags = key.tags.filter((tag) => !names.includes(tag.TagKey));
  return {};
};

export const listResourceTags: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  assertKeyState(key, 'ListResourceTags');
  const limit = optionalInteger(input, 'Limit');
  const sorted = [...key.tags].sort((a, b) => compareKeys(a.TagKey, b.TagKey));
  const page = pageOf(sorted, (tag) => tag.TagKey, input.Marker, limit, { min: 1, max: 50, defaultLimit: 50 });
  return { Tags: page.items, Truncated: page.truncated, ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}) };
};
