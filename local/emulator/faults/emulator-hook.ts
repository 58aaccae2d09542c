import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Clock } from '../../../src/clock.js';
import type { LocalIdentity } from '../../identities.js';
import { parseTarget } from '../dispatch.js';
import type { EmulatorCall, HttpReply, IncomingRequest } from '../protocol.js';
import type { FaultInjector, FaultKind } from './injector.js';
import { faultErrorCode, faultReply } from './responses.js';

/** The emulator's next step for a request after the fault hook ran. */
export type FaultOutcome =
  | { action: 'serve' }
  /** Serve the request, then destroy the socket instead of replying. */
  | { action: 'serve-and-lose-response' }
  | { action: 'reply'; reply: HttpReply }
  | { action: 'reset' };

export interface FaultHookContext {
  faults: FaultInjector;
  identities: readonly LocalIdentity[];
  /** The emulator's clock. A clock with `advance` (a VirtualClock) moves by the injected latency, so no real time passes. */
  clock: Clock;
  /** Real time, which dates calls for the quotas. */
  wallClock: Clock;
  calls: EmulatorCall[];
}

/**
 * Decides and applies the fault for one request before it is served: waits out injected latency,
 * and records a throttled, failed or reset call in `calls` with `injectedFault` set, with the error the
 * service returns.
 */
export async function applyFault(request: IncomingRequest, context: FaultHookContext): Promise<FaultOutcome> {
  const { service, operation } = operationOf(request);
  const { accessKeyId, region } = credentialOf(request);
  const identity = context.identities.find((candidate) => candidate.accessKeyId === accessKeyId);
  const accountId = identity?.accountId ?? '';
  const decision = context.faults.decide({ service, operation, accountId, region, realTimeMs: context.wallClock.now().getTime() });

  if (decision.latencyMs > 0) await waitOut(decision.latencyMs, context.clock);
  if (!decision.kind) return { action: 'serve' };
  if (decision.kind === 'lost-response') return { action: 'serve-and-lose-response' };

  const call: EmulatorCall = {
    service,
    operation,
    accountId,
    region,
    principalArn: identity?.arn ?? '',
    time: context.clock.now(),
    request: {},
    injectedFault: decision.kind,
  };
  if (decision.kind === 'connection-reset') {
    context.calls.push({ ...call, errorCode: 'ConnectionReset', errorMessage: 'The local emulator reset the connection (injected fault).' });
    return { action: 'reset' };
  }
  const reply = faultReply(service, decision.kind, randomUUID());
  context.calls.push({ ...call, errorCode: faultErrorCode(service, decision.kind), errorMessage: JSON.parse(reply.body).message ?? reply.body });
  return { action: 'reply', reply };
}

async function waitOut(latencyMs: number, clock: Clock): Promise<void> {
  const virtual = clock as Clock & { advance?: (milliseconds: number) => void };
  if (typeof virtual.advance === 'function') {
    virtual.advance(latencyMs);
    return;
  }
  await sleep(latencyMs);
}

/** Returns the service and operation a request names, before it is authenticated. */
function operationOf(request: IncomingRequest): { service: EmulatorCall['service']; operation: string } {
  const target = parseTarget(request.target);
  if (target) return target;
  if (request.target !== undefined) return { service: request.target.startsWith('AWSEvents') ? 'events' : 'kms', operation: request.target };
  const query = new URL(request.url, 'http://localhost').searchParams;
  const form = new URLSearchParams(request.body.toString('utf8'));
  return { service: 'sts', operation: query.get('Action') ?? form.get('Action') ?? '' };
}

/** Reads the access key id and Region of the SigV4 credential in the Authorization header or the presigned query. */
function credentialOf(request: IncomingRequest): { accessKeyId: string; region: string } {
  const authorization = request.headers.find(([name]) => name.toLowerCase() === 'authorization')?.[1] ?? '';
  const credential = /Credential=([^,\s]+)/.exec(authorization)?.[1] ?? new URL(request.url, 'http://localhost').searchParams.get('X-Amz-Credential') ?? '';
  const [accessKeyId = '', , region = ''] = credential.split('/');
  return { accessKeyId, region };
}

export type { FaultKind };
