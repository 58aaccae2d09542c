import type { CreateKeyCommandInput } from '@aws-sdk/client-kms';
import { expect } from 'vitest';
import type { RotationConfig } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/yaml.js';
import type { AuditMarks, RetirementDeps } from '../../src/retirement/deps.js';
import type { HttpApiResult } from '../../src/retirement/http.js';
import { handleApprovalInvoke } from '../../src/retirement/invoke.js';
import type { RetirementAction, RetirementRequest } from '../../src/retirement/request.js';
import { handleRotateInvoke } from '../../src/rotation/handle-invoke.js';
import type { AliasOutcome } from '../../src/rotation/outcome.js';
import type { SweepResult } from '../../src/rotation/sweep.js';
import { localRetirementDeps, type LocalRetirementDeps } from '../../local/approval-server.js';
import { LOCAL_BUS_NAME } from '../../local/cloud.js';
import { approverIdentity, operatorIdentity, type LocalIdentity } from '../../local/identities.js';
import { createAliasedKey, DAY_MS, proofFor, START, type TestCloud } from '../support/local-cloud.js';

export const ALIAS = 'alias/orders';
export const SCHEDULED_EVENT = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2027-01-01T00:00:00Z', detail: {} };
/** The rotation at day 91 supersedes the first key. */
export const ROTATED_AT = START + 91 * DAY_MS;

/** Builds a config of alias/orders; `retire` lines go under `retire:` and `alias` lines under the alias. */
export function retireConfig(
  retire: string[] = [],
  settings: string[] = ['approvers: ["arn:aws:iam::111122223333:user/*"]'],
  alias: string[] = ['regions: [us-east-1]'],
): RotationConfig {
  const settingsBlock = settings.length > 0 ? `settings:\n${settings.map((line) => `  ${line}`).join('\n')}\n` : '';
  const aliasBlock = alias.map((line) => `    ${line}\n`).join('');
  const retireBlock = retire.length > 0 ? `    retire:\n${retire.map((line) => `      ${line}`).join('\n')}\n` : '';
  return parseConfig(`${settingsBlock}aliases:\n  - alias: ${ALIAS}\n    period: 90d\n${aliasBlock}${retireBlock}`);
}

/** Creates alias/orders and lets the real rotation supersede its first key at day 91. */
export async function supersededKey(
  test: TestCloud,
  config: RotationConfig,
  input: CreateKeyCommandInput = {},
): Promise<{ oldKeyArn: string; oldKeyId: string; newKeyId: string }> {
  const old = await createAliasedKey(test.operator.kms, ALIAS, input);
  await handleRotateInvoke(test.cloud.rotationDeps(), config, SCHEDULED_EVENT);
  test.clock.set(ROTATED_AT);
  const result = (await handleRotateInvoke(test.cloud.rotationDeps(), config, SCHEDULED_EVENT)) as SweepResult;
  const outcome = result.aliases[0] as AliasOutcome;
  expect(outcome.outcome).toBe('rotated');
  return { oldKeyArn: old.Arn as string, oldKeyId: old.KeyId as string, newKeyId: outcome.currentKeyId as string };
}

let requestCount = 0;

/** Calls the approval function as the HTTP API would, and as a direct invoke can. */
export class ApprovalClient {
  readonly local: LocalRetirementDeps;
  readonly deps: RetirementDeps;

  constructor(
    readonly test: TestCloud,
    readonly config: RotationConfig,
    overrides: Partial<RetirementDeps> & { marks?: AuditMarks } = {},
  ) {
    this.local = localRetirementDeps(test.cloud, config, overrides);
    this.deps = this.local.deps;
  }

  /** Returns a fresh client request id, unique across clients, because the table accepts each id once. */
  nextRequestId(): string {
    requestCount += 1;
    return `client-${String(requestCount).padStart(4, '0')}`;
  }

  async call(method: string, path: string, body?: unknown, extra: Record<string, unknown> = {}): Promise<{ status: number; body: any }> {
    const [rawPath, rawQueryString = ''] = path.split('?') as [string, string?];
    const event = {
      version: '2.0',
      rawPath,
      rawQueryString,
      body: body === undefined ? undefined : JSON.stringify(body),
      isBase64Encoded: false,
      requestContext: { http: { method } },
      ...extra,
    };
    const result = (await handleApprovalInvoke(this.deps, this.config, event)) as HttpApiResult;
    return { status: result.statusCode, body: JSON.parse(result.body) };
  }

  async file(identity: LocalIdentity, fields: { keyArn: string; action: RetirementAction; reason?: string; pendingWindowInDays?: number }) {
    const requestId = this.nextRequestId();
    const identityProof = await proofFor(this.test.cloud, identity, { requestId, verb: `file-retirement:${fields.action}`, keyId: fields.keyArn });
    return this.call('POST', '/requests', { reason: 'superseded key', ...fields, requestId, identityProof });
  }

  async approve(identity: LocalIdentity, id: string, extra: Record<string, unknown> = {}) {
    const requestId = this.nextRequestId();
    const identityProof = await proofFor(this.test.cloud, identity, { requestId, verb: `approve-retirement:${id}` });
    return this.call('POST', `/requests/${id}/approve`, { requestId, identityProof }, extra);
  }

  async reject(identity: LocalIdentity, id: string, reason: string) {
    const requestId = this.nextRequestId();
    const identityProof = await proofFor(this.test.cloud, identity, { requestId, verb: `reject-retirement:${id}` });
    return this.call('POST', `/requests/${id}/reject`, { reason, requestId, identityProof });
  }

  async get(id: string): Promise<RetirementRequest> {
    const response = await this.call('GET', `/requests/${id}`);
    expect(response.status).toBe(200);
    return response.body.request as RetirementRequest;
  }
}

/** Detail types published on the project's bus, in order. */
export function publishedTypes(test: TestCloud): string[] {
  return test.cloud.emulator.events().filter((event) => event.eventBusName === LOCAL_BUS_NAME).map((event) => event.detailType);
}

export function publishedDetail(test: TestCloud, detailType: string): Record<string, any> | undefined {
  return test.cloud.emulator.events().filter((event) => event.eventBusName === LOCAL_BUS_NAME && event.detailType === detailType).at(-1)?.detail as Record<string, any> | undefined;
}

/** Files a disable request for the superseded key 31 days after the rotation and lets a second person approve it. */
export async function disabledKey(client: ApprovalClient, oldKeyArn: string): Promise<RetirementRequest> {
  client.test.clock.set(ROTATED_AT + 31 * DAY_MS);
  const filed = await client.file(operatorIdentity, { keyArn: oldKeyArn, action: 'disable' });
  expect(filed.status).toBe(201);
  expect((await client.approve(approverIdentity, filed.body.request.id)).status).toBe(202);
  await client.local.settled();
  const done = await client.get(filed.body.request.id);
  expect(done.status).toBe('done');
  return done;
}
