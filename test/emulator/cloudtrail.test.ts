import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { VirtualClock } from '../../local/clock.js';
import { startEmulator, type CloudTrailRecord, type Emulator, type PublishedEvent } from '../../local/emulator/index.js';
import { LOCAL_ACCOUNT_ID, operatorIdentity, toolIdentity, type LocalIdentity } from '../../local/identities.js';
import { DAY_MS, REGION, kmsClient, rejection } from './helpers.js';
import { signedFetch } from './signing.js';

const START = Date.UTC(2027, 0, 1);
const PLAINTEXT = 'top secret payload 4711';
const USER_AGENT = /aws-sdk-js/;

/** Sends a signed CloudTrail JSON 1.1 request; @aws-sdk/client-cloudtrail is not installed. */
async function cloudTrail(
  endpoint: string,
  operation: string,
  body: Record<string, unknown>,
  identity: LocalIdentity = operatorIdentity,
  region = REGION,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await signedFetch(endpoint, {
    identity,
    service: 'cloudtrail',
    region,
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.${operation}`,
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

interface LookupEvent {
  EventId: string;
  EventName: string;
  ReadOnly: string;
  AccessKeyId?: string;
  EventTime: number;
  EventSource: string;
  Username?: string;
  Resources: Array<{ ResourceType: string; ResourceName: string }>;
  CloudTrailEvent: string;
}

function lastRecord(emulator: Emulator, eventName: string): CloudTrailRecord {
  const record = emulator.cloudTrail().findLast((candidate) => candidate.eventName === eventName);
  if (!record) throw new Error(`No CloudTrail record of ${eventName}`);
  return record;
}

describe('CloudTrail records', () => {
  const clock = new VirtualClock(START);
  let emulator: Emulator;
  let kms: KMSClient;
  const delivered: PublishedEvent[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ clock });
    kms = kmsClient(emulator.endpoint);
    emulator.subscribe((event) => {
      delivered.push(event);
    });
  });

  afterAll(async () => {
    await emulator.close();
  });

  beforeEach(() => {
    delivered.length = 0;
  });

  it('records a successful Encrypt', async () => {
    const created = await kms.send(new CreateKeyCommand({}));
    const keyArn = created.KeyMetadata?.Arn ?? '';
    await kms.send(
      new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from(PLAINTEXT), EncryptionContext: { Department: 'Engineering' } }),
    );

    const record = lastRecord(emulator, 'Encrypt');
    const call = emulator.calls().findLast((recorded) => recorded.operation === 'Encrypt');
    expect(record).toEqual({
      eventVersion: '1.11',
      userIdentity: {
        type: 'IAMUser',
        principalId: expect.stringMatching(/^AIDA[A-Z2-7]{17}$/),
        arn: operatorIdentity.arn,
        accountId: LOCAL_ACCOUNT_ID,
        accessKeyId: operatorIdentity.accessKeyId,
        userName: 'alice',
      },
      eventTime: '2027-01-01T00:00:00Z',
      eventSource: 'kms.amazonaws.com',
      eventName: 'Encrypt',
      awsRegion: REGION,
      sourceIPAddress: '127.0.0.1',
      userAgent: expect.stringMatching(USER_AGENT),
      requestParameters: {
        keyId: keyArn,
        encryptionContext: { Department: 'Engineering' },
        encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      },
      responseElements: null,
      requestID: expect.stringMatching(/^[0-9a-f-]{36}$/),
      eventID: expect.stringMatching(/^[0-9a-f-]{36}$/),
      readOnly: true,
      resources: [{ accountId: LOCAL_ACCOUNT_ID, type: 'AWS::KMS::Key', ARN: keyArn }],
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: LOCAL_ACCOUNT_ID,
      eventCategory: 'Management',
    });
    expect(call?.errorCode).toBeUndefined();

    const json = JSON.stringify(emulator.cloudTrail());
    expect(json).not.toContain(PLAINTEXT);
    expect(json).not.toContain(Buffer.from(PLAINTEXT).toString('base64'));
    expect(json).not.toContain('CiphertextBlob');
    expect(json).not.toContain('ciphertextBlob');
  });

  it('delivers Encrypt to the default bus', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    await kms.send(new EncryptCommand({ KeyId: metadata?.KeyId, Plaintext: Buffer.from(PLAINTEXT) }));

    const event = delivered.find((candidate) => candidate.detailType === 'AWS API Call via CloudTrail' && (candidate.detail as CloudTrailRecord).eventName === 'Encrypt');
    expect(event?.source).toBe('aws.kms');
    expect(event?.eventBusName).toBe('default');
    expect(event?.accountId).toBe(LOCAL_ACCOUNT_ID);
    expect(event?.region).toBe(REGION);
    expect(event?.resources).toEqual([]);
    expect(event?.detail).toEqual(lastRecord(emulator, 'Encrypt'));
  });

  it('records a failed Decrypt on a disabled key', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    const keyArn = metadata?.Arn ?? '';
    const { CiphertextBlob: ciphertext } = await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from(PLAINTEXT) }));
    await kms.send(new DisableKeyCommand({ KeyId: keyArn }));

    const error = await rejection(kms.send(new DecryptCommand({ CiphertextBlob: ciphertext })));
    expect(error.name).toBe('DisabledException');

    const record = lastRecord(emulator, 'Decrypt');
    expect(record.errorCode).toBe('DisabledException');
    expect(record.errorMessage).toBe(`${keyArn} is disabled.`);
    expect(record.requestParameters).toEqual({ encryptionAlgorithm: 'SYMMETRIC_DEFAULT', keyId: keyArn });
    expect(record.responseElements).toBeNull();
    expect(record.readOnly).toBe(true);
    expect(record.resources).toEqual([{ accountId: LOCAL_ACCOUNT_ID, type: 'AWS::KMS::Key', ARN: keyArn }]);
    expect(JSON.stringify(record)).not.toContain(Buffer.from(ciphertext ?? new Uint8Array()).toString('base64'));

    const event = delivered.find((candidate) => (candidate.detail as CloudTrailRecord).eventName === 'Decrypt');
    expect(event?.detail).toEqual(record);
  });

  it('records ScheduleKeyDeletion', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    const keyArn = metadata?.Arn ?? '';
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: metadata?.KeyId, PendingWindowInDays: 20 }));

    const record = lastRecord(emulator, 'ScheduleKeyDeletion');
    expect(record.requestParameters).toEqual({ keyId: metadata?.KeyId, pendingWindowInDays: 20 });
    expect(record.responseElements).toEqual({
      keyId: keyArn,
      deletionDate: 'Jan 21, 2027 12:00:00 AM',
      keyState: 'PendingDeletion',
      pendingWindowInDays: 20,
    });
    expect(record.readOnly).toBe(false);
    expect(record.errorCode).toBeUndefined();
    expect(record.resources).toEqual([{ accountId: LOCAL_ACCOUNT_ID, type: 'AWS::KMS::Key', ARN: keyArn }]);
  });

  it('records but does not deliver DescribeKey', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    await kms.send(new DescribeKeyCommand({ KeyId: metadata?.KeyId }));

    const record = lastRecord(emulator, 'DescribeKey');
    expect(record.readOnly).toBe(true);
    expect(record.responseElements).toBeNull();
    expect(delivered.map((event) => (event.detail as CloudTrailRecord).eventName)).toEqual(['CreateKey']);
  });

  it('records assumed-role sessions', async () => {
    const tool = kmsClient(emulator.endpoint, toolIdentity);
    await tool.send(new CreateKeyCommand({}));

    const identity = lastRecord(emulator, 'CreateKey').userIdentity;
    expect(identity.type).toBe('AssumedRole');
    expect(identity.arn).toBe(toolIdentity.arn);
    expect(identity.principalId).toMatch(/^AROA[A-Z2-7]{17}:kms-rotator-local-us-east-1-rotate$/);
    expect(identity.sessionContext).toEqual({
      sessionIssuer: {
        type: 'Role',
        principalId: expect.stringMatching(/^AROA[A-Z2-7]{17}$/),
        arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/kms-rotator-local-us-east-1-rotate`,
        accountId: LOCAL_ACCOUNT_ID,
        userName: 'kms-rotator-local-us-east-1-rotate',
      },
      attributes: { creationDate: '2027-01-01T00:00:00Z', mfaAuthenticated: 'false' },
    });
  });

  it('records CreateAlias with the alias resource', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/trail-test', TargetKeyId: metadata?.KeyId }));

    const record = lastRecord(emulator, 'CreateAlias');
    expect(record.responseElements).toBeNull();
    expect(record.resources).toEqual([
      { accountId: LOCAL_ACCOUNT_ID, type: 'AWS::KMS::Key', ARN: metadata?.Arn },
      { accountId: LOCAL_ACCOUNT_ID, type: 'AWS::KMS::Alias', ARN: `arn:aws:kms:us-east-1:${LOCAL_ACCOUNT_ID}:alias/trail-test` },
    ]);
  });

  it('records rotations as service events', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    const keyId = metadata?.KeyId ?? '';
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));

    const record = lastRecord(emulator, 'RotateKey');
    expect(record.eventType).toBe('AwsServiceEvent');
    expect(record.userIdentity).toEqual({ accountId: LOCAL_ACCOUNT_ID, invokedBy: 'AWS Internal' });
    expect(record.serviceEventDetails).toMatchObject({ rotationType: 'ON_DEMAND', keyOrigin: 'AWS_KMS', keyId });

    const kmsEvent = delivered.find((event) => event.detailType === 'KMS CMK Rotation');
    expect(kmsEvent?.source).toBe('aws.kms');
    expect(kmsEvent?.resources).toEqual([metadata?.Arn]);
    expect(kmsEvent?.detail).toMatchObject({ 'key-id': keyId, 'key-origin': 'AWS_KMS', 'rotation-type': 'ON_DEMAND' });
    const serviceEvent = delivered.find((event) => event.detailType === 'AWS Service Event via CloudTrail');
    expect(serviceEvent?.detail).toEqual(record);
  });

  it('records automatic rotation and deletion', async () => {
    const rotating = await kms.send(new CreateKeyCommand({}));
    await kms.send(new EnableKeyRotationCommand({ KeyId: rotating.KeyMetadata?.KeyId, RotationPeriodInDays: 90 }));
    const deleted = await kms.send(new CreateKeyCommand({}));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: deleted.KeyMetadata?.KeyId, PendingWindowInDays: 7 }));
    delivered.length = 0;

    clock.advance(91 * DAY_MS);
    await kms.send(new DescribeKeyCommand({ KeyId: rotating.KeyMetadata?.KeyId }));

    const rotation = emulator.cloudTrail().find((record) => record.eventName === 'RotateKey' && record.serviceEventDetails?.rotationType === 'AUTOMATIC');
    expect(rotation?.resources?.[0]?.ARN).toBe(rotating.KeyMetadata?.Arn);
    expect(Date.parse(rotation?.eventTime ?? '')).toBeLessThan(clock.now().getTime());
    const deletion = emulator.cloudTrail().find((record) => record.eventName === 'DeleteKey' && record.serviceEventDetails?.keyId === deleted.KeyMetadata?.KeyId);
    expect(deletion?.resources?.[0]?.ARN).toBe(deleted.KeyMetadata?.Arn);
    expect(deletion?.eventTime).toBe(new Date(clock.now().getTime() - 91 * DAY_MS + 7 * DAY_MS).toISOString().replace('.000', ''));

    const detailTypes = delivered.map((event) => event.detailType);
    expect(detailTypes).toContain('KMS CMK Rotation');
    expect(detailTypes).toContain('KMS CMK Deletion');
    const deletionEvents = delivered.filter((event) => event.detailType === 'KMS CMK Deletion').map((event) => event.detail);
    expect(deletionEvents).toContainEqual({ 'key-id': deleted.KeyMetadata?.KeyId });
  });

  it('does not record unauthenticated requests', async () => {
    const before = emulator.cloudTrail().length;
    const response = await fetch(emulator.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(emulator.cloudTrail()).toHaveLength(before);
  });
});

