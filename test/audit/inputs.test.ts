import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handleAuditBatch, handleAuditEvent } from '../../src/audit/process.js';
import { toolRoleMatcher, toPrincipal } from '../../src/audit/principal.js';
import { toAuditRecord } from '../../src/audit/record.js';
import { parseAuditInput } from '../../src/audit/schemas.js';
import { startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { auditConfig, auditRuntime, fixture, KEY_ARN, published } from './support.js';

const SAMPLES = readdirSync(new URL('../../events/audit/', import.meta.url)).filter((name) => name.endsWith('.json') && name !== 'cloudtrail-log-file.json');

describe('audit inputs', () => {
  it.each(SAMPLES)('accepts the sample %s', (name) => {
    const parsed = parseAuditInput(fixture(name));

    expect('rejected' in parsed ? parsed.reason : 'accepted').toBe('accepted');
  });

  it('accepts a raw CloudTrail record', () => {
    const parsed = parseAuditInput(fixture('cloudtrail-log-file.json').Records[0]);

    expect('shape' in parsed && parsed.shape).toBe('cloudtrail-file-record');
  });

  it.each([
    ['a string', 'x', 'value "x": Invalid input: expected record, received string'],
    ['an array', [1], 'value [1]: Invalid input: expected record, received array'],
    ['a number', 5, 'value 5: Invalid input: expected record, received number'],
  ])('rejects requestParameters that are %s', (_name, requestParameters, problem) => {
    const record = { ...fixture('cloudtrail-log-file.json').Records[0], requestParameters };

    expect(parseAuditInput(record)).toEqual({ rejected: 'invalid', reason: `invalid CloudTrail record: field requestParameters: ${problem}` });
  });

  it('keeps requestParameters as they are, unknown keys included', () => {
    const requestParameters = { keyId: 'alias/demo-payments', notInAnyDocs: { nested: [1, 2] } };
    const parsed = parseAuditInput({ ...fixture('cloudtrail-log-file.json').Records[0], requestParameters });

    expect('record' in parsed).toBe(true);
    expect((parsed as { record: { requestParameters?: unknown } }).record.requestParameters).toEqual(requestParameters);
  });

  it.each([
    ['2027-03-01T10:00:00Z', '2027-03-01T10:00:00.000Z'],
    ['2027-03-01T10:00:00.123Z', '2027-03-01T10:00:00.123Z'],
    ['2027-03-01T12:00:00+02:00', '2027-03-01T10:00:00.000Z'],
  ])('converts the event time %s to %s', (eventTime, time) => {
    const parsed = parseAuditInput({ ...fixture('cloudtrail-log-file.json').Records[0], eventTime });
    if ('rejected' in parsed) throw new Error(parsed.reason);

    expect(toAuditRecord(parsed, toolRoleMatcher('prod')).time).toBe(time);
  });

  it.each([
    ['api-decrypt.json', 'IAMUser', true, 'arn:aws:iam::111122223333:user/Alice'],
    ['api-decrypt-pending-deletion.json', 'AssumedRole', true, 'arn:aws:sts::111122223333:assumed-role/PaymentsApp/i-0123456789abcdef0'],
    ['api-disable-key.json', 'FederatedUser', true, 'arn:aws:sts::111122223333:federated-user/Bob'],
    ['api-generate-data-key-root.json', 'Root', true, 'arn:aws:iam::111122223333:root'],
    ['api-decrypt-aws-service.json', 'AWSService', true, 'service:dynamodb.amazonaws.com'],
    ['api-decrypt-aws-account.json', 'AWSAccount', true, 'account:444455556666/AIDAEXAMPLEPARTNER'],
    ['api-put-key-policy.json', 'IdentityCenterUser', true, 'identity-center:arn:aws:identitystore::111122223333:identitystore/d-9067642ac7/544894e8-80c1-707f-60e3-3ba6510dfac1'],
    ['api-update-alias.json', 'SAMLUser', true, 'SAMLUser:bdGOnTesti4+ExamplexL/jEvs=/SamlExample'],
    ['api-delete-alias.json', 'WebIdentityUser', true, 'WebIdentityUser:accounts.google.com/user-id'],
    ['api-encrypt-unknown-identity.json', 'Unknown', false, 'Unknown:EXAMPLE-ID'],
    ['service-rotate-key.json', 'none', true, 'service:AWS Internal'],
  ])('maps the identity of %s', (name, type, knownType, id) => {
    const principal = toPrincipal(fixture(name).detail.userIdentity, '111122223333');

    expect(principal.type).toBe(type);
    expect(principal.knownType).toBe(knownType);
    expect(principal.id).toBe(id);
  });

  it('keeps a type not yet documented and flags it', () => {
    const principal = toPrincipal({ type: 'AgentIdentity', principalId: 'AGENT1', accountId: '111122223333' }, '111122223333');

    expect(principal).toEqual({ type: 'AgentIdentity', knownType: false, accountId: '111122223333', id: 'AgentIdentity:AGENT1' });
  });

  it('recognises the tool in any Region of its stage only', () => {
    const isTool = toolRoleMatcher('prod');
    const session = (role: string, account = '111122223333') =>
      toPrincipal({ type: 'AssumedRole', accountId: account, arn: `arn:aws:sts::${account}:assumed-role/${role}/session` }, account);

    expect(isTool(session('kms-rotator-prod-ap-southeast-2-rotate'), '111122223333')).toBe(true);
    expect(isTool(session('kms-rotator-dev-us-east-1-rotate'), '111122223333')).toBe(false);
    expect(isTool(session('kms-rotator-prod-us-east-1-rotate', '444455556666'), '111122223333')).toBe(false);
    expect(isTool(session('kms-rotator-prod-rotate'), '111122223333')).toBe(false);
  });

  it.each([
    ['api-encrypt-alias-arn.json', KEY_ARN, 'alias/orders'],
    ['api-generate-data-key-pending-replica-deletion.json', KEY_ARN, 'alias/orders'],
    ['api-encrypt-key-id-null-response.json', KEY_ARN, undefined],
    ['api-list-aliases-null-parameters.json', undefined, undefined],
    ['kms-cmk-rotation.json', KEY_ARN, undefined],
  ])('resolves the key of %s', (name, keyArn, alias) => {
    const parsed = parseAuditInput(fixture(name));
    if ('rejected' in parsed) throw new Error(parsed.reason);

    const record = toAuditRecord(parsed, () => false);

    expect(record.keyArn).toBe(keyArn);
    expect(record.alias).toBe(alias);
  });
});

describe('audit function on invalid and repeated events', () => {
  let test: TestCloud;

  beforeEach(async () => {
    test = await startTestCloud();
  });

  afterEach(async () => {
    await test.close();
  });

  it('rejects a malformed event with its fields named', async () => {
    const runtime = auditRuntime(test);

    const outcome = await handleAuditEvent(runtime, fixture('invalid/decrypt-missing-event-id.json'));

    expect(outcome).toEqual({
      status: 'invalid',
      reason:
        'invalid AWS API Call via CloudTrail event: field detail.eventTime: value 12345: Invalid input: expected string, received number; field detail.eventID: missing: Invalid input: expected string, received undefined',
    });
    expect(published(test, 'Audit Alert')).toEqual([]);
  });

  it('rejects a service event without a key id', async () => {
    const outcome = await handleAuditEvent(auditRuntime(test), fixture('invalid/kms-cmk-rotation-without-key.json'));

    expect(outcome).toEqual({ status: 'invalid', reason: 'invalid KMS CMK Rotation event: field detail.key-id: missing: Invalid input: expected string, received undefined' });
  });

  it('skips a non-KMS event with its reason', async () => {
    const outcome = await handleAuditEvent(auditRuntime(test), fixture('invalid/non-kms-ec2.json'));

    expect(outcome).toEqual({ status: 'ignored', reason: 'ec2.amazonaws.com DescribeInstances is not KMS activity' });
  });

  it('counts rejections and logs each reason once', async () => {
    const runtime = auditRuntime(test);

    const outcomes = await handleAuditBatch(runtime, [null, fixture('invalid/non-kms-ec2.json'), null, fixture('api-disable-key.json')]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['invalid', 'ignored', 'invalid', 'audited']);
    expect(runtime.rejections.counts).toEqual({ invalid: 2, ignored: 1 });
    expect(runtime.rejections.note('invalid', 'expected a JSON object, received null')).toBe(false);
  });

  it.each([
    ['kms-cmk-deletion.json', 'e9ce3425-7d22-412a-a699-e7a5fc3fbc9a', 0],
    ['kms-cmk-rotation.json', '6a7e8feb-b491-4cf7-a9f1-bf3703467718', 0],
    ['kms-imported-key-material-expiration.json', '9da9af57-9253-4406-87cb-7cc400e43465', 1],
    ['service-delete-expired-key-material.json', fixture('service-delete-expired-key-material.json').detail.eventID as string, 1],
  ])('handles a duplicate %s once', async (name, eventId, alertCount) => {
    const runtime = auditRuntime(test);

    const first = await handleAuditEvent(runtime, fixture(name));
    const second = await handleAuditEvent(runtime, fixture(name));

    expect(first.status).toBe('audited');
    expect(second).toEqual({ status: 'duplicate', eventId });
    expect(published(test, 'Audit Alert')).toHaveLength(alertCount);
  });

  it('folds repeated alerts into one with a count', async () => {
    const runtime = auditRuntime(test, { config: auditConfig('  audit:\n    repeatWindow: 5m\n    rules:\n      access-denied-burst: { threshold: 2, window: 10m }\n') });
    const denied = (index: number, time: string) => {
      const event = fixture('api-encrypt-access-denied.json');
      event.detail.eventID = `denied-${index}`;
      event.detail.eventTime = time;
      return event;
    };

    const outcomes = [];
    for (const [index, time] of ['2027-03-01T10:00:00Z', '2027-03-01T10:01:00Z', '2027-03-01T10:02:00Z', '2027-03-01T10:03:00Z', '2027-03-01T10:07:00Z'].entries()) {
      outcomes.push(await handleAuditEvent(runtime, denied(index, time)));
    }

    const alerts = published(test, 'Audit Alert');
    expect(outcomes.map((outcome) => (outcome.status === 'audited' ? outcome.findings.length : -1))).toEqual([0, 1, 1, 1, 1]);
    expect(alerts.map((alert) => [alert.ruleId, alert.count, alert.record.eventId])).toEqual([
      ['access-denied-burst', 1, 'denied-1'],
      ['access-denied-burst', 3, 'denied-4'],
    ]);
    expect(alerts[1]?.summary).toBe(
      'arn:aws:sts::111122223333:assumed-role/PaymentsApp/i-0123456789abcdef0 was denied 5 KMS calls within 10 minutes (threshold 2); the latest was Encrypt',
    );
  });
});

describe('key of a failed ReEncrypt', () => {
  it('is the key the error names, not the first resource', () => {
    const event = JSON.parse(readFileSync('events/audit/api-reencrypt-destination-pending-deletion.json', 'utf8')) as unknown;
    const parsed = parseAuditInput(event);
    if ('rejected' in parsed) throw new Error(`rejected: ${parsed.reason}`);

    const record = toAuditRecord(parsed, () => false);

    expect(record.keyArn).toBe('arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321');
  });
});
