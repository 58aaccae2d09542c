import { CreateKeyCommand, DescribeKeyCommand, ListResourceTagsCommand, type Tag } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DryRunResult } from '../../src/rotation/dry-run.js';
import { handleRotateInvoke } from '../../src/rotation/handle-invoke.js';
import type { AliasOutcome } from '../../src/rotation/outcome.js';
import type { SweepResult } from '../../src/rotation/sweep.js';
import type { RetirementRequest } from '../../src/retirement/request.js';
import { retireSweep } from '../../src/retirement/sweep.js';
import { approverIdentity, foreignIdentity, operatorIdentity } from '../../local/identities.js';
import { countCalls, createAliasedKey, DAY_MS, proofFor, START, startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { ALIAS, ApprovalClient, retireConfig, ROTATED_AT, SCHEDULED_EVENT } from '../retirement/support.js';
import { scanTable } from './bad-input-support.js';

const TOOL_TAGS: Tag[] = [
  { TagKey: 'kms-rotator:managed', TagValue: 'true' },
  { TagKey: 'kms-rotator:alias', TagValue: ALIAS },
];

/**
 * Forgery: keys tagged by hand, proofs bound to another action and hand-written request
 * contexts. test/rotation/operations.test.ts, test/rotation/person-requests.test.ts and
 * test/retirement/approval.test.ts cover a forged successor at rotation time, a proof for another
 * rotate verb, a hand-written requestContext on approve and a proof for another request.
 */
describe('forgery', () => {
  let test: TestCloud;
  let client: ApprovalClient;

  beforeEach(async () => {
    test = await startTestCloud();
    client = new ApprovalClient(test, retireConfig());
  });

  afterEach(async () => {
    await test.close();
  });

  async function sweep(): Promise<AliasOutcome> {
    return ((await handleRotateInvoke(test.cloud.rotationDeps(), client.config, SCHEDULED_EVENT)) as SweepResult).aliases[0] as AliasOutcome;
  }

  async function forgedKey(tags: Tag[] = TOOL_TAGS, description?: string): Promise<string> {
    const created = await test.operator.kms.send(new CreateKeyCommand({ Tags: tags, ...(description ? { Description: description } : {}) }));
    return created.KeyMetadata?.Arn as string;
  }

  async function keyState(keyId: string): Promise<string | undefined> {
    return (await test.operator.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState;
  }

  async function recordedKeyArns(): Promise<string[]> {
    return (await client.deps.table.listGenerations('us-east-1', ALIAS)).map((generation) => generation.keyArn);
  }

  it('adopts the alias target, not a tagged key', async () => {
    const forged = await forgedKey();
    const real = await createAliasedKey(test.operator.kms, ALIAS);

    const adopted = await sweep();

    expect(adopted.currentKeyId).toBe(real.KeyId);
    expect(await recordedKeyArns()).toEqual([real.Arn]);
    expect(await recordedKeyArns()).not.toContain(forged);
  });

  it('ignores tags copied onto a recent key', async () => {
    const real = await createAliasedKey(test.operator.kms, ALIAS);
    await sweep();
    test.clock.set(START + 90 * DAY_MS);
    await sweep();
    // A key made a day before the rotation, with every tag and the description of the alias's key.
    const copiedTags = (await test.operator.kms.send(new ListResourceTagsCommand({ KeyId: real.KeyId }))).Tags ?? [];
    const forged = await forgedKey([...copiedTags.filter((tag) => !tag.TagKey?.startsWith('kms-rotator:')), ...TOOL_TAGS], real.Description);
    test.clock.set(ROTATED_AT);

    const rotated = await sweep();
    const plan = (await handleRotateInvoke(test.cloud.rotationDeps(), client.config, { dryRun: true })) as DryRunResult;

    expect(rotated.outcome).toBe('rotated');
    expect(rotated.previousKeyId).toBe(real.KeyId);
    expect(forged).not.toContain(rotated.currentKeyId as string);
    const target = await test.operator.kms.send(new DescribeKeyCommand({ KeyId: ALIAS }));
    expect(target.KeyMetadata?.KeyId).toBe(rotated.currentKeyId);
    expect(await recordedKeyArns()).not.toContain(forged);
    expect(await keyState(forged)).toBe('Enabled');
    expect(plan.orphanKeys.map((orphan) => orphan.keyArn)).toEqual([forged]);
  });

  it('never retires a tagged key', async () => {
    const old = await createAliasedKey(test.operator.kms, ALIAS);
    await sweep();
    test.clock.set(ROTATED_AT);
    expect((await sweep()).outcome).toBe('rotated');
    const forged = await forgedKey();
    test.clock.set(ROTATED_AT + 31 * DAY_MS);

    const filed = await client.file(operatorIdentity, { keyArn: forged, action: 'disable' });
    const swept = await retireSweep(client.deps, client.config);

    expect(filed.status).toBe(400);
    expect(filed.body.error.code).toBe('not-a-generation');
    expect(filed.body.error.message).toContain(`Invalid keyArn: ${forged} is not a recorded generation`);
    expect(swept.filed.map((request) => request.keyArn)).toEqual([old.Arn]);
    expect(await keyState(forged)).toBe('Enabled');
    expect(countCalls(test.cloud, 'DisableKey')).toBe(0);
    expect(countCalls(test.cloud, 'ScheduleKeyDeletion')).toBe(0);
  });

  it('rejects a rotate proof for another alias', async () => {
    const real = await createAliasedKey(test.operator.kms, ALIAS);
    await sweep();
    const requestId = client.nextRequestId();
    const identityProof = await proofFor(test.cloud, operatorIdentity, { requestId, verb: 'rotate+force', alias: 'alias/other' });

    await expect(
      handleRotateInvoke(test.cloud.rotationDeps(), client.config, { alias: ALIAS, reason: 'x', force: true, requestId, identityProof }),
    ).rejects.toMatchObject({ name: 'InvalidRequestError', message: expect.stringContaining('its alias is "alias/other", expected "alias/orders"') });
    expect(countCalls(test.cloud, 'CreateKey')).toBe(1);
    expect((await test.operator.kms.send(new DescribeKeyCommand({ KeyId: ALIAS }))).KeyMetadata?.KeyId).toBe(real.KeyId);
  });

  it('rejects a rotate proof for another request id', async () => {
    await createAliasedKey(test.operator.kms, ALIAS);
    await sweep();
    const identityProof = await proofFor(test.cloud, operatorIdentity, { requestId: 'signed-request-0001', verb: 'rollback', alias: ALIAS });

    await expect(
      handleRotateInvoke(test.cloud.rotationDeps(), client.config, { alias: ALIAS, reason: 'x', rollback: true, requestId: 'another-request-0002', identityProof }),
    ).rejects.toMatchObject({ name: 'InvalidRequestError', message: expect.stringContaining('its requestId is "signed-request-0001", expected "another-request-0002"') });
    expect(await test.cloud.rotationDeps().table.getAlias('us-east-1', ALIAS)).not.toHaveProperty('paused');
  });

  describe('on an open disable request', () => {
    let request: RetirementRequest;
    let oldKeyArn: string;

    beforeEach(async () => {
      const old = await createAliasedKey(test.operator.kms, ALIAS);
      oldKeyArn = old.Arn as string;
      await sweep();
      test.clock.set(ROTATED_AT);
      expect((await sweep()).outcome).toBe('rotated');
      test.clock.set(ROTATED_AT + 31 * DAY_MS);
      const filed = await client.file(operatorIdentity, { keyArn: oldKeyArn, action: 'disable' });
      expect(filed.status).toBe(201);
      request = filed.body.request as RetirementRequest;
    });

    async function expectUntouched(): Promise<void> {
      const after = await client.get(request.id);
      expect(after.status).toBe('open');
      expect(after.approvals).toEqual([]);
      expect(await keyState(oldKeyArn)).toBe('Enabled');
      expect(countCalls(test.cloud, 'DisableKey')).toBe(0);
    }

    it('rejects a file proof for another key', async () => {
      const requestId = client.nextRequestId();
      const identityProof = await proofFor(test.cloud, operatorIdentity, { requestId, verb: 'file-retirement:disable', keyId: `${oldKeyArn}0` });

      const response = await client.call('POST', '/requests', { keyArn: oldKeyArn, action: 'disable', reason: 'x', requestId, identityProof });

      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe('identity-proof-rejected');
      expect(response.body.error.message).toContain(`its keyId is "${oldKeyArn}0", expected "${oldKeyArn}"`);
      await expectUntouched();
    });

    it('rejects a reject proof used to approve', async () => {
      const requestId = client.nextRequestId();
      const identityProof = await proofFor(test.cloud, approverIdentity, { requestId, verb: `reject-retirement:${request.id}` });

      const response = await client.call('POST', `/requests/${request.id}/approve`, { requestId, identityProof });

      expect(response.status).toBe(403);
      expect(response.body.error.message).toContain(`its verb is "reject-retirement:${request.id}", expected "approve-retirement:${request.id}"`);
      await expectUntouched();
    });

    it('rejects an approve proof for another request id', async () => {
      const identityProof = await proofFor(test.cloud, approverIdentity, { requestId: 'signed-request-0003', verb: `approve-retirement:${request.id}` });
      const tableBefore = await scanTable(test.operator.dynamodb);

      const response = await client.call('POST', `/requests/${request.id}/approve`, { requestId: 'another-request-0004', identityProof });

      expect(response.status).toBe(403);
      expect(response.body.error.message).toContain('its requestId is "signed-request-0003", expected "another-request-0004"');
      expect(await scanTable(test.operator.dynamodb)).toBe(tableBefore);
      await expectUntouched();
    });

    it('ignores an authorizer naming an approver', async () => {
      const requestId = client.nextRequestId();
      const identityProof = await proofFor(test.cloud, foreignIdentity, { requestId, verb: `approve-retirement:${request.id}` });
      const authorizer = { iam: { accessKey: approverIdentity.accessKeyId, accountId: '111122223333', userArn: approverIdentity.arn, callerId: approverIdentity.arn } };

      const response = await client.call('POST', `/requests/${request.id}/approve`, { requestId, identityProof }, { requestContext: { http: { method: 'POST' }, authorizer } });

      expect(response.status).toBe(403);
      expect(response.body.error.message).toContain(foreignIdentity.arn);
      expect(response.body.error.message).not.toContain(approverIdentity.arn);
      await expectUntouched();
    });

    it('ignores a forged execute invoke', async () => {
      const tableBefore = await scanTable(test.operator.dynamodb);

      await client.call('GET', `/requests/${request.id}`);
      const { handleApprovalInvoke } = await import('../../src/retirement/invoke.js');
      const result = (await handleApprovalInvoke(client.deps, client.config, { execute: request.id })) as RetirementRequest;
      await client.local.settled();

      expect(result.status).toBe('open');
      expect(await scanTable(test.operator.dynamodb)).toBe(tableBefore);
      await expectUntouched();
    });
  });
});