describe('CloudTrail trails', () => {
  const clock = new VirtualClock(START);
  let emulator: Emulator;
  let kms: KMSClient;
  const delivered: PublishedEvent[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ clock, trailLogging: false });
    kms = kmsClient(emulator.endpoint);
    emulator.subscribe((event) => {
      delivered.push(event);
    });
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('delivers nothing without a trail', async () => {
    await kms.send(new CreateKeyCommand({}));
    expect(emulator.cloudTrail().some((record) => record.eventName === 'CreateKey')).toBe(true);
    expect(delivered).toEqual([]);

    const described = await cloudTrail(emulator.endpoint, 'DescribeTrails', {});
    expect(described.body).toEqual({ trailList: [] });
  });

  it('delivers once a trail logs', async () => {
    const created = await cloudTrail(emulator.endpoint, 'CreateTrail', { Name: 'audit-trail', S3BucketName: 'bucket', IsMultiRegionTrail: true });
    expect(created.status).toBe(200);
    expect(created.body.TrailARN).toBe(`arn:aws:cloudtrail:us-east-1:${LOCAL_ACCOUNT_ID}:trail/audit-trail`);

    const stopped = await cloudTrail(emulator.endpoint, 'GetTrailStatus', { Name: 'audit-trail' });
    expect(stopped.body.IsLogging).toBe(false);

    await cloudTrail(emulator.endpoint, 'StartLogging', { Name: 'audit-trail' });
    const started = await cloudTrail(emulator.endpoint, 'GetTrailStatus', { Name: 'audit-trail' });
    expect(started.body.IsLogging).toBe(true);
    expect(started.body.StartLoggingTime).toBe(START / 1000);

    await kms.send(new CreateKeyCommand({}));
    expect(delivered.map((event) => (event.detail as CloudTrailRecord).eventName)).toContain('CreateKey');

    await cloudTrail(emulator.endpoint, 'StopLogging', { Name: 'audit-trail' });
    delivered.length = 0;
    await kms.send(new CreateKeyCommand({}));
    expect(delivered).toEqual([]);
  });

  it('rejects an unknown trail', async () => {
    const response = await cloudTrail(emulator.endpoint, 'GetTrailStatus', { Name: 'missing' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      __type: 'TrailNotFoundException',
      message: `Unknown trail: arn:aws:cloudtrail:us-east-1:${LOCAL_ACCOUNT_ID}:trail/missing for the user: ${LOCAL_ACCOUNT_ID}`,
    });
  });
});

