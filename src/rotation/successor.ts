import type { CreateKeyCommandInput, KeyMetadata, Tag } from '@aws-sdk/client-kms';
import { MAX_TAGS_PER_KEY, TOOL_TAG_PREFIX, toolTags } from '../tags.js';
import { RotationBlockedError } from './errors.js';

/**
 * Builds the CreateKey request for a successor: the old key's key spec, key usage, origin and
 * custom key store, description and key policy verbatim, its user tags, and the tool's two tags.
 * The policy is never changed and the lockout safety check is never bypassed.
 */
export function buildSuccessorRequest(aliasName: string, oldKey: KeyMetadata, policy: string, oldTags: Tag[]): CreateKeyCommandInput {
  assertRecreatable(aliasName, oldKey);

  const userTags = oldTags.filter((tag) => !(tag.TagKey ?? '').startsWith(TOOL_TAG_PREFIX));
  const tags = [...userTags, ...toolTags(aliasName)];
  if (tags.length > MAX_TAGS_PER_KEY) {
    throw new RotationBlockedError(
      `The key ${oldKey.KeyId} of ${aliasName} has ${userTags.length} user tags; with the tool's 2 tags the successor would have ${tags.length}, over the KMS limit of ${MAX_TAGS_PER_KEY}. Remove at least ${tags.length - MAX_TAGS_PER_KEY} tags from the key.`,
    );
  }

  return {
    KeySpec: oldKey.KeySpec,
    KeyUsage: oldKey.KeyUsage,
    Origin: oldKey.Origin,
    CustomKeyStoreId: oldKey.CustomKeyStoreId,
    Description: oldKey.Description,
    Policy: policy,
    Tags: tags,
    MultiRegion: false,
  };
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
  if (key.MultiRegion) {
    // TODO: multi-Region successors need ReplicateKey into every replica Region before any alias moves.
    throw new RotationBlockedError(`The key ${key.KeyId} of ${aliasName} is a multi-Region key; kms-rotator does not rotate multi-Region keys yet.`);
  }
}
