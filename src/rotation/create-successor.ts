import {
  CreateKeyCommand,
  GetKeyPolicyCommand,
  ListGrantsCommand,
  ListResourceTagsCommand,
  MalformedPolicyDocumentException,
  type CreateKeyCommandInput,
  type KeyMetadata,
  type KMSClient,
  type Tag,
} from '@aws-sdk/client-kms';
import type { ManagedAlias } from '../config/load.js';
import { ROTATION_STEPS, type AliasItem, type GrantSummary, type RotationRecord } from '../state/records.js';
import type { RotationDeps } from './deps.js';
import { RotationBlockedError, RotationStepError, describeAwsError } from './errors.js';
import { isThrottling } from './report.js';
import type { RotationRequest } from './rotation-request.js';
import { buildSuccessorRequest } from './successor.js';

/**
 * Records the intent, then calls CreateKey through the client without SDK retries (see
 * `createKeyOnce`). Only a call that KMS rejected with an error response is known not to have
 * created a key. Any other failure leaves the intent in place, and the next run reports it instead
 * of creating a second key.
 */
export async function createSuccessor(
  deps: RotationDeps,
  managed: ManagedAlias,
  request: RotationRequest,
  item: AliasItem,
  oldKey: KeyMetadata,
): Promise<RotationRecord> {
  const { alias, region } = managed;
  const [policy, tags, grants] = await Promise.all([readPolicy(deps.kms, oldKey), readTags(deps.kms, oldKey), readGrants(deps, oldKey)]);
  const createRequest = buildSuccessorRequest(managed, oldKey, policy, tags);

  const intent: RotationRecord = {
    id: request.runId,
    step: ROTATION_STEPS.intent,
    trigger: request.trigger,
    reason: request.reason,
    requestedBy: request.requestedBy,
    skipOverlap: request.skipOverlap,
    oldKeyId: oldKey.KeyId as string,
    oldKeyArn: oldKey.Arn as string,
    oldKeyGrants: grants,
    generation: item.generation + 1,
    startedAt: deps.clock.now().toISOString(),
  };
  await deps.table.recordIntent(region, alias, request.runId, intent);

  let created: KeyMetadata | undefined;
  try {
    created = await createKeyOnce(deps, createRequest);
  } catch (error) {
    if (isServiceRejection(error)) await deps.table.clearRotation(region, alias, request.runId, intent.id);
    if (isThrottling(error)) request.onCreateThrottled?.();
    if (error instanceof MalformedPolicyDocumentException) {
      throw new RotationBlockedError(
        `KMS rejected the key policy of ${oldKey.KeyId}, copied verbatim to its successor: ${error.message}. kms-rotator never changes a policy or bypasses the policy lockout safety check; let the role that creates keys administer them under this policy, then the next sweep rotates.`,
        { cause: error },
      );
    }
    throw new RotationStepError('create', `CreateKey failed: ${describeAwsError(error)}`, { cause: error });
  }
  if (!created?.KeyId || !created.Arn) {
    throw new RotationStepError('create', 'CreateKey returned no key metadata; the outcome is unknown');
  }

  request.onKeyCreated?.();
  const recorded: RotationRecord = { ...intent, step: ROTATION_STEPS.created, successorKeyId: created.KeyId, successorKeyArn: created.Arn };
  await deps.table.updateRotation(region, alias, request.runId, recorded);
  deps.logger.info('Created the successor key', { alias, region, rotationId: intent.id, oldKeyId: intent.oldKeyId, successorKeyId: created.KeyId });
  return recorded;
}

/** Reads the key policy of `key`, whose ARN or id must be of the Region of `kms`. */
/** Attempts of CreateKey when KMS throttles it; a throttled call made no key, so it is safe to send again. */
const CREATE_KEY_ATTEMPTS = 4;
const CREATE_KEY_BACKOFF_MS = 100;

/**
 * Calls CreateKey through the client without SDK retries. Only a ThrottlingException, which KMS
 * returns without creating a key, is sent again after an exponential backoff. Any other failure,
 * above all a lost response, is thrown, because a second call could make a second key.
 */
async function createKeyOnce(deps: RotationDeps, createRequest: CreateKeyCommandInput): Promise<KeyMetadata | undefined> {
  for (let attempt = 1; ; attempt += 1) {
    await deps.createKeyPacer?.wait();
    try {
      return (await deps.kmsSingleAttempt.send(new CreateKeyCommand(createRequest))).KeyMetadata;
    } catch (error) {
      const throttled = error instanceof Error && error.name === 'ThrottlingException';
      if (!throttled || attempt >= CREATE_KEY_ATTEMPTS) throw error;
      deps.logger.warn('CreateKey was throttled; trying again', { attempt, error: describeAwsError(error) });
      await new Promise((resolve) => setTimeout(resolve, CREATE_KEY_BACKOFF_MS * 2 ** (attempt - 1)));
    }
  }
}

export async function readPolicy(kms: KMSClient, key: KeyMetadata): Promise<string> {
  const output = await kms.send(new GetKeyPolicyCommand({ KeyId: key.Arn ?? key.KeyId, PolicyName: 'default' }));
  if (!output.Policy) throw new RotationStepError('create', `GetKeyPolicy returned no policy for ${key.KeyId}`);
  return output.Policy;
}

export async function readTags(kms: KMSClient, key: KeyMetadata): Promise<Tag[]> {
  const tags: Tag[] = [];
  let marker: string | undefined;
  do {
    const output = await kms.send(new ListResourceTagsCommand({ KeyId: key.Arn ?? key.KeyId, Marker: marker, Limit: 50 }));
    tags.push(...(output.Tags ?? []));
    marker = output.Truncated ? output.NextMarker : undefined;
  } while (marker);
  return tags;
}

async function readGrants(deps: RotationDeps, key: KeyMetadata): Promise<GrantSummary[]> {
  const grants: GrantSummary[] = [];
  let marker: string | undefined;
  do {
    const output = await deps.kms.send(new ListGrantsCommand({ KeyId: key.KeyId, Marker: marker, Limit: 100 }));
    for (const grant of output.Grants ?? []) {
      grants.push({ grantId: grant.GrantId ?? '', granteePrincipal: grant.GranteePrincipal, operations: grant.Operations ?? [] });
    }
    marker = output.Truncated ? output.NextMarker : undefined;
  } while (marker);
  return grants;
}

/** True when KMS returned an error response, so the request was processed and rejected. */
function isServiceRejection(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return (error as { $fault?: string }).$fault === 'client' && status !== undefined && status >= 400 && status < 500;
}
