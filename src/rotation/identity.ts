import { IdentityProofError, type ActionBinding } from '../identity/proof.js';
import { verifyIdentityProof } from '../identity/verify-proof.js';
import type { RotationDeps } from './deps.js';
import { InvalidRequestError, type PersonInvokeRequest } from './invoke-request.js';

/** Checks a presigned sts:GetCallerIdentity request and returns the caller's ARN from STS. */
export interface IdentityVerifier {
  verify(proof: unknown, binding: ActionBinding): Promise<{ arn: string }>;
}

/** A verifier that sends proofs to `stsEndpoint`, the function's own STS endpoint, and nowhere else. */
export function stsIdentityVerifier(stsEndpoint: string): IdentityVerifier {
  return { verify: (proof, binding) => verifyIdentityProof(proof, binding, { stsEndpoint }) };
}

/** Keep used request ids longer than a signed request stays valid (15 minutes for SigV4). */
const REQUEST_ID_RETENTION_MS = 24 * 3_600_000;

/** The verb a proof must name: the request kind with every flag that widens it. */
export function verbOf(request: PersonInvokeRequest): string {
  if (request.kind !== 'rotate') return request.kind;
  return ['rotate', request.force ? 'force' : '', request.skipOverlap ? 'skip-overlap' : ''].filter(Boolean).join('+');
}

/**
 * Returns the ARN of the person behind a request, from its identity proof. A plain rotation may
 * come without one (it destroys nothing, and invoking the function is itself IAM-controlled);
 * forced rotations, rollbacks, pauses and resumes must carry one.
 * Throws InvalidRequestError before any change.
 */
export async function callerOf(
  deps: Pick<RotationDeps, 'table' | 'clock'> & { identity?: IdentityVerifier },
  request: PersonInvokeRequest,
): Promise<string | undefined> {
  const verb = verbOf(request);
  const required = verb !== 'rotate';
  if (request.identityProof === undefined) {
    if (!required) return undefined;
    throw new InvalidRequestError(
      `A ${verb} request must carry identityProof, a presigned sts:GetCallerIdentity request bound to this request, and requestId; the kms-rotator CLI adds both`,
    );
  }
  if (!request.requestId) throw new InvalidRequestError('Invalid request: field requestId is missing; an identityProof is bound to a requestId');
  if (!deps.identity) throw new InvalidRequestError('This deployment cannot check identity proofs: no STS endpoint is configured');

  let caller: { arn: string };
  try {
    caller = await deps.identity.verify(request.identityProof, { requestId: request.requestId, verb, alias: request.alias });
  } catch (error) {
    if (error instanceof IdentityProofError) throw new InvalidRequestError(`The identity proof was rejected: ${error.message}`, { cause: error });
    throw error;
  }
  if (!(await deps.table.recordRequestId(request.requestId, deps.clock.now().getTime(), REQUEST_ID_RETENTION_MS))) {
    throw new InvalidRequestError(`The request id ${request.requestId} was used before; an identity proof is good for one request only`);
  }
  return caller.arn;
}
