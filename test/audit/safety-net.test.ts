import { CreateTrailCommand, StopLoggingCommand, type CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DecryptCommand, DescribeKeyCommand, EncryptCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorCall } from '../../local/emulator/index.js';
import { approverIdentity, operatorIdentity } from '../../local/identities.js';
import { handleAuditEvent } from '../../src/audit/process.js';
import { checkTrailsAtColdStart } from '../../src/audit/trail-check.js';
import { createAliasedKey, startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { auditRuntime, cloudTrailClient, published } from './support.js';

/**
 * Builds the EventBridge event CloudTrail would deliver for one call the emulator served.
 * NOTE: replace with the emulator's own CloudTrail delivery once it offers one.
 */
function cloudTrailEventOf(call: EmulatorCall, keyArn: string): Record<string, unknown> {
  const user = call.principalArn.split('/').at(-1) ?? 'unknown';
  return {
    version: '0',
    id: `event-of-${call.operation}`,
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.kms',
    account: call.accountId,
    time: call.time.toISOString(),
    region: call.region,
    resources: [],
    detail: {
      eventVersion: '1.11',
      userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: call.principalArn, accountId: call.accountId, userName: user },
      eventTime: call.time.toISOString(),
      eventSource: 'kms.amazonaws.com',
      eventName: call.operation,
      awsRegion: call.region,
      sourceIPAddress: '127.0.0.1',
      errorCode: call.errorCode,
      errorMessage: call.errorMessage,
      requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
      responseElements: null,
      eventID: `cloudtrail-${call.operation}-${call.time.getTime()}`,
      readOnly: true,
      resources: [{ accountId: call.accountId, type: 'AWS::KMS::Key', ARN: keyArn }],
      eventType: 'AwsApiCall',
      recipientAccountId: call.accountId,
    },
  };
}

