import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetirementRequest } from '../../src/retirement/request.js';
import { NodeSha256 } from '../../src/identity/sha256.js';
import { startApprovalServer, type ApprovalServer } from '../../local/approval-server.js';
import { operatorIdentity } from '../../local/identities.js';
import { startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { ApprovalClient, retireConfig, ROTATED_AT, supersededKey } from '../retirement/support.js';
import { expand, loadCorpus, sideEffectsSince, snapshot } from './bad-input-support.js';

/**
 * One request to the local approval server, which checks SigV4 for `execute-api` as API Gateway's
 * AWS_IAM authorizer does. `sign` is how the request is signed: not at all, with a wrong secret,
 * with an access key the server does not know, for another service, with the body changed after
 * signing, or correctly as the operator. `{REQUEST}` in the path is an open request's id.
 */
interface HttpCase {
  name: string;
  sign: 'none' | 'wrong-secret' | 'unknown-key' | 'other-service' | 'tampered-body' | 'operator';
  method: string;
  path: string;
  body?: string;
  status: number;
  /** The approval function's error code; absent for the authorizer's own `{ message }` responses. */
  code?: string;
  message: string;
}

const CASES = loadCorpus<HttpCase>('http');
const DAY_MS = 86_400_000;

describe('approval HTTP API bad input', () => {
  let test: TestCloud;
  let client: ApprovalClient;
  let server: ApprovalServer;
  let requestId: string;

  beforeAll(async () => {
    test = await startTestCloud();
    client = new ApprovalClient(test, retireConfig());
    server = await startApprovalServer({ deps: client.deps, config: client.config });
    const { oldKeyArn } = await supersededKey(test, client.config);
    test.clock.set(ROTATED_AT + 31 * DAY_MS);
    const filed = await client.file(operatorIdentity, { keyArn: oldKeyArn, action: 'disable' });
    expect(filed.status).toBe(201);
    requestId = (filed.body.request as RetirementRequest).id;
  }, 60_000);

  afterAll(async () => {
    await server.close();
    await test.close();
  });

  async function send(entry: HttpCase): Promise<Response> {
    const url = new URL(entry.path.replace('{REQUEST}', requestId), server.endpoint);
    const body = entry.body === undefined ? undefined : (expand(entry.body) as string);
    if (entry.sign === 'none') return fetch(url, { method: entry.method, ...(body !== undefined ? { body } : {}) });

    const credentials = {
      accessKeyId: entry.sign === 'unknown-key' ? 'AKIANOTKNOWN00000000' : operatorIdentity.accessKeyId,
      secretAccessKey: entry.sign === 'wrong-secret' ? 'not-the-secret' : operatorIdentity.secretAccessKey,
    };
    const signer = new SignatureV4({ service: entry.sign === 'other-service' ? 'kms' : 'execute-api', region: 'us-east-1', credentials, sha256: NodeSha256 });
    const signed = await signer.sign({
      method: entry.method,
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { host: url.host, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body } : {}),
    });
    const sent = entry.sign === 'tampered-body' ? `${body ?? ''} ` : body;
    return fetch(url, { method: entry.method, headers: signed.headers, ...(sent !== undefined ? { body: sent } : {}) });
  }

  it.each(CASES.map((entry) => [entry.name, entry] as const))('rejects %s', async (_name, entry) => {
    const before = await snapshot(test.cloud, test.operator.dynamodb);

    const response = await send(entry);
    const answer = (await response.json()) as { message?: string; error?: { code?: string; message?: string } };
    await client.local.settled();

    expect(response.status).toBe(entry.status);
    if (entry.code === undefined) {
      expect(answer.message).toContain(entry.message);
    } else {
      expect(answer.error?.code).toBe(entry.code);
      expect(answer.error?.message).toContain(entry.message);
    }
    expect(sideEffectsSince(test.cloud, before)).toEqual([]);
    expect((await snapshot(test.cloud, test.operator.dynamodb)).table).toBe(before.table);
  });

  it('leaves the open request untouched', async () => {
    const request = await client.get(requestId);

    expect(request.status).toBe('open');
    expect(request.approvals).toEqual([]);
  });
});
