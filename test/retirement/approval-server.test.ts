import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeSha256 } from '../../src/identity/sha256.js';
import { startApprovalServer, type ApprovalServer } from '../../local/approval-server.js';
import { approverIdentity, operatorIdentity, type LocalIdentity } from '../../local/identities.js';
import { DAY_MS, proofFor, startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { ApprovalClient, retireConfig, ROTATED_AT, supersededKey } from './support.js';

/** Sends a request to the local API signed for execute-api, as the CLI does against API Gateway. */
async function signedFetch(server: ApprovalServer, identity: LocalIdentity, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const url = new URL(path, server.endpoint);
  const text = body === undefined ? undefined : JSON.stringify(body);
  const signer = new SignatureV4({ service: 'execute-api', region: 'us-east-1', credentials: identity, sha256: NodeSha256 });
  const signed = await signer.sign({
    method,
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { host: url.host, ...(text ? { 'content-type': 'application/json' } : {}) },
    ...(text ? { body: text } : {}),
  });
  const response = await fetch(url, { method, headers: signed.headers, ...(text ? { body: text } : {}) });
  return { status: response.status, body: await response.json() };
}

describe('local approval server', () => {
  let test: TestCloud;
  let server: ApprovalServer;
  let client: ApprovalClient;

  beforeEach(async () => {
    test = await startTestCloud();
    client = new ApprovalClient(test, retireConfig());
    server = await startApprovalServer({ deps: client.deps, config: client.config });
  });

  afterEach(async () => {
    await server.close();
    await test.close();
  });

  it('files and approves over signed HTTP', async () => {
    const { oldKeyArn } = await supersededKey(test, client.config);
    test.clock.set(ROTATED_AT + 31 * DAY_MS);
    const fileId = client.nextRequestId();
    const filed = await signedFetch(server, operatorIdentity, 'POST', '/requests', {
      keyArn: oldKeyArn,
      action: 'disable',
      reason: 'superseded',
      requestId: fileId,
      identityProof: await proofFor(test.cloud, operatorIdentity, { requestId: fileId, verb: 'file-retirement:disable', keyId: oldKeyArn }),
    });
    expect(filed.status).toBe(201);
    const id = filed.body.request.id as string;

    const approveId = client.nextRequestId();
    const approved = await signedFetch(server, approverIdentity, 'POST', `/requests/${id}/approve`, {
      requestId: approveId,
      identityProof: await proofFor(test.cloud, approverIdentity, { requestId: approveId, verb: `approve-retirement:${id}` }),
    });
    await client.local.settled();
    const listed = await signedFetch(server, approverIdentity, 'GET', '/requests?status=done');

    expect(approved.status).toBe(202);
    expect(approved.body.request.status).toBe('executing');
    expect(listed.status).toBe(200);
    expect(listed.body.requests.map((request: { id: string }) => request.id)).toEqual([id]);
  });

  it('rejects an unsigned request', async () => {
    const response = await fetch(new URL('/requests', server.endpoint));

    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
  });

  it('rejects a wrong signature', async () => {
    const forged = { ...operatorIdentity, secretAccessKey: 'not-the-secret' };

    const response = await signedFetch(server, forged, 'GET', '/requests');

    expect(response.status).toBe(403);
    expect(response.body.message).toMatch(/^The request signature we calculated does not match/);
  });
});
