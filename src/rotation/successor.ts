import type { CreateKeyCommandInput, KeyMetadata, Tag } from '@aws-sdk/client-kms';
import type { ManagedAlias } from '../config/load.js';
import { MAX_TAGS_PER_KEY, TOOL_TAG_PREFIX, toolTags } from '../tags.js';
import { RotationBlockedError } from './errors.js';
import { multiRegionMismatch } from './multi-region.js';

/**
 * Builds the CreateKey request for a successor: the old key's key spec, key usage, origin and
 * custom key store, description and key policy verbatim, its user tags, and the tool's two tags.
 * The policy is never changed and the lockout safety check is never bypassed. The successor of a
 * multi-Region alias's key is a multi-Region primary key; its replicas are made later.
 */
export function buildSuccessorRequest(
  managed: Pick<ManagedAlias, 'alias' | 'region' | 'multiRegion' | 'replicaRegions'>,
  oldKey: KeyMetadata,
  policy: string,
  oldTags: Tag[],
): CreateKeyCommandInput {
  const aliasName = managed.alias;
  assertRecreatable(aliasName, oldKey);
  const mismatch = multiRegionMismatch(managed, oldKey);
  if (mismatch) throw new RotationBlockedError(mismatch);

  return {
    KeySpec: oldKey.KeySpec,
    KeyUsage: oldKey.KeyUsage,
    Origin: oldKey.Origin,
    CustomKeyStoreId: oldKey.CustomKeyStoreId,
    Description: oldKey.Description,
    Policy: policy,
    Tags: successorTags(aliasName, oldKey, oldTags),
    MultiRegion: managed.multiRegion,
  };
}

/**
 * Returns the tags of a successor, or of its replica in `region`: the user tags of the key it
 * replaces, then the tool's two tags. Throws RotationBlockedError above the KMS limit of 50 tags.
 */
export function successorTags(aliasName: string, oldKey: KeyMetadata, oldTags: Tag[], region?: string): Tag[] {
  const userTags = oldTags.filter((tag) => !(tag.TagKey ?? '').startsWith(TOOL_TAG_PREFIX));
  const tags = [...userTags, ...toolTags(aliasName)];
  if (tags.length > MAX_TAGS_PER_KEY) {
    throw new RotationBlockedError(
      `The key ${oldKey.KeyId} of ${aliasName}${region ? ` in ${region}` : ''} has ${userTags.length} user tags; with the tool's 2 tags the successor would have ${tags.length}, over the KMS limit of ${MAX_TAGS_PER_KEY}. Remove at least ${tags.length - MAX_TAGS_PER_KEY} ${tags.length - MAX_TAGS_PER_KEY === 1 ? 'tag' : 'tags'} from the key.`,
    );
  }
  return tags;
}

/** Throws RotationBlockedError for keys whose successor this tool cannot make. */
function assertRecreatable(aliasName: string, key: KeyMetadata): void {
  if (key.Origin === 'EXTERNAL') {
    throw new RotationBlockedError(
      `The key ${key.KeyId} of ${aliasName} has imported key material (origin EXTERNAL); kms-rotator cannot create its successor. Create a key, import new material, and point the alias at it yourself.`,
    );
  }
  if (key.Origin === 'EXTERNAL_KEY_STORE') {
    throw new RotationBlockedError(
      `The key ${key.KeyId} of ${aliasName} is in an external key store; its successor needs a new external key id, which kms-rotator cannot choose. Create it in the external key store manager and point the alias at it yourself.`,
    );
  }
}
