import { randomUUID } from 'node:crypto';
import { DescribeKeyCommand, type KeyMetadata } from '@aws-sdk/client-kms';
import { aliasesInRegion, type ManagedAlias, type RotationConfig } from '../config/load.js';
import type { GenerationItem } from '../state/records.js';
import { describeChecks, formatDuration } from './checks.js';
import type { RetirementDeps } from './deps.js';
import { RetirementRejection } from './errors.js';
import { announce } from './events.js';
import { isAsymmetricEncryptionKey, readKeyFacts } from './key-facts.js';
import { MAX_PENDING_WINDOW_DAYS, MIN_PENDING_WINDOW_DAYS, type RetirementAction, type RetirementRequest } from './request.js';

export interface FileInput {
  keyArn: string;
  action: RetirementAction;
  reason: string;
  pendingWindowInDays?: number;
  /** ARN from STS, or TOOL_REQUESTER. */
  requestedBy: string;
  /** The requester as principalOf compares it. */
  requesterPrincipal: string;
}

/** The generation state a request for each action needs when it is filed. */
const FILE_STATE: Record<RetirementAction, GenerationItem['state']> = { disable: 'superseded', delete: 'disabled' };

/** Finds the managed alias and generation that recorded `keyArn` (or its key id) in this Region. */
export async function findGeneration(
  deps: RetirementDeps,
  config: RotationConfig,
  keyArn: string,
): Promise<{ managed: ManagedAlias; generation: GenerationItem; generations: GenerationItem[] } | undefined> {
  for (const managed of aliasesInRegion(config, deps.region)) {
    const generations = await deps.table.listGenerations(managed.region, managed.alias);
    const generation = generations.find((item) => item.keyArn === keyArn);
    if (generation) return { managed, generation, generations };
  }
  return undefined;
}

/**
 * Checks a filing without changing anything: the key is a recorded generation of a configured
 * alias in the state the action needs, deletion is allowed, and the pending window is valid.
 * Throws RetirementRejection naming the field. The API runs it before the identity check, so an
 * invalid request does not use up its request id.
 */
export async function checkFiling(
  deps: RetirementDeps,
  config: RotationConfig,
  input: Pick<FileInput, 'keyArn' | 'action' | 'pendingWindowInDays'>,
): Promise<{ managed: ManagedAlias; generation: GenerationItem; generations: GenerationItem[]; pendingWindowInDays: number | undefined }> {
  const found = await findGeneration(deps, config, input.keyArn);
  if (!found) {
    throw new RetirementRejection(
      400,
      'not-a-generation',
      `Invalid keyArn: ${input.keyArn} is not a recorded generation of an alias that rotation.config.yml manages in ${deps.region}. Give the full key ARN of a superseded key.`,
      'keyArn',
    );
  }
  const { managed, generation, generations } = found;
  if (generation.state !== FILE_STATE[input.action]) {
    throw new RetirementRejection(
      409,
      'generation-state',
      `${input.keyArn} is a ${generation.state} generation of ${managed.alias}; a ${input.action} request needs a ${FILE_STATE[input.action]} one.`,
    );
  }
  if (input.action === 'delete' && !managed.retire.allowDeletion) {
    throw new RetirementRejection(400, 'deletion-not-allowed', `Invalid action: ${managed.alias} does not allow deletion (retire.allowDeletion is false in rotation.config.yml).`, 'action');
  }
  const pendingWindowInDays = pendingWindow(input, managed);
  return { managed, generation, generations, pendingWindowInDays };
}

/**
 * Files a retirement request for a superseded generation of a configured alias, with every
 * setting taken from that alias, and publishes `Retirement Requested`. Throws
 * RetirementRejection before any change when the key, action or window is not accepted, or
 * when the key already has a request that is not final.
 */
