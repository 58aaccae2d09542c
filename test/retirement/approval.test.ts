import { CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RetirementRequest } from '../../src/retirement/request.js';
import { approverIdentity, foreignIdentity, operatorIdentity, toolIdentity } from '../../local/identities.js';
import { countCalls, DAY_MS, proofFor, startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { ApprovalClient, publishedDetail, publishedTypes, retireConfig, ROTATED_AT, supersededKey } from './support.js';

describe('approval API', () => {
  let test: TestCloud;

  beforeEach(async () => {
    test = await startTestCloud();
  });

  afterEach(async () => {
    await test.close();
  });

  async function filedDisable(client: ApprovalClient): Promise<{ request: RetirementRequest; oldKeyArn: string; oldKeyId: string }> {
    const { oldKeyArn, oldKeyId } = await supersededKey(test, client.config);
    test.clock.set(ROTATED_AT + 31 * DAY_MS);
    const filed = await client.file(operatorIdentity, { keyArn: oldKeyArn, action: 'disable', reason: 'replaced in April' });
    expect(filed.status).toBe(201);
    return { request: filed.body.request as RetirementRequest, oldKeyArn, oldKeyId };
  }

  it('disables a key a second person approved', async () => {
    const client = new ApprovalClient(test, retireConfig());
    const { request, oldKeyArn, oldKeyId } = await filedDisable(client);

    expect(request).toMatchObject({
      keyArn: oldKeyArn,
      keyId: oldKeyId,
      alias: 'alias/orders',
      region: 'us-east-1',
      generation: 1,
      action: 'disable',
      requestedBy: operatorIdentity.arn,
      reason: 'replaced in April',
      createdAt: '2027-05-03T00:00:00.000Z',
      expiresAt: '2027-05-06T00:00:00.000Z',
      requiredApprovals: 1,
      approvals: [],
      status: 'open',
    });
    const requested = publishedDetail(test, 'Retirement Requested');
    expect(requested?.generations.map((generation: { state: string }) => generation.state)).toEqual(['superseded', 'current']);
    expect(requested?.grants).toEqual([]);
    expect(requested?.checks.map((check: { check: string }) => check.check)).toEqual(['configured-alias', 'alias-target', 'foreign-grant', 'key-state', 'quiet-period']);
    expect(requested?.lastUse).toMatchObject({ keyCreationDate: '2027-01-01T00:00:00.000Z' });

    const approved = await client.approve(approverIdentity, request.id);
    expect(approved.status).toBe(202);
    expect(approved.body.request.status).toBe('executing');
    expect(approved.body.request.approvals).toEqual([{ by: approverIdentity.arn, principal: approverIdentity.arn, at: '2027-05-03T00:00:00.000Z' }]);
    await client.local.settled();

    const done = await client.get(request.id);
    expect(done.status).toBe('done');
    expect(done.result).toEqual({ keyStates: { 'us-east-1': 'Disabled' }, order: [oldKeyArn] });
    const key = await test.operator.kms.send(new DescribeKeyCommand({ KeyId: oldKeyArn }));
    expect(key.KeyMetadata?.KeyState).toBe('Disabled');
    const generations = await client.deps.table.listGenerations('us-east-1', 'alias/orders');
    expect(generations[0]).toMatchObject({ state: 'disabled', disabledAt: '2027-05-03T00:00:00.000Z', retirementRequestId: request.id });
    expect(publishedTypes(test).filter((type) => type !== 'Key Rotated')).toEqual([
      'Retirement Requested',
      'Approval Recorded',
      'Retirement Approved',
      'Key Disabled',
    ]);
  });

  it('rejects self-approval', async () => {
    const client = new ApprovalClient(test, retireConfig());
    const { request } = await filedDisable(client);

    const response = await client.approve(operatorIdentity, request.id);

    expect(response.status).toBe(403);
    expect(response.body.error).toEqual({ code: 'self-approval', message: `${operatorIdentity.arn} filed request ${request.id} and cannot approve it; another approver must.` });
    expect((await client.get(request.id)).approvals).toEqual([]);
  });

  it('ignores a hand-written requestContext', async () => {
    const client = new ApprovalClient(test, retireConfig());
    const { request, oldKeyArn } = await filedDisable(client);
    const forgedContext = { requestContext: { http: { method: 'POST' }, authorizer: { iam: { userArn: approverIdentity.arn } } } };

    const withoutProof = await client.call('POST', `/requests/${request.id}/approve`, { requestId: 'forged-1' }, forgedContext);
    const operatorProofId = client.nextRequestId();
    const operatorProof = await proofFor(test.cloud, operatorIdentity, { requestId: operatorProofId, verb: `approve-retirement:${request.id}` });
    const operatorAsBob = await client.call('POST', `/requests/${request.id}/approve`, { requestId: operatorProofId, identityProof: operatorProof }, forgedContext);
    const fileWithoutProof = await client.call('POST', '/requests', { keyArn: oldKeyArn, action: 'disable', reason: 'x', requestId: 'forged-2' }, forgedContext);

    expect(withoutProof.status).toBe(400);
    expect(withoutProof.body.error.code).toBe('invalid-input');
    expect(withoutProof.body.error.message).toMatch(/^Invalid identityProof: it is missing/);
    expect(operatorAsBob.status).toBe(403);
    expect(operatorAsBob.body.error.code).toBe('self-approval');
    expect(fileWithoutProof.status).toBe(400);
    expect(fileWithoutProof.body.error.message).toMatch(/^Invalid identityProof/);
    expect((await client.get(request.id)).status).toBe('open');
  });

  it('rejects a proof bound to another request', async () => {
    const client = new ApprovalClient(test, retireConfig());
    const { request } = await filedDisable(client);
    const requestId = client.nextRequestId();
    const proofForOther = await proofFor(test.cloud, approverIdentity, { requestId, verb: 'approve-retirement:another-request' });

    const response = await client.call('POST', `/requests/${request.id}/approve`, { requestId, identityProof: proofForOther });

    expect(response.status).toBe(403);
    expect(response.body.error).toEqual({
      code: 'identity-proof-rejected',
      message: `The identity proof was rejected: The identity proof is for another action: its verb is "approve-retirement:another-request", expected "approve-retirement:${request.id}".`,
    });
  });

  it('rejects an approver outside the patterns', async () => {
    const client = new ApprovalClient(test, retireConfig([], ['approvers: ["arn:aws:iam::111122223333:user/carol"]']));
    const { request } = await filedDisable(client);

    const response = await client.approve(approverIdentity, request.id);

    expect(response.status).toBe(403);
    expect(response.body.error).toEqual({
      code: 'not-an-approver',
      message: `${approverIdentity.arn} matches none of the approver patterns of alias/orders: arn:aws:iam::111122223333:user/carol.`,
    });
  });

  it('lets nobody approve without patterns', async () => {
    const client = new ApprovalClient(test, retireConfig([], []));
    const { request } = await filedDisable(client);

    const response = await client.approve(approverIdentity, request.id);

    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('no-approvers');
  });

  it('never lets the tool role approve', async () => {
    const client = new ApprovalClient(test, retireConfig([], ['approvers: ["arn:aws:iam::111122223333:*"]']));
    const { request } = await filedDisable(client);

    const response = await client.approve(toolIdentity, request.id);

    expect(response.status).toBe(403);
    expect(response.body.error).toEqual({
      code: 'tool-role',
      message: `${toolIdentity.arn} is one of kms-rotator's own roles, which never approve or reject retirement requests.`,
    });
  });

  it('rejects a key that is not a generation', async () => {
    const client = new ApprovalClient(test, retireConfig());
    await supersededKey(test, client.config);
    const stranger = (await test.operator.kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;

    const response = await client.file(operatorIdentity, { keyArn: stranger, action: 'disable' });

    expect(response.status).toBe(400);
    expect(response.body.error).toEqual({
      code: 'not-a-generation',
      message: `Invalid keyArn: ${stranger} is not a recorded generation of an alias that rotation.config.yml manages in us-east-1. Give the full key ARN of a superseded key.`,
    });
  });

  it('rejects the current generation', async () => {
    const client = new ApprovalClient(test, retireConfig());
    const { newKeyId } = await supersededKey(test, client.config);
    const current = (await test.operator.kms.send(new DescribeKeyCommand({ KeyId: newKeyId }))).KeyMetadata?.Arn as string;

    const response = await client.file(operatorIdentity, { keyArn: current, action: 'disable' });

    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('generation-state');
  });

  it('rejects an expired request', async () => {
    const client = new ApprovalClient(test, retireConfig());
    const { request } = await filedDisable(client);
    test.clock.advance(72 * 3_600_000);

    const response = await client.approve(approverIdentity, request.id);

    expect(response.status).toBe(409);
    expect(response.body.error).toEqual({ code: 'expired', message: `The retirement request ${request.id} expired at 2027-05-06T00:00:00.000Z; file a new one.` });
    expect((await client.get(request.id)).status).toBe('expired');
    expect(publishedTypes(test)).toContain('Retirement Expired');
  });

  it('rejects a replayed request id', async () => {
    const client = new ApprovalClient(test, retireConfig(['requiredApprovals: 2']));
    const { request } = await filedDisable(client);
    const requestId = client.nextRequestId();
    const body = { requestId, identityProof: await proofFor(test.cloud, approverIdentity, { requestId, verb: `approve-retirement:${request.id}` }) };

    const first = await client.call('POST', `/requests/${request.id}/approve`, body);
    const replay = await client.call('POST', `/requests/${request.id}/approve`, body);

    expect(first.status).toBe(202);
    expect(replay.status).toBe(409);
    expect(replay.body.error).toEqual({ code: 'request-id-used', message: `The request id ${requestId} was used before; an identity proof is good for one request only. Sign a new one.` });
    expect((await client.get(request.id)).approvals).toHaveLength(1);
  });

  it('rejects an unknown request', async () => {
    const client = new ApprovalClient(test, retireConfig());

    const approve = await client.approve(approverIdentity, 'no-such-request');
    const read = await client.call('GET', '/requests/no-such-request');

    expect(approve.status).toBe(404);
    expect(approve.body.error).toEqual({ code: 'unknown-request', message: 'No retirement request no-such-request in us-east-1.' });
    expect(read.status).toBe(404);
  });

  it('acts once on two concurrent approvals', async () => {
    const client = new ApprovalClient(test, retireConfig([], ['approvers: ["arn:aws:iam::*:user/*"]']));
    const { request, oldKeyArn } = await filedDisable(client);

    const [bob, mallory] = await Promise.all([client.approve(approverIdentity, request.id), client.approve(foreignIdentity, request.id)]);
    await client.local.settled();

    const statuses = [bob.status, mallory.status].sort();
    expect(statuses).toEqual([202, 409]);
    const loser = bob.status === 409 ? bob : mallory;
    expect(loser.body.error).toEqual({ code: 'not-open', message: `The retirement request ${request.id} is executing, not open.` });
    const done = await client.get(request.id);
    expect(done.status).toBe('done');
    expect(done.approvals).toHaveLength(1);
    expect(test.cloud.emulator.calls().filter((call) => call.operation === 'DisableKey')).toHaveLength(1);
    expect((await test.operator.kms.send(new DescribeKeyCommand({ KeyId: oldKeyArn }))).KeyMetadata?.KeyState).toBe('Disabled');
  });

  it('accumulates approvals to the required count', async () => {
    const client = new ApprovalClient(test, retireConfig(['requiredApprovals: 2']));
    const { request } = await filedDisable(client);

    const first = await client.approve(approverIdentity, request.id);
    const again = await client.approve(approverIdentity, request.id);

    expect(first.status).toBe(202);
    expect(first.body.request.status).toBe('open');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already-approved');
    expect(publishedDetail(test, 'Approval Recorded')).toMatchObject({ approvedBy: approverIdentity.arn, completesCount: false, requiredApprovals: 2 });
  });

  it('finishes a crashed execution from KMS', async () => {
    const lost: string[] = [];
    const client = new ApprovalClient(test, retireConfig(), { invokeSelf: async (payload) => void lost.push(payload.execute) });
    const { request, oldKeyArn } = await filedDisable(client);
    expect((await client.approve(approverIdentity, request.id)).status).toBe(202);
    // The run that was handed the request disabled the key, then crashed before recording it.
    await test.operator.kms.send(new DisableKeyCommand({ KeyId: oldKeyArn }));
    expect(lost).toEqual([request.id]);

    test.clock.advance(16 * 60_000);
    const polled = await client.get(request.id);
    expect(polled.status).toBe('executing');
    expect(lost).toEqual([request.id, request.id]);
    const finished = (await import('../../src/retirement/execute.js')).executeRequest(client.deps, client.config, request.id);

    expect((await finished)?.status).toBe('done');
    expect(countCalls(test.cloud, 'DisableKey')).toBe(1);
    expect((await client.get(request.id)).result).toEqual({ keyStates: { 'us-east-1': 'Disabled' }, order: [oldKeyArn] });
  });

  it('records a rejection', async () => {
    const client = new ApprovalClient(test, retireConfig());
    const { request } = await filedDisable(client);

    const response = await client.reject(approverIdentity, request.id, 'billing still decrypts with it');

    expect(response.status).toBe(200);
    expect(response.body.request).toMatchObject({ status: 'rejected', decision: { by: approverIdentity.arn, reason: 'billing still decrypts with it' } });
    expect(publishedDetail(test, 'Retirement Rejected')).toMatchObject({ requestId: request.id, rejectedBy: approverIdentity.arn, rejectReason: 'billing still decrypts with it' });
    expect((await client.approve(approverIdentity, request.id)).body.error.code).toBe('not-open');
  });

  it('lists requests by status', async () => {
    const client = new ApprovalClient(test, retireConfig());
    const { request } = await filedDisable(client);

    const open = await client.call('GET', '/requests?status=open');
    const done = await client.call('GET', '/requests?status=done');
    const invalid = await client.call('GET', '/requests?status=pending');

    expect(open.body.requests.map((item: RetirementRequest) => item.id)).toEqual([request.id]);
    expect(done.body.requests).toEqual([]);
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.message).toBe('Invalid status: "pending" must be one of open, executing, done, rejected, refused, expired, withdrawn.');
  });

  it('files no second request for a key', async () => {
    const client = new ApprovalClient(test, retireConfig());
    const { request, oldKeyArn } = await filedDisable(client);

    const second = await client.file(approverIdentity, { keyArn: oldKeyArn, action: 'disable' });

    expect(second.status).toBe(409);
    expect(second.body.error).toEqual({
      code: 'request-open',
      message: `${oldKeyArn} already has the open request ${request.id} (disable); a key has at most one open request.`,
    });
  });
});
