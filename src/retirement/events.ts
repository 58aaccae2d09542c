import { publishEvent, type DetailType } from '../events/publish.js';
import { describeAwsError } from '../rotation/errors.js';
import type { RetirementDeps } from './deps.js';
import type { RetirementRequest } from './request.js';

/** Returns the fields every retirement event carries, so a consumer can find the request and the key. */
export function requestDetail(request: RetirementRequest): Record<string, unknown> {
  return {
    version: 1,
    requestId: request.id,
    keyArn: request.keyArn,
    keyId: request.keyId,
    alias: request.alias,
    region: request.region,
    generation: request.generation,
    action: request.action,
    pendingWindowInDays: request.pendingWindowInDays,
    status: request.status,
    requestedBy: request.requestedBy,
    reason: request.reason,
    approvals: request.approvals,
    requiredApprovals: request.requiredApprovals,
    expiresAt: request.expiresAt,
  };
}

/**
 * Publishes one retirement event. The table already contains the change, so a failed PutEvents is
 * logged and not raised: raising would make a caller retry a change that is done.
 */
export async function announce(
  deps: Pick<RetirementDeps, 'eventbridge' | 'busName' | 'logger'>,
  detailType: DetailType,
  request: RetirementRequest,
  extra: Record<string, unknown> = {},
): Promise<void> {
  try {
    await publishEvent(deps.eventbridge, deps.busName, detailType, { ...requestDetail(request), ...extra }, [request.keyArn]);
  } catch (error) {
    deps.logger.error('Could not publish a retirement event', { detailType, requestId: request.id, keyArn: request.keyArn, error: describeAwsError(error) });
  }
}
