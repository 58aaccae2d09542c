import { aliasesInRegion, type RotationConfig } from '../config/load.js';
import { matchesPattern, principalOf } from '../identity/identity.js';
import { IdentityProofError, type ActionBinding } from '../identity/proof.js';
import type { RetirementDeps } from './deps.js';
import { RetirementRejection } from './errors.js';
import { announce } from './events.js';
import { STALE_EXECUTION_MS } from './execute.js';
import { isToolPrincipal } from './key-facts.js';
import type { Approval, RetirementRequest } from './request.js';

/** Keep used request ids longer than a signed request stays valid (15 minutes for SigV4). */
const REQUEST_ID_RETENTION_MS = 24 * 3_600_000;

/** How often an approval is retried when another approval changed the request between read and write. */
const APPROVAL_ATTEMPTS = 3;

export interface VerifiedPerson {
  arn: string;
  /** The person as compared with others: principalOf with settings.pinnedSessionRoles. */
  principal: string;
}

/**
 * Verifies an identity proof for one action with STS and accepts its request id once. Throws
 * RetirementRejection: 403 when STS or the binding rejects the proof, 409 for a used request id.
 */
export async function verifyPerson(
  deps: RetirementDeps,
  config: RotationConfig,
  proof: unknown,
  binding: ActionBinding,
  checkInput: () => Promise<unknown> = async () => undefined,
): Promise<VerifiedPerson> {
  if (!deps.identity) throw new RetirementRejection(403, 'identity-unavailable', 'This deployment cannot check identity proofs: no STS endpoint is configured.');
  let arn: string;
  try {
    arn = (await deps.identity.verify(proof, binding)).arn;
  } catch (error) {
    if (error instanceof IdentityProofError) throw new RetirementRejection(403, 'identity-proof-rejected', `The identity proof was rejected: ${error.message}`);
    throw error;
  }
  // GetFederationToken lets a caller name the session anything, so a federated user cannot be told
  // apart from the person who asked for it: one person could file as one and approve as the other.
  if (/^arn:aws[a-z-]*:sts::[0-9]{12}:federated-user\//.test(arn)) {
    throw new RetirementRejection(403, 'identity-not-allowed', `${arn} is a federated user (sts:GetFederationToken), whose name its caller chooses; file, approve and reject as an IAM user or role.`);
  }
  // The input is checked before the request id is recorded, so an invalid request does not use it up.
  await checkInput();
  if (!(await deps.table.recordRequestId(binding.requestId, deps.clock.now().getTime(), REQUEST_ID_RETENTION_MS))) {
    throw new RetirementRejection(409, 'request-id-used', `The request id ${binding.requestId} was used before; an identity proof is good for one request only. Sign a new one.`);
  }
  return { arn, principal: principalOf(arn, config.pinnedSessionRoles) };
}

/** Loads an open request, expiring it first when its time is up. Throws 404 or 409. */
async function openRequest(deps: RetirementDeps, id: string): Promise<RetirementRequest> {
  const request = await deps.store.get(deps.region, id);
  if (!request) throw new RetirementRejection(404, 'unknown-request', `No retirement request ${id} in ${deps.region}.`);
  if (request.status === 'open' && request.expiresAt <= deps.clock.now().toISOString()) {
    await expireRequest(deps, request);
    throw new RetirementRejection(409, 'expired', `The retirement request ${id} expired at ${request.expiresAt}; file a new one.`);
  }
  if (request.status === 'expired') throw new RetirementRejection(409, 'expired', `The retirement request ${id} expired at ${request.expiresAt}; file a new one.`);
  if (request.status !== 'open') throw new RetirementRejection(409, 'not-open', `The retirement request ${id} is ${request.status}, not open.`);
  return request;
}

/** Ends an open request past its expiry as `expired` and publishes `Retirement Expired`. */
export async function expireRequest(deps: RetirementDeps, request: RetirementRequest): Promise<RetirementRequest | undefined> {
  const at = deps.clock.now().toISOString();
  const expired = await deps.store.transition(request, ['open'], 'expired', { closedAt: at, decision: { message: `Expired at ${request.expiresAt} with ${request.approvals.length} of ${request.requiredApprovals} approvals`, at } });
  if (expired) {
    deps.logger.info('Retirement request expired', { requestId: request.id, keyArn: request.keyArn });
    await announce(deps, 'Retirement Expired', expired);
  }
  return expired;
}

