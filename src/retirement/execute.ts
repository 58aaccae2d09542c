import { DescribeKeyCommand, DisableKeyCommand, ScheduleKeyDeletionCommand, type KeyMetadata } from '@aws-sdk/client-kms';
import { aliasesInRegion, type ManagedAlias, type RotationConfig } from '../config/load.js';
import type { GenerationItem } from '../state/records.js';
import { checkKey, configFailure, type CheckFailure } from './checks.js';
import { kmsOf, type RetirementDeps } from './deps.js';
import { announce } from './events.js';
import type { RetirementRequest, RetirementResult } from './request.js';

/** An `executing` request older than this is taken to have lost its run; a Lambda run lasts at most 15 minutes. */
export const STALE_EXECUTION_MS = 15 * 60 * 1000;

/** One key a request acts on: a replica, or the primary, in its own Region. */
interface TargetKey {
  region: string;
  keyArn: string;
  replica: boolean;
}

/** KeyStates that show an action already happened. */
const DONE_STATES: Record<RetirementRequest['action'], readonly string[]> = {
  disable: ['Disabled'],
  delete: ['PendingDeletion', 'PendingReplicaDeletion'],
};

/**
 * Finishes an `executing` request. It runs the checks on every key that KMS does not already show
 * retired, then disables or schedules the deletion of the replicas first and the primary last.
 * It records the outcome and publishes `Retirement Approved` with `Key Disabled` or
 * `Key Deletion Scheduled`. A run that crashed part way is finished from what KMS shows: keys
 * already retired are neither checked nor called again. A failed check ends the request as
 * `refused`; a deletion request whose key a person re-enabled ends as `withdrawn`. With
 * `mayAct` false (the retire function, which may not call DisableKey or ScheduleKeyDeletion),
 * only a request that KMS shows finished is recorded.
 */
export async function executeRequest(deps: RetirementDeps, config: RotationConfig, id: string, options: { mayAct?: boolean } = {}): Promise<RetirementRequest | undefined> {
  const request = await deps.store.get(deps.region, id);
  if (!request || request.status !== 'executing') return request;
  const mayAct = options.mayAct ?? true;

  const managed = aliasesInRegion(config, request.region).find((entry) => entry.alias === request.alias);
  const generation = (await deps.table.listGenerations(request.region, request.alias)).find((item) => item.keyArn === request.keyArn);
  const primary = (await deps.kms.send(new DescribeKeyCommand({ KeyId: request.keyArn }))).KeyMetadata as KeyMetadata;
  const keys = targetKeys(primary, managed);
  const states = new Map<string, string>();
  for (const key of keys) states.set(key.keyArn, await keyState(deps, key));
  const pending = keys.filter((key) => !DONE_STATES[request.action].includes(states.get(key.keyArn) ?? ''));

  if (pending.length === 0) return recordDone(deps, request, keys, generation);
  if (!mayAct) {
    deps.logger.warn('Retirement request still executing; the approval function finishes it', { requestId: request.id, keyArn: request.keyArn });
    return request;
  }
  if (request.action === 'delete' && primary.KeyState === 'Enabled') {
    return withdraw(deps, request, generation, 'Enabled');
  }

  const configProblem = configFailure(managed, request);
  if (configProblem || !managed || !generation) {
    return refuse(deps, request, configProblem ?? { check: 'configured-alias', message: `The state table has no generation record of ${request.keyArn} under ${request.alias}` });
  }
  for (const key of pending) {
    const failure = await checkKey(deps, managed, request, key, generation);
    if (failure) return refuse(deps, request, failure);
  }

  for (const key of pending) {
    const kms = kmsOf(deps, key.region);
    if (request.action === 'disable') {
      await kms.send(new DisableKeyCommand({ KeyId: key.keyArn }));
    } else {
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.keyArn, PendingWindowInDays: request.pendingWindowInDays }));
    }
    deps.logger.info('Retirement action done', { requestId: request.id, action: request.action, keyArn: key.keyArn, region: key.region });
  }
  return recordDone(deps, request, keys, generation);
}

/**
 * Returns the keys of a request in the order they retire: the replicas that KMS lists in the alias's
 * replica Regions, then the primary. Replicas in Regions the config does not list are left
 * alone; a primary scheduled for deletion then waits in PendingReplicaDeletion for them.
 */
function targetKeys(primary: KeyMetadata, managed: ManagedAlias | undefined): TargetKey[] {
  const primaryRegion = primary.Arn?.split(':')[3] ?? '';
  const replicas = (primary.MultiRegionConfiguration?.ReplicaKeys ?? [])
    .filter((replica) => replica.Region && replica.Arn && (managed?.replicaRegions ?? []).includes(replica.Region))
    .map((replica) => ({ region: replica.Region as string, keyArn: replica.Arn as string, replica: true }));
  return [...replicas, { region: primaryRegion, keyArn: primary.Arn as string, replica: false }];
}

