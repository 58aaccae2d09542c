import { DescribeKeyCommand, type KeyMetadata } from '@aws-sdk/client-kms';
import { aliasesInRegion, type ManagedAlias, type RotationConfig } from '../config/load.js';
import { describeAwsError } from '../rotation/errors.js';
import type { GenerationItem } from '../state/records.js';
import type { RetirementDeps } from './deps.js';
import { expireRequest, isStale } from './decide.js';
import { RetirementRejection } from './errors.js';
import { announce } from './events.js';
import { executeRequest, withdraw } from './execute.js';
import { fileRetirement } from './file.js';
import { isAsymmetricEncryptionKey } from './key-facts.js';
import { TOOL_REQUESTER, type RetirementAction, type RetirementRequest } from './request.js';

/** Summary of one run of the retire function. */
export interface RetireSweepResult {
  filed: Array<{ requestId: string; keyArn: string; alias: string; action: RetirementAction }>;
  reminded: string[];
  expired: string[];
  withdrawn: string[];
  /** Requests found executing after a lost run that KMS showed finished. */
  finished: string[];
  /** Generations left alone, with the reason, such as an asymmetric encryption key without the withdrawal statement. */
  skipped: Array<{ keyArn: string; reason: string }>;
}

/**
 * Runs the retire function once. It files a disable request for each superseded generation past
 * retire.graceBeforeDisable, and a deletion request for each generation disabled longer than
 * retire.disabledBeforeDeletion on an alias with retire.allowDeletion. It never files a second
 * request for a key that has one open. It sends reminders, expires requests, withdraws those whose
 * key a person re-enabled or whose deletion was cancelled, and records `executing` requests that
 * KMS shows finished. It never disables a key or schedules a deletion itself.
 */
export async function retireSweep(deps: RetirementDeps, config: RotationConfig): Promise<RetireSweepResult> {
  const result: RetireSweepResult = { filed: [], reminded: [], expired: [], withdrawn: [], finished: [], skipped: [] };
  await reviewRequests(deps, config, result);
  for (const managed of aliasesInRegion(config, deps.region)) {
    try {
      await fileForAlias(deps, config, managed, result);
    } catch (error) {
      deps.logger.error('Could not file retirement requests for an alias', { alias: managed.alias, region: managed.region, error: describeAwsError(error) });
    }
  }
  deps.logger.info('Retire sweep finished', { ...result });
  return result;
}

async function reviewRequests(deps: RetirementDeps, config: RotationConfig, result: RetireSweepResult): Promise<void> {
  const now = deps.clock.now();
  for (const request of await deps.store.list(deps.region)) {
    try {
      if (request.status === 'open') {
        if (await withdrawIfReenabled(deps, request)) {
          result.withdrawn.push(request.id);
        } else if (request.expiresAt <= now.toISOString()) {
          if (await expireRequest(deps, request)) result.expired.push(request.id);
        } else if (Date.parse(request.expiresAt) - now.getTime() <= config.requestReminderMs && (await deps.store.markReminded(request, now.toISOString()))) {
          await announce(deps, 'Retirement Reminder', request, { approvalsMissing: request.requiredApprovals - request.approvals.length });
          result.reminded.push(request.id);
        }
      } else if (request.status === 'done') {
        if (await withdrawIfUndone(deps, request)) result.withdrawn.push(request.id);
      } else if (isStale(deps, request)) {
        const after = await executeRequest(deps, config, request.id, { mayAct: false });
        if (after?.status === 'done') result.finished.push(request.id);
      }
    } catch (error) {
      deps.logger.error('Could not review a retirement request', { requestId: request.id, keyArn: request.keyArn, error: describeAwsError(error) });
    }
  }
}

