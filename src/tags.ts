/**
 * Tags the tool puts on the keys it manages. They are labels for people and for IAM conditions,
 * never trusted state: every decision reads the state table and KMS instead.
 */
export const TOOL_TAG_PREFIX = 'kms-rotator:';
export const MANAGED_TAG = 'kms-rotator:managed';
export const ALIAS_TAG = 'kms-rotator:alias';

/** KMS accepts at most 50 tags on a key. */
export const MAX_TAGS_PER_KEY = 50;

export function toolTags(aliasName: string): Array<{ TagKey: string; TagValue: string }> {
  return [
    { TagKey: MANAGED_TAG, TagValue: 'true' },
    { TagKey: ALIAS_TAG, TagValue: aliasName },
  ];
}