async function keyState(deps: RetirementDeps, key: TargetKey): Promise<string> {
  const metadata = (await kmsOf(deps, key.region).send(new DescribeKeyCommand({ KeyId: key.keyArn }))).KeyMetadata;
  return metadata?.KeyState ?? 'unknown';
}

async function recordDone(deps: RetirementDeps, request: RetirementRequest, keys: TargetKey[], generation: GenerationItem | undefined): Promise<RetirementRequest | undefined> {
  const keyStates: Record<string, string> = {};
  let primaryMetadata: KeyMetadata | undefined;
  for (const key of keys) {
    const metadata = (await kmsOf(deps, key.region).send(new DescribeKeyCommand({ KeyId: key.keyArn }))).KeyMetadata as KeyMetadata;
    keyStates[key.region] = metadata.KeyState ?? 'unknown';
    if (!key.replica) primaryMetadata = metadata;
  }
  const now = deps.clock.now().toISOString();
  const deletionDate = primaryMetadata?.DeletionDate?.toISOString();
  const result: RetirementResult = { keyStates, order: keys.map((key) => key.keyArn), ...(deletionDate ? { deletionDate } : {}) };

  if (generation) await deps.table.putGeneration(retiredGeneration(generation, request, primaryMetadata?.KeyState, now, deletionDate));
  const done = await deps.store.transition(request, ['executing'], 'done', { closedAt: now, result });
  if (!done) return deps.store.get(request.region, request.id);

  await announce(deps, 'Retirement Approved', done, { result });
  if (request.action === 'disable') {
    await announce(deps, 'Key Disabled', done, { disabledAt: now, keyStates });
  } else {
    await announce(deps, 'Key Deletion Scheduled', done, { deletionScheduledAt: now, deletionDate, keyStates });
  }
  return done;
}

function retiredGeneration(generation: GenerationItem, request: RetirementRequest, primaryState: string | undefined, now: string, deletionDate: string | undefined): GenerationItem {
  if (request.action === 'disable') {
    return { ...generation, state: 'disabled', disabledAt: generation.state === 'disabled' && generation.disabledAt ? generation.disabledAt : now, retirementRequestId: request.id };
  }
  return {
    ...generation,
    state: primaryState === 'PendingReplicaDeletion' ? 'pending-replica-deletion' : 'pending-deletion',
    deletionScheduledAt: now,
    deletionDate,
    retirementRequestId: request.id,
  };
}

/** Ends a request as `refused`, naming the check and its evidence, and publishes `Retirement Refused`. */
export async function refuse(deps: RetirementDeps, request: RetirementRequest, failure: CheckFailure): Promise<RetirementRequest | undefined> {
  const at = deps.clock.now().toISOString();
  const refused = await deps.store.transition(request, ['executing'], 'refused', {
    closedAt: at,
    decision: { check: failure.check, message: failure.message, ...(failure.evidence ? { evidence: failure.evidence } : {}), at },
  });
  if (!refused) return deps.store.get(request.region, request.id);
  deps.logger.warn('Retirement request refused: a check failed', { requestId: request.id, keyArn: request.keyArn, check: failure.check, detail: failure.message });
  await announce(deps, 'Retirement Refused', refused, { check: failure.check, message: failure.message, evidence: failure.evidence });
  return refused;
}

/**
 * Ends a request as `withdrawn` because a person re-enabled the key or cancelled its deletion,
 * marks the generation so that the retire function files no more requests for it, and publishes
 * `Retirement Withdrawn`.
 */
export async function withdraw(deps: RetirementDeps, request: RetirementRequest, generation: GenerationItem | undefined, keyState: string): Promise<RetirementRequest | undefined> {
  const at = deps.clock.now().toISOString();
  const message =
    keyState === 'Enabled'
      ? `${request.keyArn} is Enabled again: a person re-enabled it, so it is no longer retiring`
      : `${request.keyArn} is ${keyState}: its deletion was cancelled, so it is no longer retiring`;
  const withdrawn = await deps.store.transition(request, ['open', 'executing', 'done'], 'withdrawn', { closedAt: at, decision: { message, at } });
  if (!withdrawn) return deps.store.get(request.region, request.id);
  if (generation) {
    await deps.table.putGeneration({
      ...generation,
      state: keyState === 'Enabled' ? 'superseded' : 'disabled',
      retirementWithdrawnAt: at,
      deletionScheduledAt: undefined,
      deletionDate: undefined,
    });
  }
  deps.logger.info('Retirement withdrawn', { requestId: request.id, keyArn: request.keyArn, keyState });
  await announce(deps, 'Retirement Withdrawn', withdrawn, { keyState, message });
  return withdrawn;
}