/** Throws 403 unless `person` may approve or reject requests on the request's alias. */
function checkApprover(deps: RetirementDeps, config: RotationConfig, request: RetirementRequest, person: VerifiedPerson): void {
  if (isToolPrincipal(deps, person.arn)) {
    throw new RetirementRejection(403, 'tool-role', `${person.arn} is one of kms-rotator's own roles, which never approve or reject retirement requests.`);
  }
  const managed = aliasesInRegion(config, request.region).find((entry) => entry.alias === request.alias);
  const patterns = managed?.retire.approvers ?? [];
  if (patterns.length === 0) {
    throw new RetirementRejection(403, 'no-approvers', `Nobody may approve requests on ${request.alias}: settings.approvers and retire.approvers in rotation.config.yml are empty.`);
  }
  // A pattern may name the session of a pinned role or the role itself.
  const candidates = [person.principal, principalOf(person.arn, [])];
  if (!patterns.some((pattern) => candidates.some((candidate) => matchesPattern(candidate, pattern)))) {
    throw new RetirementRejection(403, 'not-an-approver', `${person.principal} matches none of the approver patterns of ${request.alias}: ${patterns.join(', ')}.`);
  }
}

/**
 * Records a person's approval. The approval that completes the alias's required count moves
 * the request to `executing` in the same conditional update and starts the execution through
 * `invokeSelf`. Throws RetirementRejection before any change for self-approval, a principal
 * outside the patterns, a tool role, a repeated approval, or a request that is not open.
 */
export async function approveRequest(deps: RetirementDeps, config: RotationConfig, id: string, person: VerifiedPerson): Promise<RetirementRequest> {
  for (let attempt = 0; attempt < APPROVAL_ATTEMPTS; attempt += 1) {
    const request = await openRequest(deps, id);
    checkApprover(deps, config, request, person);
    if (person.principal === request.requesterPrincipal) {
      throw new RetirementRejection(403, 'self-approval', `${person.principal} filed request ${id} and cannot approve it; another approver must.`);
    }
    if (request.approvals.some((approval) => approval.principal === person.principal)) {
      throw new RetirementRejection(409, 'already-approved', `${person.principal} already approved request ${id}; it needs ${request.requiredApprovals} approvals from different people.`);
    }

    const now = deps.clock.now().toISOString();
    const approval: Approval = { by: person.arn, principal: person.principal, at: now };
    const completes = request.approvals.length + 1 >= request.requiredApprovals;
    const updated = await deps.store.addApproval(request, approval, completes, now);
    if (!updated) continue;

    deps.logger.info('Approval recorded', { requestId: id, by: person.arn, approvals: updated.approvals.length, requiredApprovals: updated.requiredApprovals });
    await announce(deps, 'Approval Recorded', updated, { approvedBy: person.arn, completesCount: completes });
    if (completes) await startExecution(deps, updated);
    return updated;
  }
  const latest = await deps.store.get(deps.region, id);
  throw new RetirementRejection(409, 'not-open', `The retirement request ${id} changed under ${APPROVAL_ATTEMPTS} approvals in a row; it is ${latest?.status ?? 'gone'}. Read it and try again.`);
}

/** Ends an open request as `rejected` by a person and publishes `Retirement Rejected`. */
export async function rejectRequest(deps: RetirementDeps, config: RotationConfig, id: string, person: VerifiedPerson, reason: string): Promise<RetirementRequest> {
  const request = await openRequest(deps, id);
  // The requester may take back a request; anyone else must be an approver.
  if (person.principal !== request.requesterPrincipal || isToolPrincipal(deps, person.arn)) checkApprover(deps, config, request, person);
  const at = deps.clock.now().toISOString();
  const rejected = await deps.store.transition(request, ['open'], 'rejected', { closedAt: at, decision: { by: person.arn, reason, message: `Rejected by ${person.arn}: ${reason}`, at } });
  if (!rejected) throw new RetirementRejection(409, 'not-open', `The retirement request ${id} changed while it was being rejected; read it and try again.`);
  deps.logger.info('Retirement rejected', { requestId: id, by: person.arn });
  await announce(deps, 'Retirement Rejected', rejected, { rejectedBy: person.arn, rejectReason: reason });
  return rejected;
}

/** Hands an `executing` request to an asynchronous run; a failure leaves it for the next status read. */
export async function startExecution(deps: RetirementDeps, request: RetirementRequest): Promise<void> {
  if (!deps.invokeSelf) {
    deps.logger.error('No asynchronous invoke configured; the request stays executing', { requestId: request.id });
    return;
  }
  try {
    await deps.invokeSelf({ execute: request.id });
  } catch (error) {
    deps.logger.error('Could not start the execution of a retirement request; reading its status retries', { requestId: request.id, error: String(error) });
  }
}

/** True when an `executing` request has outlived any run that could still be finishing it. */
export function isStale(deps: RetirementDeps, request: RetirementRequest): boolean {
  if (request.status !== 'executing' || !request.executionStartedAt) return false;
  return deps.clock.now().getTime() - Date.parse(request.executionStartedAt) >= STALE_EXECUTION_MS;
}
