import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ReplicateKeyCommand,
  type KeyMetadata,
} from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClients, destroyClients } from '../../src/aws/clients.js';
import type { AuditMarks } from '../../src/retirement/deps.js';
import type { RetirementRequest } from '../../src/retirement/request.js';
import { handleRotateInvoke } from '../../src/rotation/handle-invoke.js';
import type { SweepResult } from '../../src/rotation/sweep.js';
import { approverIdentity, operatorIdentity } from '../../local/identities.js';
import { DAY_MS, START, startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { ALIAS, ApprovalClient, disabledKey, publishedDetail, retireConfig, ROTATED_AT, SCHEDULED_EVENT, supersededKey } from './support.js';

describe('checks before retiring', () => {
  let test: TestCloud;

  beforeEach(async () => {
    test = await startTestCloud();
  });

  afterEach(async () => {
    await test.close();
  });

  /** Files a disable request at day 31 after the rotation, approves it, and returns the request once its run ended. */
  async function approvedDisable(client: ApprovalClient, oldKeyArn: string): Promise<RetirementRequest> {
    test.clock.set(ROTATED_AT + 31 * DAY_MS);
    const filed = await client.file(operatorIdentity, { keyArn: oldKeyArn, action: 'disable' });
    expect(filed.status).toBe(201);
    expect((await client.approve(approverIdentity, filed.body.request.id)).status).toBe(202);
    await client.local.settled();
    return client.get(filed.body.request.id);
  }

  it('refuses a key an alias targets', async () => {
    const client = new ApprovalClient(test, retireConfig());
    const { oldKeyArn, oldKeyId } = await supersededKey(test, client.config);
    await test.operator.kms.send(new CreateAliasCommand({ AliasName: 'alias/legacy-billing', TargetKeyId: oldKeyId }));

    const request = await approvedDisable(client, oldKeyArn);

    expect(request.status).toBe('refused');
    expect(request.decision).toMatchObject({
      check: 'alias-target',
      message: `alias/legacy-billing targets ${oldKeyArn} in us-east-1; point it elsewhere before retiring the key`,
      evidence: [{ alias: 'alias/legacy-billing', region: 'us-east-1' }],
    });
    expect((await test.operator.kms.send(new DescribeKeyCommand({ KeyId: oldKeyArn }))).KeyMetadata?.KeyState).toBe('Enabled');
    expect(publishedDetail(test, 'Retirement Refused')).toMatchObject({ requestId: request.id, check: 'alias-target' });
  });

  it('refuses a key with a foreign grant', async () => {
    const client = new ApprovalClient(test, retireConfig());
    const { oldKeyArn } = await supersededKey(test, client.config);
    const grant = await test.operator.kms.send(
      new CreateGrantCommand({ KeyId: oldKeyArn, GranteePrincipal: 'arn:aws:iam::111122223333:role/billing', Operations: ['Decrypt'] }),
    );

    const request = await approvedDisable(client, oldKeyArn);

    expect(request.status).toBe('refused');
    expect(request.decision).toMatchObject({
      check: 'foreign-grant',
      evidence: [{ grantId: grant.GrantId, granteePrincipal: 'arn:aws:iam::111122223333:role/billing', operations: ['Decrypt'] }],
    });
  });

  it('refuses a key used in the quiet period', async () => {
    const client = new ApprovalClient(test, retireConfig());
    const { oldKeyArn } = await supersededKey(test, client.config);
    test.clock.set(ROTATED_AT + 20 * DAY_MS);
    await test.operator.kms.send(new EncryptCommand({ KeyId: oldKeyArn, Plaintext: new TextEncoder().encode('late invoice') }));

    const request = await approvedDisable(client, oldKeyArn);

    expect(request.status).toBe('refused');
    expect(request.decision?.check).toBe('quiet-period');
    expect(request.decision?.message).toBe(
      `${oldKeyArn} in us-east-1 was used within the quiet period of 30d: last use Encrypt by ${operatorIdentity.arn} at 2027-04-22T00:00:00.000Z`,
    );
    expect(request.decision?.evidence?.[0]).toMatchObject({ principal: operatorIdentity.arn, operation: 'Encrypt', time: '2027-04-22T00:00:00.000Z' });
    expect((await test.operator.kms.send(new DescribeKeyCommand({ KeyId: oldKeyArn }))).KeyMetadata?.KeyState).toBe('Enabled');
  });

  it('refuses deletion after a blocked use', async () => {
    const client = new ApprovalClient(test, retireConfig(['allowDeletion: true']));
    const { oldKeyArn } = await supersededKey(test, client.config);
    await disabledKey(client, oldKeyArn);
    test.clock.set(ROTATED_AT + 40 * DAY_MS);
    await expect(test.operator.kms.send(new EncryptCommand({ KeyId: oldKeyArn, Plaintext: new TextEncoder().encode('x') }))).rejects.toMatchObject({ name: 'DisabledException' });
    test.clock.set(ROTATED_AT + 80 * DAY_MS);

    const filed = await client.file(operatorIdentity, { keyArn: oldKeyArn, action: 'delete' });
    expect(filed.status).toBe(201);
    await client.approve(approverIdentity, filed.body.request.id);
    await client.local.settled();
    const request = await client.get(filed.body.request.id);

    expect(request.status).toBe('refused');
    expect(request.decision?.check).toBe('blocked-use');
    expect(request.decision?.message).toBe(
      `1 call(s) failed on ${oldKeyArn} in us-east-1 because it is disabled, since 2027-05-03T00:00:00.000Z; the latest: Encrypt failed with DisabledException by ${operatorIdentity.arn} at 2027-05-12T00:00:00.000Z. Something still needs the key`,
    );
    expect((await test.operator.kms.send(new DescribeKeyCommand({ KeyId: oldKeyArn }))).KeyMetadata?.KeyState).toBe('Disabled');
  });

  it('refuses deletion on an audit mark', async () => {
    const marks: AuditMarks = {
      listBlockedUses: async (keyArn) => [{ keyArn, principal: 'arn:aws:iam::111122223333:role/billing', operation: 'Decrypt', time: '2027-05-20T00:00:00.000Z', errorCode: 'DisabledException', id: 'event-1' }],
      hasUnclearedDeletionMark: async () => false,
    };
    const client = new ApprovalClient(test, retireConfig(['allowDeletion: true']), { marks });
    const { oldKeyArn } = await supersededKey(test, client.config);
    await disabledKey(client, oldKeyArn);
    test.clock.set(ROTATED_AT + 80 * DAY_MS);

    const filed = await client.file(operatorIdentity, { keyArn: oldKeyArn, action: 'delete' });
    await client.approve(approverIdentity, filed.body.request.id);
    await client.local.settled();
    const request = await client.get(filed.body.request.id);

    expect(request.status).toBe('refused');
    expect(request.decision?.check).toBe('blocked-use');
    expect(request.decision?.evidence).toEqual([
      { principal: 'arn:aws:iam::111122223333:role/billing', operation: 'Decrypt', time: '2027-05-20T00:00:00.000Z', errorCode: 'DisabledException', eventId: 'event-1', source: 'audit' },
    ]);
  });

  it('schedules deletion after the disabled time', async () => {
    const client = new ApprovalClient(test, retireConfig(['allowDeletion: true', 'pendingWindow: 14d']));
    const { oldKeyArn } = await supersededKey(test, client.config);
    await disabledKey(client, oldKeyArn);
    test.clock.set(ROTATED_AT + 50 * DAY_MS);
    const early = await client.file(operatorIdentity, { keyArn: oldKeyArn, action: 'delete' });
    await client.approve(approverIdentity, early.body.request.id);
    await client.local.settled();
    expect((await client.get(early.body.request.id)).decision?.check).toBe('disabled-long-enough');

    test.clock.set(ROTATED_AT + 62 * DAY_MS);
    const filed = await client.file(operatorIdentity, { keyArn: oldKeyArn, action: 'delete' });
    expect(filed.body.request.pendingWindowInDays).toBe(14);
    await client.approve(approverIdentity, filed.body.request.id);
    await client.local.settled();
    const request = await client.get(filed.body.request.id);

    expect(request.status).toBe('done');
    expect(request.result).toEqual({ keyStates: { 'us-east-1': 'PendingDeletion' }, order: [oldKeyArn], deletionDate: '2027-06-17T00:00:00.000Z' });
    const generation = (await client.deps.table.listGenerations('us-east-1', ALIAS))[0];
    expect(generation).toMatchObject({ state: 'pending-deletion', deletionScheduledAt: '2027-06-03T00:00:00.000Z', deletionDate: '2027-06-17T00:00:00.000Z' });
    expect(publishedDetail(test, 'Key Deletion Scheduled')).toMatchObject({ requestId: request.id, deletionDate: '2027-06-17T00:00:00.000Z' });
  });

  it('rejects deletion the alias does not allow', async () => {
    const client = new ApprovalClient(test, retireConfig());
    const { oldKeyArn } = await supersededKey(test, client.config);
    await disabledKey(client, oldKeyArn);
    test.clock.set(ROTATED_AT + 62 * DAY_MS);

    const response = await client.file(operatorIdentity, { keyArn: oldKeyArn, action: 'delete' });

    expect(response.status).toBe(400);
    expect(response.body.error).toEqual({
      code: 'deletion-not-allowed',
      message: 'Invalid action: alias/orders does not allow deletion (retire.allowDeletion is false in rotation.config.yml).',
    });
  });

  it('refuses deletion once the alias stops allowing it', async () => {
    const allowing = new ApprovalClient(test, retireConfig(['allowDeletion: true']));
    const { oldKeyArn } = await supersededKey(test, allowing.config);
    await disabledKey(allowing, oldKeyArn);
    test.clock.set(ROTATED_AT + 62 * DAY_MS);
    const filed = await allowing.file(operatorIdentity, { keyArn: oldKeyArn, action: 'delete' });
    const forbidding = new ApprovalClient(test, retireConfig());

    await forbidding.approve(approverIdentity, filed.body.request.id);
    await forbidding.local.settled();
    const request = await forbidding.get(filed.body.request.id);

    expect(request.status).toBe('refused');
    expect(request.decision?.check).toBe('deletion-allowed');
  });

  it('rejects an asymmetric encryption key without withdrawal', async () => {
    const client = new ApprovalClient(test, retireConfig(['allowDeletion: true'], undefined, ['regions: [us-east-1]', 'overlap: 0h']));
    const { oldKeyArn } = await supersededKey(test, client.config, { KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
    await disabledKey(client, oldKeyArn);
    test.clock.set(ROTATED_AT + 62 * DAY_MS);

    const response = await client.file(operatorIdentity, { keyArn: oldKeyArn, action: 'delete' });

    expect(response.status).toBe(400);
    expect(response.body.error).toEqual({
      code: 'public-key-not-withdrawn',
      message: `Invalid action: ${oldKeyArn} is an asymmetric encryption key (RSA_2048) and alias/orders does not set retire.publicKeyWithdrawn; its public key may still encrypt outside KMS.`,
    });
  });

  it('rejects a pending window outside 7 to 30', async () => {
    const client = new ApprovalClient(test, retireConfig(['allowDeletion: true']));
    const { oldKeyArn } = await supersededKey(test, client.config);
    await disabledKey(client, oldKeyArn);
    test.clock.set(ROTATED_AT + 62 * DAY_MS);

    const tooShort = await client.file(operatorIdentity, { keyArn: oldKeyArn, action: 'delete', pendingWindowInDays: 6 });
    const tooLong = await client.file(operatorIdentity, { keyArn: oldKeyArn, action: 'delete', pendingWindowInDays: 31 });

    expect(tooShort.status).toBe(400);
    expect(tooShort.body.error).toEqual({
      code: 'invalid-input',
      message: 'Invalid pendingWindowInDays: 6 must be a whole number of days from 7 to 30, as KMS allows.',
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toBe('Invalid pendingWindowInDays: 31 must be a whole number of days from 7 to 30, as KMS allows.');
  });
});

describe('multi-Region retirement', () => {
  let test: TestCloud;

  beforeEach(async () => {
    test = await startTestCloud();
  });

  afterEach(async () => {
    await test.close();
  });

  it('retires replicas before the primary', async () => {
    const replicaOperator = createClients({
      region: 'eu-west-1',
      endpoints: test.cloud.endpoints,
      credentials: { accessKeyId: operatorIdentity.accessKeyId, secretAccessKey: operatorIdentity.secretAccessKey },
    });
    try {
      const config = retireConfig(['allowDeletion: true', 'pendingWindow: 7d'], undefined, ['regions: [us-east-1, eu-west-1]', 'multiRegion: true']);
      const client = new ApprovalClient(test, config);
      const primary = (await test.operator.kms.send(new CreateKeyCommand({ MultiRegion: true }))).KeyMetadata as KeyMetadata;
      await test.operator.kms.send(new CreateAliasCommand({ AliasName: ALIAS, TargetKeyId: primary.KeyId }));
      const replica = (await test.operator.kms.send(new ReplicateKeyCommand({ KeyId: primary.KeyId, ReplicaRegion: 'eu-west-1' }))).ReplicaKeyMetadata as KeyMetadata;
      await replicaOperator.kms.send(new CreateAliasCommand({ AliasName: ALIAS, TargetKeyId: replica.KeyId }));
      await handleRotateInvoke(test.cloud.rotationDeps(), config, SCHEDULED_EVENT);
      test.clock.set(START + 91 * DAY_MS);
      expect(((await handleRotateInvoke(test.cloud.rotationDeps(), config, SCHEDULED_EVENT)) as SweepResult).aliases[0]?.outcome).toBe('rotated');

      const disabled = await disabledKey(client, primary.Arn as string);
      test.clock.set(ROTATED_AT + 62 * DAY_MS);
      const filed = await client.file(operatorIdentity, { keyArn: primary.Arn as string, action: 'delete' });
      await client.approve(approverIdentity, filed.body.request.id);
      await client.local.settled();
      const deleted = await client.get(filed.body.request.id);

      expect(disabled.result).toEqual({ keyStates: { 'eu-west-1': 'Disabled', 'us-east-1': 'Disabled' }, order: [replica.Arn, primary.Arn] });
      expect(deleted.status).toBe('done');
      expect(deleted.result?.order).toEqual([replica.Arn, primary.Arn]);
      expect(deleted.result?.keyStates).toEqual({ 'eu-west-1': 'PendingDeletion', 'us-east-1': 'PendingReplicaDeletion' });
      const calls = test.cloud.emulator.calls().filter((call) => call.operation === 'DisableKey' || call.operation === 'ScheduleKeyDeletion');
      expect(calls.map((call) => `${call.operation} ${call.region}`)).toEqual([
        'DisableKey eu-west-1',
        'DisableKey us-east-1',
        'ScheduleKeyDeletion eu-west-1',
        'ScheduleKeyDeletion us-east-1',
      ]);
      const generation = (await client.deps.table.listGenerations('us-east-1', ALIAS))[0];
      expect(generation?.state).toBe('pending-replica-deletion');
    } finally {
      destroyClients(replicaOperator);
    }
  });
});