describe('CloudTrail LookupEvents', () => {
  const clock = new VirtualClock(START);
  let emulator: Emulator;
  let kms: KMSClient;
  let keyArn = '';

  async function lookup(body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
    return cloudTrail(emulator.endpoint, 'LookupEvents', body);
  }

  function events(response: { body: Record<string, unknown> }): LookupEvent[] {
    return (response.body.Events ?? []) as LookupEvent[];
  }

  beforeAll(async () => {
    emulator = await startEmulator({ clock });
    kms = kmsClient(emulator.endpoint);
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    keyArn = metadata?.Arn ?? '';
    for (let index = 0; index < 5; index += 1) {
      clock.advance(60 * 60 * 1000);
      await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from(PLAINTEXT) }));
    }
    await kms.send(new CreateKeyCommand({}));
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('filters by ResourceName, newest first', async () => {
    const response = await lookup({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: keyArn }] });
    expect(response.status).toBe(200);
    const found = events(response);
    expect(found.map((event) => event.EventName)).toEqual(['Encrypt', 'Encrypt', 'Encrypt', 'Encrypt', 'Encrypt', 'CreateKey']);
    const times = found.map((event) => event.EventTime);
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const newest = found[0];
    expect(newest).toMatchObject({
      ReadOnly: 'true',
      AccessKeyId: operatorIdentity.accessKeyId,
      EventSource: 'kms.amazonaws.com',
      Username: 'alice',
      Resources: [{ ResourceType: 'AWS::KMS::Key', ResourceName: keyArn }],
      EventTime: (START + 5 * 60 * 60 * 1000) / 1000,
    });
    const record = JSON.parse(newest?.CloudTrailEvent ?? '{}') as CloudTrailRecord;
    expect(record.eventID).toBe(newest?.EventId);
    expect(record.eventName).toBe('Encrypt');
  });

  it('filters by the other attributes', async () => {
    const byName = events(await lookup({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateKey' }] }));
    expect(byName).toHaveLength(2);
    const writes = events(await lookup({ LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }] }));
    expect(writes.every((event) => event.ReadOnly === 'false')).toBe(true);
    const byUser = events(await lookup({ LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'bob' }] }));
    expect(byUser).toEqual([]);
    const first = byName[0];
    const byId = events(await lookup({ LookupAttributes: [{ AttributeKey: 'EventId', AttributeValue: first?.EventId }] }));
    expect(byId.map((event) => event.EventId)).toEqual([first?.EventId]);
    const bySource = events(await lookup({ LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'sts.amazonaws.com' }] }));
    expect(bySource).toEqual([]);
  });

  it('limits the time range', async () => {
    const response = await lookup({
      StartTime: (START + 2 * 60 * 60 * 1000) / 1000,
      EndTime: (START + 3 * 60 * 60 * 1000) / 1000,
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'Encrypt' }],
    });
    expect(events(response).map((event) => event.EventTime)).toEqual([(START + 3 * 60 * 60 * 1000) / 1000, (START + 2 * 60 * 60 * 1000) / 1000]);
  });

  it('pages with NextToken', async () => {
    const attribute = { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: keyArn }] };
    const first = await lookup({ ...attribute, MaxResults: 4 });
    expect(events(first)).toHaveLength(4);
    expect(typeof first.body.NextToken).toBe('string');
    const second = await lookup({ ...attribute, MaxResults: 4, NextToken: first.body.NextToken });
    expect(events(second).map((event) => event.EventName)).toEqual(['Encrypt', 'CreateKey']);
    expect(second.body.NextToken).toBeUndefined();

    const mismatched = await lookup({ MaxResults: 4, NextToken: first.body.NextToken });
    expect(mismatched.body.__type).toBe('InvalidNextTokenException');
  });

  it('reaches back 90 days', async () => {
    clock.advance(91 * DAY_MS);
    const response = await lookup({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: keyArn }] });
    expect(events(response)).toEqual([]);
  });

  it('rejects invalid requests', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ StartTime: 2, EndTime: 1 }, 'InvalidTimeRangeException'],
      [{ MaxResults: 0 }, 'InvalidMaxResultsException'],
      [{ MaxResults: 51 }, 'InvalidMaxResultsException'],
      [{ NextToken: 'not-a-token' }, 'InvalidNextTokenException'],
      [{ LookupAttributes: [{ AttributeKey: 'Color', AttributeValue: 'x' }] }, 'InvalidLookupAttributesException'],
      [{ LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'yes' }] }, 'InvalidLookupAttributesException'],
      [
        {
          LookupAttributes: [
            { AttributeKey: 'EventName', AttributeValue: 'Encrypt' },
            { AttributeKey: 'Username', AttributeValue: 'alice' },
          ],
        },
        'InvalidLookupAttributesException',
      ],
    ];
    for (const [body, type] of cases) {
      const response = await lookup(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.__type, JSON.stringify(body)).toBe(type);
    }
  });
});
