import { AwsError } from '../errors.js';
import { partitionOf } from '../state.js';
import type { Operation } from '../types.js';
import {
  checkLength,
  checkPattern,
  optionalArray,
  optionalBoolean,
  optionalString,
  requireString,
} from '../validation.js';
import { keyArn } from './arns.js';
import { assertKeyState } from './key-state.js';
import { keyMetadata } from './metadata.js';
import type { KeyRecord } from './model.js';
import { isReplica, updateReplicaRegions } from './multi-region.js';
import { defaultKeyPolicy, validatePolicy } from './policy.js';
import { accountState, resolveKeyIdOrArn } from './store.js';
import { readTags } from './tags.js';

/** RegionType of the KMS API model: 1 to 32 characters matching this pattern. */
const REGION_PATTERN = /^([a-z]+-){2,3}\d+$/;

/**
 * Creates a replica of a multi-Region primary key in ReplicaRegion, per the ReplicateKey API
 * reference. The replica has the primary's key id, key spec, key usage, origin, key material and
 * rotation settings. Its policy (the default key policy unless Policy is given), description, tags
 * and key state are its own.
 *
 * NOTE: the replica starts Enabled (or PendingImport for EXTERNAL keys), never in the transient
 * Creating state AWS reports for a few seconds. Any Region matching the RegionType pattern is
 * accepted, where AWS also requires a Region in which KMS is available and enabled.
 */
export const replicateKey: Operation = (input, context) => {
  const primary = resolveKeyIdOrArn(context, input.KeyId);
  const replicaRegion = requireString(input, 'ReplicaRegion', 'replicaRegion');
  checkLength(replicaRegion, 'replicaRegion', 1, 32);
  checkPattern(replicaRegion, 'replicaRegion', REGION_PATTERN, '^([a-z]+-){2,3}\\d+$');
  const policyInput = optionalString(input, 'Policy');
  if (policyInput !== undefined) validatePolicy(policyInput);
  const description = optionalString(input, 'Description') ?? '';
  checkLength(description, 'description', 0, 8192);
  const tags = readTags(optionalArray(input, 'Tags') ?? []);
  optionalBoolean(input, 'BypassPolicyLockoutSafetyCheck');

  checkReplicable(primary, replicaRegion);
  assertKeyState(primary, 'ReplicateKey');

  const account = accountState(context);
  const target = (account[replicaRegion] ??= { keys: {}, aliases: {}, grants: {} });
  if (target.keys[primary.keyId]) {
    // NOTE: AlreadyExistsException is the documented error, but this message is the emulator's.
    throw new AwsError('AlreadyExistsException', `A replica of ${primary.arn} already exists in ${replicaRegion}.`);
  }

  const replicaContext = { region: replicaRegion, accountId: primary.accountId };
  const external = primary.origin === 'EXTERNAL';
  const replica: KeyRecord = {
    keyId: primary.keyId,
    arn: keyArn(replicaContext, primary.keyId),
    accountId: primary.accountId,
    region: replicaRegion,
    createdAt: context.clock.now().getTime(),
    description,
    keySpec: primary.keySpec,
    keyUsage: primary.keyUsage,
    origin: primary.origin,
    keyState: external ? 'PendingImport' : 'Enabled',
    policy: policyInput ?? defaultKeyPolicy(replicaContext),
    tags,
    multiRegion: true,
    primaryRegion: primary.region,
    rotation: structuredClone(primary.rotation),
    // A replica of a key with imported material starts without material, per the API reference.
    material: external ? [] : primary.material.map((version) => ({ ...version })),
  };
  target.keys[replica.keyId] = replica;
  updateReplicaRegions(account, replica.keyId);

  return { ReplicaKeyMetadata: keyMetadata(replica), ReplicaPolicy: replica.policy, ReplicaTags: replica.tags };
};

/**
 * Rejects keys that cannot be replicated to `replicaRegion`: single-Region keys, replica keys, and
 * Regions that hold the primary key or lie in another partition.
 * NOTE: the API reference names UnsupportedOperationException for these cases but gives no
 * message text, so the messages are the emulator's.
 */
function checkReplicable(key: KeyRecord, replicaRegion: string): void {
  if (!key.multiRegion || isReplica(key)) {
    throw new AwsError('UnsupportedOperationException', `${key.arn} is not a multi-Region primary key.`);
  }
  if (replicaRegion === key.region) {
    throw new AwsError(
      'UnsupportedOperationException',
      `Cannot replicate ${key.arn} to ${replicaRegion}, the Region of the primary key. Choose another Region.`,
    );
  }
  if (partitionOf(replicaRegion) !== partitionOf(key.region)) {
    throw new AwsError(
      'UnsupportedOperationException',
      `Cannot replicate ${key.arn} to ${replicaRegion}, which is in another AWS partition.`,
    );
  }
}