/** Withdraws an open deletion request whose key a person enabled again. */
async function withdrawIfReenabled(deps: RetirementDeps, request: RetirementRequest): Promise<boolean> {
  if (request.action !== 'delete') return false;
  const state = await keyState(deps, request.keyArn);
  if (state !== 'Enabled') return false;
  return (await withdraw(deps, request, await generationOf(deps, request), state))?.status === 'withdrawn';
}

/**
 * Withdraws a done request when KMS no longer shows its outcome and the generation still
 * records it: a disabled key a person enabled, or a deletion a person or the audit safety net
 * cancelled (the key is Disabled again).
 */
async function withdrawIfUndone(deps: RetirementDeps, request: RetirementRequest): Promise<boolean> {
  const generation = await generationOf(deps, request);
  if (!generation || generation.retirementRequestId !== request.id || generation.retirementWithdrawnAt) return false;
  const state = await keyState(deps, request.keyArn);
  const undone = request.action === 'disable' ? state === 'Enabled' : state === 'Enabled' || state === 'Disabled';
  if (!undone) return false;
  return (await withdraw(deps, request, generation, state))?.status === 'withdrawn';
}

async function fileForAlias(deps: RetirementDeps, config: RotationConfig, managed: ManagedAlias, result: RetireSweepResult): Promise<void> {
  const now = deps.clock.now().getTime();
  for (const generation of await deps.table.listGenerations(managed.region, managed.alias)) {
    if (generation.retirementWithdrawnAt) continue;
    const action = dueAction(managed, generation, now);
    if (!action) continue;
    if (await deps.store.openRequestId(managed.region, generation.keyArn)) continue;
    if (action === 'delete') {
      const metadata = (await deps.kms.send(new DescribeKeyCommand({ KeyId: generation.keyArn }))).KeyMetadata as KeyMetadata;
      if (isAsymmetricEncryptionKey(metadata) && !managed.retire.publicKeyWithdrawn) {
        result.skipped.push({ keyArn: generation.keyArn, reason: `asymmetric encryption key; ${managed.alias} does not set retire.publicKeyWithdrawn` });
        continue;
      }
      if (await deps.marks.hasUnclearedDeletionMark(generation.keyArn)) {
        result.skipped.push({ keyArn: generation.keyArn, reason: 'the audit function marked a use while it was pending deletion; a person must clear the mark' });
        continue;
      }
    }
    try {
      const request = await fileRetirement(deps, config, {
        keyArn: generation.keyArn,
        action,
        reason: action === 'disable' ? `superseded at ${generation.supersededAt}; retire.graceBeforeDisable has passed` : `disabled at ${generation.disabledAt}; retire.disabledBeforeDeletion has passed`,
        requestedBy: TOOL_REQUESTER,
        requesterPrincipal: TOOL_REQUESTER,
      });
      result.filed.push({ requestId: request.id, keyArn: request.keyArn, alias: request.alias, action });
    } catch (error) {
      if (!(error instanceof RetirementRejection)) throw error;
      result.skipped.push({ keyArn: generation.keyArn, reason: error.message });
    }
  }
}

function dueAction(managed: ManagedAlias, generation: GenerationItem, nowMs: number): RetirementAction | undefined {
  if (generation.state === 'superseded' && generation.supersededAt && nowMs >= Date.parse(generation.supersededAt) + managed.retire.graceBeforeDisableMs) return 'disable';
  if (
    generation.state === 'disabled' &&
    managed.retire.allowDeletion &&
    generation.disabledAt &&
    nowMs >= Date.parse(generation.disabledAt) + managed.retire.disabledBeforeDeletionMs
  ) {
    return 'delete';
  }
  return undefined;
}

async function keyState(deps: RetirementDeps, keyArn: string): Promise<string> {
  return (await deps.kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata?.KeyState ?? 'unknown';
}

async function generationOf(deps: RetirementDeps, request: RetirementRequest): Promise<GenerationItem | undefined> {
  return (await deps.table.listGenerations(request.region, request.alias)).find((item) => item.keyArn === request.keyArn);
}
