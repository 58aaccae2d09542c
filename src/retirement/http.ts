import * as z from 'zod/mini';
import type { RotationConfig } from '../config/load.js';
import type { RetirementDeps } from './deps.js';
import { approveRequest, isStale, rejectRequest, startExecution, verifyPerson } from './decide.js';
import { RetirementRejection } from './errors.js';
import { checkFiling, fileRetirement } from './file.js';
import { RETIREMENT_ACTIONS, RETIREMENT_STATUSES, type RetirementRequest } from './request.js';
import '../validation.js';

/** The parts of an API Gateway HTTP API (payload format 2.0) event that the routes read. */
export interface HttpApiEvent {
  version?: string;
  rawPath?: string;
  rawQueryString?: string;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext?: { http?: { method?: string } & Record<string, unknown> } & Record<string, unknown>;
}

export interface HttpApiResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const REQUEST_ID = z.string().check(z.minLength(1), z.maxLength(128));
const REASON = z.string().check(z.trim(), z.minLength(1), z.maxLength(1000));

const fileBody = z.strictObject({
  keyArn: z.string().check(z.minLength(1), z.maxLength(2048)),
  action: z.enum(RETIREMENT_ACTIONS),
  reason: REASON,
  pendingWindowInDays: z.optional(z.number()),
  requestId: REQUEST_ID,
  identityProof: z.optional(z.unknown()),
});
const approveBody = z.strictObject({ requestId: REQUEST_ID, identityProof: z.optional(z.unknown()) });
const rejectBody = z.strictObject({ reason: REASON, requestId: REQUEST_ID, identityProof: z.optional(z.unknown()) });

/**
 * Serves the approval API. Identity comes only from the body's identity proof, checked with STS:
 * `requestContext` is never read for it, because a direct invoke can write any requestContext.
 */
export async function handleHttpApi(deps: RetirementDeps, config: RotationConfig, event: HttpApiEvent): Promise<HttpApiResult> {
  try {
    return await route(deps, config, event);
  } catch (error) {
    if (error instanceof RetirementRejection) {
      deps.logger.warn('Approval API request rejected', { status: error.status, code: error.code, detail: error.message, path: event.rawPath });
      return json(error.status, { error: { code: error.code, message: error.message } });
    }
    deps.logger.error('Approval API request failed', { path: event.rawPath, error: error instanceof Error ? error.message : String(error) });
    return json(500, { error: { code: 'internal', message: 'The approval function failed; the request may be retried. The function log has the cause.' } });
  }
}

async function route(deps: RetirementDeps, config: RotationConfig, event: HttpApiEvent): Promise<HttpApiResult> {
  const method = event.requestContext?.http?.method ?? '';
  const segments = (event.rawPath ?? '').split('/').filter(Boolean).map(decodeURIComponent);
  if (segments[0] !== 'requests' || segments.length > 3) throw new RetirementRejection(404, 'unknown-route', `No route ${method} ${event.rawPath ?? ''}.`);
  const id = segments[1];

  if (method === 'POST' && segments.length === 1) {
    const body = parseBody(event, fileBody);
    const person = await verifyPerson(deps, config, body.identityProof, { requestId: body.requestId, verb: `file-retirement:${body.action}`, keyId: body.keyArn }, () =>
      checkFiling(deps, config, body),
    );
    const request = await fileRetirement(deps, config, {
      keyArn: body.keyArn,
      action: body.action,
      reason: body.reason,
      ...(body.pendingWindowInDays !== undefined ? { pendingWindowInDays: body.pendingWindowInDays } : {}),
      requestedBy: person.arn,
      requesterPrincipal: person.principal,
    });
    return json(201, { request });
  }
  if (method === 'GET' && segments.length === 1) {
    const status = new URLSearchParams(event.rawQueryString ?? '').get('status') ?? undefined;
    if (status !== undefined && !(RETIREMENT_STATUSES as readonly string[]).includes(status)) {
      throw new RetirementRejection(400, 'invalid-input', `Invalid status: ${JSON.stringify(status)} must be one of ${RETIREMENT_STATUSES.join(', ')}.`, 'status');
    }
    const requests = await deps.store.list(deps.region, status as RetirementRequest['status'] | undefined);
    await Promise.all(requests.filter((request) => isStale(deps, request)).map((request) => startExecution(deps, request)));
    return json(200, { requests });
  }
  if (method === 'GET' && segments.length === 2 && id) {
    const request = await deps.store.get(deps.region, id);
    if (!request) throw new RetirementRejection(404, 'unknown-request', `No retirement request ${id} in ${deps.region}.`);
    // The caller polls this route after approving, so it also restarts an execution whose run was lost.
    if (isStale(deps, request)) await startExecution(deps, request);
    return json(200, { request });
  }
  if (method === 'POST' && segments.length === 3 && id && segments[2] === 'approve') {
    const body = parseBody(event, approveBody);
    const person = await verifyPerson(deps, config, body.identityProof, { requestId: body.requestId, verb: `approve-retirement:${id}` }, () => requireRequest(deps, id));
    return json(202, { request: await approveRequest(deps, config, id, person) });
  }
  if (method === 'POST' && segments.length === 3 && id && segments[2] === 'reject') {
    const body = parseBody(event, rejectBody);
    const person = await verifyPerson(deps, config, body.identityProof, { requestId: body.requestId, verb: `reject-retirement:${id}` }, () => requireRequest(deps, id));
    return json(200, { request: await rejectRequest(deps, config, id, person, body.reason) });
  }
  throw new RetirementRejection(404, 'unknown-route', `No route ${method} ${event.rawPath ?? ''}.`);
}

/** Throws 404 for an unknown request before the identity check, so the call uses up no request id. */
async function requireRequest(deps: RetirementDeps, id: string): Promise<void> {
  if (!(await deps.store.get(deps.region, id))) throw new RetirementRejection(404, 'unknown-request', `No retirement request ${id} in ${deps.region}.`);
}

function parseBody<T>(event: HttpApiEvent, schema: z.ZodMiniType<T>): T {
  let parsed: unknown;
  try {
    const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
    parsed = JSON.parse(text);
  } catch {
    throw new RetirementRejection(400, 'invalid-input', 'Invalid body: it must be a JSON object.', 'body');
  }
  const result = schema.safeParse(parsed);
  if (result.success) {
    if ((result.data as { identityProof?: unknown }).identityProof === undefined) {
      throw new RetirementRejection(400, 'invalid-input', 'Invalid identityProof: it is missing; sign a presigned sts:GetCallerIdentity request bound to this action (the kms-rotator CLI does).', 'identityProof');
    }
    return result.data;
  }
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.map(String).join('.') || 'body';
  const problem = issue.code === 'unrecognized_keys' ? 'is not a known field' : issue.message;
  throw new RetirementRejection(400, 'invalid-input', `Invalid ${field}: ${problem}.`, field);
}

function json(statusCode: number, body: unknown): HttpApiResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
