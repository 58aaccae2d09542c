import type { Operation } from '../types.js';
import { createAlias, deleteAlias, listAliases, updateAlias } from './aliases.js';
import { cryptoOperations } from './crypto.js';
import { createGrant, listGrants } from './grants.js';
import { cancelKeyDeletion, disableKey, enableKey, scheduleKeyDeletion } from './key-lifecycle.js';
import { getKeyLastUsage } from './last-usage.js';
import { createKey, describeKey, listKeys, updateKeyDescription } from './keys.js';
import { getKeyPolicy, listKeyPolicies, putKeyPolicy } from './policy.js';
import { replicateKey } from './replicate-key.js';
import { disableKeyRotation, enableKeyRotation, getKeyRotationStatus, listKeyRotations, rotateKeyOnDemand } from './rotation.js';
import { listResourceTags, tagResource, untagResource } from './tags.js';

/** Every KMS operation the emulator serves, by the name in `X-Amz-Target: TrentService.<Name>`. */
export const kmsOperations: Record<string, Operation> = {
  ...cryptoOperations,
  CancelKeyDeletion: cancelKeyDeletion,
  CreateAlias: createAlias,
  CreateGrant: createGrant,
  CreateKey: createKey,
  DeleteAlias: deleteAlias,
  DescribeKey: describeKey,
  DisableKey: disableKey,
  DisableKeyRotation: disableKeyRotation,
  EnableKey: enableKey,
  EnableKeyRotation: enableKeyRotation,
  GetKeyLastUsage: getKeyLastUsage,
  GetKeyPolicy: getKeyPolicy,
  GetKeyRotationStatus: getKeyRotationStatus,
  ListKeyRotations: listKeyRotations,
  ListAliases: listAliases,
  ListGrants: listGrants,
  ListKeyPolicies: listKeyPolicies,
  ListKeys: listKeys,
  ListResourceTags: listResourceTags,
  PutKeyPolicy: putKeyPolicy,
  ReplicateKey: replicateKey,
  RotateKeyOnDemand: rotateKeyOnDemand,
  ScheduleKeyDeletion: scheduleKeyDeletion,
  TagResource: tagResource,
  UntagResource: untagResource,
  UpdateAlias: updateAlias,
  UpdateKeyDescription: updateKeyDescription,
};