export async function fileRetirement(deps: RetirementDeps, config: RotationConfig, input: FileInput): Promise<RetirementRequest> {
  const { managed, generation, generations, pendingWindowInDays } = await checkFiling(deps, config, input);

  const kmsKey = (await deps.kms.send(new DescribeKeyCommand({ KeyId: input.keyArn }))).KeyMetadata as KeyMetadata;
  if (input.action === 'delete' && isAsymmetricEncryptionKey(kmsKey) && !managed.retire.publicKeyWithdrawn) {
    throw new RetirementRejection(
      400,
      'public-key-not-withdrawn',
      `Invalid action: ${input.keyArn} is an asymmetric encryption key (${kmsKey.KeySpec}) and ${managed.alias} does not set retire.publicKeyWithdrawn; its public key may still encrypt outside KMS.`,
      'action',
    );
  }

  const now = deps.clock.now();
  const request: RetirementRequest = {
    id: randomUUID(),
    keyArn: generation.keyArn,
    keyId: generation.keyId,
    alias: managed.alias,
    region: managed.region,
    generation: generation.generation,
    action: input.action,
    ...(pendingWindowInDays !== undefined ? { pendingWindowInDays } : {}),
    requestedBy: input.requestedBy,
    requesterPrincipal: input.requesterPrincipal,
    reason: input.reason,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + config.requestExpiryMs).toISOString(),
    requiredApprovals: managed.retire.requiredApprovals,
    approvals: [],
    status: 'open',
  };
  const result = await deps.store.create(request);
  if (!result.created) {
    throw new RetirementRejection(
      409,
      'request-open',
      `${input.keyArn} already has the ${result.openRequest.status} request ${result.openRequest.id} (${result.openRequest.action}); a key has at most one open request.`,
    );
  }
  deps.logger.info('Retirement requested', { requestId: request.id, keyArn: request.keyArn, alias: request.alias, action: request.action, requestedBy: request.requestedBy });
  await announce(deps, 'Retirement Requested', request, await decisionContext(deps, managed, request, generations));
  return request;
}

function pendingWindow(input: Pick<FileInput, 'action' | 'pendingWindowInDays'>, managed: ManagedAlias): number | undefined {
  if (input.action === 'disable') {
    if (input.pendingWindowInDays !== undefined) {
      throw new RetirementRejection(400, 'invalid-input', 'Invalid pendingWindowInDays: it applies to delete requests only; leave it out of a disable request.', 'pendingWindowInDays');
    }
    return undefined;
  }
  const days = input.pendingWindowInDays ?? managed.retire.pendingWindowInDays;
  if (!Number.isInteger(days) || days < MIN_PENDING_WINDOW_DAYS || days > MAX_PENDING_WINDOW_DAYS) {
    throw new RetirementRejection(
      400,
      'invalid-input',
      `Invalid pendingWindowInDays: ${days} must be a whole number of days from ${MIN_PENDING_WINDOW_DAYS} to ${MAX_PENDING_WINDOW_DAYS}, as KMS allows.`,
      'pendingWindowInDays',
    );
  }
  return days;
}

/** Collects what an approver needs to decide: the alias's generations, the key's grants and last use, and the checks. */
async function decisionContext(deps: RetirementDeps, managed: ManagedAlias, request: RetirementRequest, generations: GenerationItem[]): Promise<Record<string, unknown>> {
  const context: Record<string, unknown> = {
    createdAt: request.createdAt,
    generations: generations.map((item) => ({
      generation: item.generation,
      keyId: item.keyId,
      state: item.state,
      promotedAt: item.promotedAt,
      supersededAt: item.supersededAt,
      disabledAt: item.disabledAt,
    })),
    quietPeriod: formatDuration(managed.retire.quietPeriodMs),
    checks: describeChecks(request.action),
  };
  try {
    const facts = await readKeyFacts(deps, deps.kms, request.region, request.keyArn);
    context.keyState = facts.metadata.KeyState;
    context.aliases = facts.aliases;
    context.grants = facts.grants.map((grant) => ({ grantId: grant.GrantId, granteePrincipal: grant.GranteePrincipal, operations: grant.Operations }));
    context.lastUse = facts.lastUsage;
  } catch (error) {
    deps.logger.warn('Could not read the key for Retirement Requested', { requestId: request.id, keyArn: request.keyArn, error: String(error) });
  }
  return context;
}