describe('audit safety net', () => {
  let test: TestCloud;

  beforeEach(async () => {
    test = await startTestCloud();
  });

  afterEach(async () => {
    await test.close();
  });

  it('cancels a deletion when the key is used', async () => {
    const key = await createAliasedKey(test.operator.kms, 'alias/orders');
    const sample = await test.operator.kms.send(new EncryptCommand({ KeyId: 'alias/orders', Plaintext: Buffer.from('order 1') }));
    await test.operator.kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    const client = test.cloud.clients(approverIdentity);
    await expect(client.kms.send(new DecryptCommand({ CiphertextBlob: sample.CiphertextBlob }))).rejects.toThrow(`${key.Arn} is pending deletion.`);
    const decrypt = test.cloud.emulator.calls().filter((call) => call.operation === 'Decrypt').at(-1) as EmulatorCall;
    const event = cloudTrailEventOf(decrypt, key.Arn as string);
    const runtime = auditRuntime(test, { stage: 'local' });

    const outcome = await handleAuditEvent(runtime, event);

    expect(outcome.status).toBe('audited');
    expect(outcome.status === 'audited' && outcome.safetyNet).toEqual({ action: 'cancelled', marked: true });
    const described = await test.operator.kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    expect(described.KeyMetadata?.KeyState).toBe('Disabled');
    expect(await runtime.deps.marks.hasUnclearedDeletionMark(key.Arn as string)).toBe(true);
    expect((await runtime.deps.marks.listBlockedUses(key.Arn as string, '2000-01-01T00:00:00.000Z')).map((use) => [use.operation, use.reason, use.errorCode, use.principal])).toEqual([
      ['Decrypt', 'pending-deletion', 'KMSInvalidStateException', approverIdentity.arn],
    ]);
    expect(published(test, 'Key Deletion Cancelled')).toEqual([
      {
        version: 1,
        keyArn: key.Arn,
        region: 'us-east-1',
        reason: `${approverIdentity.arn} called Decrypt with the key while it was pending deletion`,
        eventId: `cloudtrail-Decrypt-${decrypt.time.getTime()}`,
        usedAt: decrypt.time.toISOString(),
        cancelledBy: 'kms-rotator audit safety net',
      },
    ]);
    const alerts = published(test, 'Audit Alert');
    expect(alerts.map((alert) => [alert.ruleId, alert.severity, alert.count, alert.safetyNet])).toEqual([
      ['pending-deletion-key-used', 'critical', 1, { action: 'cancelled', marked: true }],
    ]);
  });

  it('cancels through the emulator delivery', async () => {
    const delivered: Array<Record<string, unknown>> = [];
    const unsubscribe = test.cloud.emulator.subscribe((event) => {
      if (event.source !== 'aws.kms') return;
      delivered.push({ version: '0', id: event.id, 'detail-type': event.detailType, source: event.source, account: event.accountId, time: event.time.toISOString(), region: event.region, resources: event.resources, detail: event.detail });
    });
    const key = await createAliasedKey(test.operator.kms, 'alias/orders');
    const sample = await test.operator.kms.send(new EncryptCommand({ KeyId: 'alias/orders', Plaintext: Buffer.from('order 1') }));
    await test.operator.kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    await expect(test.cloud.clients(approverIdentity).kms.send(new DecryptCommand({ CiphertextBlob: sample.CiphertextBlob }))).rejects.toThrow('is pending deletion');
    unsubscribe();
    const runtime = auditRuntime(test, { stage: 'local' });

    const outcomes = [];
    for (const event of delivered) outcomes.push(await handleAuditEvent(runtime, event));

    const decrypt = outcomes.find((outcome) => outcome.status === 'audited' && outcome.record.operation === 'Decrypt');
    expect(decrypt?.status === 'audited' && decrypt.findings.map((finding) => finding.ruleId)).toEqual(['pending-deletion-key-used']);
    expect(decrypt?.status === 'audited' && decrypt.safetyNet?.action).toBe('cancelled');
    const described = await test.operator.kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    expect(described.KeyMetadata?.KeyState).toBe('Disabled');
    expect(await runtime.deps.marks.hasUnclearedDeletionMark(key.Arn as string)).toBe(true);
    expect(published(test, 'Key Deletion Cancelled')).toHaveLength(1);
    expect(published(test, 'Audit Alert').map((alert) => [alert.ruleId, alert.severity])).toEqual([
      ['deletion-scheduled', 'high'],
      ['pending-deletion-key-used', 'critical'],
    ]);
  });

  it('acts once on a redelivered event', async () => {
    const key = await createAliasedKey(test.operator.kms, 'alias/orders');
    const sample = await test.operator.kms.send(new EncryptCommand({ KeyId: 'alias/orders', Plaintext: Buffer.from('order 1') }));
    await test.operator.kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    await expect(test.operator.kms.send(new DecryptCommand({ CiphertextBlob: sample.CiphertextBlob }))).rejects.toThrow('is pending deletion');
    const event = cloudTrailEventOf(test.cloud.emulator.calls().filter((call) => call.operation === 'Decrypt').at(-1) as EmulatorCall, key.Arn as string);
    const runtime = auditRuntime(test, { stage: 'local' });

    await handleAuditEvent(runtime, event);
    const again = await handleAuditEvent(runtime, event);

    expect(again.status).toBe('duplicate');
    expect(published(test, 'Key Deletion Cancelled')).toHaveLength(1);
    expect(published(test, 'Audit Alert')).toHaveLength(1);
  });

  it('marks a blocked use of a disabled key', async () => {
    const runtime = auditRuntime(test, { stage: 'local' });
    const key = await createAliasedKey(test.operator.kms, 'alias/orders');
    const keyArn = key.Arn as string;
    const event = cloudTrailEventOf(
      { service: 'kms', operation: 'Encrypt', accountId: '111122223333', region: 'us-east-1', principalArn: operatorIdentity.arn, time: new Date('2027-02-01T00:00:00Z'), errorCode: 'DisabledException', errorMessage: `${keyArn} is disabled.`, request: {} },
      keyArn,
    );

    await handleAuditEvent(runtime, event);

    expect(await runtime.deps.marks.listBlockedUses(keyArn, '2027-02-01T00:00:00.000Z')).toHaveLength(1);
    expect(await runtime.deps.marks.listBlockedUses(keyArn, '2027-02-01T00:00:00.001Z')).toHaveLength(0);
    expect(await runtime.deps.marks.hasUnclearedDeletionMark(keyArn)).toBe(false);
  });

  it('clears a deletion mark once', async () => {
    const runtime = auditRuntime(test);
    const mark = { keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k', cancelledAt: '2027-01-01T00:00:00.000Z', eventId: 'e1', operation: 'Decrypt', principal: 'p' };

    expect(await runtime.deps.marks.markDeletionCancelled(mark)).toBe(true);
    expect(await runtime.deps.marks.markDeletionCancelled(mark)).toBe(false);
    expect(await runtime.deps.marks.clearDeletionMark(mark.keyArn, { by: operatorIdentity.arn, at: '2027-01-02T00:00:00.000Z', reason: 'batch job moved to the new key' })).toBe(true);
    expect(await runtime.deps.marks.hasUnclearedDeletionMark(mark.keyArn)).toBe(false);
    expect(await runtime.deps.marks.clearDeletionMark(mark.keyArn, { by: operatorIdentity.arn, at: '2027-01-03T00:00:00.000Z', reason: 'again' })).toBe(false);
  });
});

describe('trail check', () => {
  let test: TestCloud;

  beforeEach(async () => {
    test = await startTestCloud();
  });

  afterEach(async () => {
    await test.close();
  });

  /** Makes every GetTrailStatus through `cloudtrail` fail as it does for an organization trail seen from a member account. */
  const denyTrailStatus = (cloudtrail: CloudTrailClient): CloudTrailClient => {
    cloudtrail.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetTrailStatusCommand') throw Object.assign(new Error('User is not authorized to perform: cloudtrail:GetTrailStatus'), { name: 'AccessDeniedException' });
        return next(args);
      },
      { step: 'initialize', name: 'denyTrailStatus' },
    );
    return cloudtrail;
  };

  it('alerts once when no trail logs', async () => {
    // The emulator's one trail, local-trail, logs until someone stops it.
    await cloudTrailClient(test, operatorIdentity).send(new StopLoggingCommand({ Name: 'local-trail' }));

    const first = await checkTrailsAtColdStart(auditRuntime(test, { cloudtrail: cloudTrailClient(test) }));
    await checkTrailsAtColdStart(auditRuntime(test, { cloudtrail: cloudTrailClient(test) }));

    expect(first?.logging).toBe(false);
    expect(first?.trails).toEqual([{ name: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/local-trail', logging: false }]);
    expect(published(test, 'Audit Alert').map((alert) => [alert.ruleId, alert.severity, alert.summary])).toEqual([
      ['no-trail-logging', 'high', 'No CloudTrail trail is logging in us-east-1 (1 trails apply to it), so EventBridge delivers no KMS API calls and this audit sees none'],
    ]);
  });

  it('stays quiet while a trail logs', async () => {
    // A trail created through the API does not log until StartLogging; local-trail does.
    await cloudTrailClient(test, operatorIdentity).send(new CreateTrailCommand({ Name: 'stopped', S3BucketName: 'audit-logs' }));

    const result = await checkTrailsAtColdStart(auditRuntime(test, { cloudtrail: cloudTrailClient(test) }));

    expect(result?.logging).toBe(true);
    expect(result?.trails.map((trail) => trail.name)).toContain('arn:aws:cloudtrail:us-east-1:111122223333:trail/local-trail');
    expect(published(test, 'Audit Alert')).toEqual([]);
  });

  it('does not alert on an unreadable trail', async () => {
    const result = await checkTrailsAtColdStart(auditRuntime(test, { cloudtrail: denyTrailStatus(cloudTrailClient(test)) }));

    expect(result?.logging).toBe('unknown');
    expect(published(test, 'Audit Alert')).toEqual([]);
  });

  it('skips the check without a client', async () => {
    expect(await checkTrailsAtColdStart(auditRuntime(test))).toBeUndefined();
    expect(published(test, 'Audit Alert')).toEqual([]);
  });
});
