import type { RotationConfig } from '../config/load.js';
import type { RetirementDeps } from './deps.js';
import { executeRequest } from './execute.js';
import { handleHttpApi, type HttpApiEvent, type HttpApiResult } from './http.js';
import type { RetirementRequest } from './request.js';

/**
 * Runs one invoke of the approval function: an HTTP API request, or `{ "execute": "<id>" }`,
 * which the function sends itself asynchronously once a request has its approvals.
 */
export async function handleApprovalInvoke(deps: RetirementDeps, config: RotationConfig, event: unknown): Promise<HttpApiResult | RetirementRequest | undefined> {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new Error(`Invalid approval event: expected an API Gateway HTTP API event or {"execute": "<id>"}, received ${event === null ? 'null' : Array.isArray(event) ? 'an array' : `a ${typeof event}`}`);
  }
  if ('execute' in event) {
    const id = (event as { execute: unknown }).execute;
    if (typeof id !== 'string' || id === '') throw new Error('Invalid execute event: execute must be a retirement request id');
    return executeRequest(deps, config, id);
  }
  return handleHttpApi(deps, config, event as HttpApiEvent);
}
