import { setTimeout as sleep } from 'node:timers/promises';
import {
  AlreadyExistsException,
  DescribeKeyCommand,
  MalformedPolicyDocumentException,
  NotFoundException,
  ReplicateKeyCommand,
  TagResourceCommand,
  type KeyMetadata,
  type KMSClient,
} from '@aws-sdk/client-kms';
import type { ManagedAlias } from '../config/load.js';
import type { ReplicaRecord, RotationRecord } from '../state/records.js';
import { MANAGED_TAG, toolTags } from '../tags.js';
import { readPolicy, readTags } from './create-successor.js';
import type { RotationDeps } from './deps.js';
import { RotationBlockedError, RotationStepError, describeAwsError } from './errors.js';
import { keyArnIn, kmsFor } from './multi-region.js';
import type { RotationRequest } from './rotation-request.js';
import { selfTest } from './self-test.js';
import { successorTags } from './successor.js';

/**
 * How often a replica in the transient Creating state is described again, and for how long at most.
 * NOTE: AWS documents only "a few seconds" for Creating; 30 s is an estimate, never measured.
 */
const CREATING_POLL_MS = 2_000;
const CREATING_MAX_WAIT_MS = 30_000;

/**
 * Makes the replica of a multi-Region successor in every replica Region of the alias and
 * self-tests each in its Region, recording each replica as soon as it exists and again once it
 * passed. A replica already recorded, or already present in KMS (a run that died after
 * ReplicateKey), is not replicated again. Throws on the first failure, before any alias moves.
 */
export async function replicateSuccessor(
  deps: RotationDeps,
  managed: ManagedAlias,
  request: RotationRequest,
  rotation: RotationRecord,
): Promise<RotationRecord> {
  let current = rotation;
  for (const region of managed.replicaRegions) {
    let replica = current.replicas?.[region];
    if (!replica) {
      replica = await replicateTo(deps, managed, current, region);
      current = { ...current, replicas: { ...current.replicas, [region]: replica } };
      await deps.table.updateRotation(managed.region, managed.alias, request.runId, current);
      deps.logger.info('Recorded the replica of the successor key', { alias: managed.alias, region, rotationId: current.id, replicaKeyArn: replica.keyArn });
    }
    if (!replica.testedAt) {
      await testReplica(deps, current, region, replica);
      current = { ...current, replicas: { ...current.replicas, [region]: { ...replica, testedAt: deps.clock.now().toISOString() } } };
      await deps.table.updateRotation(managed.region, managed.alias, request.runId, current);
    }
  }
  return current;
}

/**
 * Returns the successor's replica in `region`, calling ReplicateKey only when DescribeKey finds
 * none. The replica gets the old replica's key policy verbatim, its description and its user tags
 * plus the tool's two tags, all read in `region`, because ReplicateKey otherwise gives a replica
 * the default key policy, no description and no tags.
 */
async function replicateTo(deps: RotationDeps, managed: ManagedAlias, rotation: RotationRecord, region: string): Promise<ReplicaRecord> {
  const { alias } = managed;
  const successorArn = rotation.successorKeyArn as string;
  const replicaArn = keyArnIn(successorArn, region);
  const oldReplicaArn = keyArnIn(rotation.oldKeyArn, region);
  const client = kmsFor(deps, region);

  const found = await describeKeyIfPresent(client, replicaArn);
  if (found) {
    deps.logger.info('Found the replica of the successor key that an earlier run made', { alias, region, rotationId: rotation.id, replicaKeyArn: replicaArn });
    return { oldKeyArn: oldReplicaArn, keyArn: found.Arn ?? replicaArn };
  }

  const oldReplica = await describeKeyIfPresent(client, oldReplicaArn);
  if (!oldReplica) {
    throw new RotationStepError('create', `The old key ${rotation.oldKeyId} has no replica in ${region}, so the key policy, description and tags of its successor's replica there are unknown. Replicate ${rotation.oldKeyId} to ${region}, or remove ${region} from the regions of ${alias}.`);
  }
  const [policy, oldTags] = await Promise.all([readPolicy(client, oldReplica), readTags(client, oldReplica)]);
  const tags = successorTags(alias, oldReplica, oldTags, region);
  if (!oldTags.some((tag) => tag.TagKey === MANAGED_TAG && tag.TagValue === 'true')) {
    // IAM authorizes UpdateAlias on the old key too, and the deployed role may use only keys tagged as managed.
    await client.send(new TagResourceCommand({ KeyId: oldReplicaArn, Tags: toolTags(alias) }));
    deps.logger.info('Tagged the old replica as managed', { alias, region, keyArn: oldReplicaArn });
  }

  let created: KeyMetadata | undefined;
  try {
    const output = await deps.kms.send(
      new ReplicateKeyCommand({ KeyId: successorArn, ReplicaRegion: region, Policy: policy, Description: oldReplica.Description ?? '', Tags: tags }),
    );
    created = output.ReplicaKeyMetadata;
  } catch (error) {
    if (error instanceof AlreadyExistsException) {
      // An earlier attempt of this call made the replica and its response was lost; the SDK retried.
      created = await describeKeyIfPresent(client, replicaArn);
    } else if (error instanceof MalformedPolicyDocumentException) {
      throw new RotationBlockedError(
        `KMS rejected the key policy of ${oldReplicaArn}, copied verbatim to the successor's replica in ${region}: ${error.message}. kms-rotator never changes a policy or bypasses the policy lockout safety check; let the role that creates keys administer them under this policy, then the next sweep rotates.`,
        { cause: error },
      );
    } else {
      throw new RotationStepError('create', `ReplicateKey of ${successorArn} to ${region} failed, and no alias was moved: ${describeAwsError(error)}`, { cause: error });
    }
  }
  if (!created?.Arn) throw new RotationStepError('create', `ReplicateKey of ${successorArn} to ${region} returned no replica key metadata`);
  deps.logger.info('Replicated the successor key', { alias, region, rotationId: rotation.id, replicaKeyArn: created.Arn });
  return { oldKeyArn: oldReplicaArn, keyArn: created.Arn };
}

/** Waits out the transient Creating state of a new replica, then self-tests it in its Region. */
async function testReplica(deps: RotationDeps, rotation: RotationRecord, region: string, replica: ReplicaRecord): Promise<void> {
  const client = kmsFor(deps, region);
  try {
    const metadata = await waitWhileCreating(client, replica.keyArn);
    await selfTest(client, metadata);
  } catch (error) {
    throw new RotationStepError(
      'test',
      `The replica ${replica.keyArn} of the successor ${rotation.successorKeyId} failed its self-test in ${region}, so no alias was moved: ${describeAwsError(error)}`,
      { cause: error },
    );
  }
}

/**
 * Describes a replica until it leaves the Creating state, which AWS documents as lasting a few
 * seconds after ReplicateKey. Throws once CREATING_MAX_WAIT_MS have passed; the next run tests it.
 */
async function waitWhileCreating(client: KMSClient, keyArn: string): Promise<KeyMetadata> {
  const startedAt = Date.now();
  for (;;) {
    const metadata = (await client.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata;
    if (!metadata) throw new Error(`DescribeKey returned no key metadata for ${keyArn}`);
    if (metadata.KeyState !== 'Creating') return metadata;
    if (Date.now() - startedAt >= CREATING_MAX_WAIT_MS) {
      throw new Error(`${keyArn} is still in the Creating state after ${CREATING_MAX_WAIT_MS / 1000} s`);
    }
    await sleep(CREATING_POLL_MS);
  }
}

async function describeKeyIfPresent(client: KMSClient, keyArn: string): Promise<KeyMetadata | undefined> {
  try {
    return (await client.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata;
  } catch (error) {
    if (error instanceof NotFoundException) return undefined;
    throw error;
  }
}
