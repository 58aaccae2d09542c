import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handleAuditEvent, type AuditOutcome } from '../../src/audit/process.js';
import { startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { auditConfig, auditRuntime, fixture, KEY_ARN, published } from './support.js';

const ALICE = 'arn:aws:iam::111122223333:user/Alice';
const APP = 'arn:aws:sts::111122223333:assumed-role/PaymentsApp/i-0123456789abcdef0';

function audited(outcome: AuditOutcome) {
  if (outcome.status !== 'audited') throw new Error(`expected an audited outcome, got ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('audit rules', () => {
  let test: TestCloud;

  beforeEach(async () => {
    test = await startTestCloud();
  });

  afterEach(async () => {
    await test.close();
  });

  const cases: Array<[string, string, string, string]> = [
    ['api-schedule-key-deletion.json', 'deletion-scheduled', 'high', `${ALICE} scheduled the deletion of ${KEY_ARN} (pending window 7 days)`],
    ['api-disable-key.json', 'key-disabled', 'medium', `arn:aws:sts::111122223333:federated-user/Bob disabled ${KEY_ARN}`],
    ['api-put-key-policy.json', 'key-policy-changed', 'high', `identity-center:arn:aws:identitystore::111122223333:identitystore/d-9067642ac7/544894e8-80c1-707f-60e3-3ba6510dfac1 replaced the key policy of ${KEY_ARN}`],
    ['api-update-alias.json', 'managed-alias-changed', 'high', 'SAMLUser:bdGOnTesti4+ExamplexL/jEvs=/SamlExample pointed the managed alias alias/orders at arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321'],
    ['api-delete-alias.json', 'managed-alias-changed', 'high', 'WebIdentityUser:accounts.google.com/user-id deleted the managed alias alias/orders'],
    ['api-disable-key-rotation.json', 'rotation-disabled', 'medium', `${ALICE} disabled automatic rotation of ${KEY_ARN}`],
    ['api-delete-imported-key-material.json', 'imported-material-deleted', 'high', `${ALICE} deleted the imported key material of ${KEY_ARN}`],
    ['service-delete-expired-key-material.json', 'imported-material-deleted', 'high', `KMS deleted the expired imported key material of ${KEY_ARN}; the key is unusable until material is imported again`],
    ['kms-imported-key-material-expiration.json', 'imported-material-deleted', 'high', `KMS deleted the expired imported key material of ${KEY_ARN}; the key is unusable until material is imported again`],
    ['api-import-key-material.json', 'imported-material-expiring', 'medium', `The key material ${ALICE} imported into ${KEY_ARN} expires at 2027-03-11T10:00:00.000Z, in 10 days`],
    ['api-encrypt-disabled.json', 'disabled-key-used', 'high', `${APP} called Encrypt with the disabled key ${KEY_ARN}`],
    ['api-generate-data-key-root.json', 'root-call', 'critical', 'The root user of 111122223333 called GenerateDataKey'],
    ['api-create-grant-cross-account.json', 'cross-account-grant', 'high', `${ALICE} granted arn:aws:iam::444455556666:role/PartnerReader of account 444455556666 the use of ${KEY_ARN}`],
    ['dynamodb-put-resource-policy.json', 'state-table-policy-changed', 'critical', `${ALICE} called PutResourcePolicy on the state table's resource policy (arn:aws:dynamodb:us-east-1:111122223333:table/kms-rotator-prod-state)`],
    ['api-encrypt-unknown-identity.json', 'unknown-identity-type', 'low', 'Unknown:EXAMPLE-ID called Encrypt with the userIdentity type Unknown, which this version does not know'],
  ];

  it.each(cases)('%s raises %s', async (file, ruleId, severity, summary) => {
    const outcome = audited(await handleAuditEvent(auditRuntime(test), fixture(file)));

    expect(outcome.findings).toEqual([{ ruleId, severity, summary }]);
    expect(outcome.alerts).toHaveLength(1);
    const alerts = published(test, 'Audit Alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toEqual({ version: 1, ruleId, severity, summary, count: 1, record: JSON.parse(JSON.stringify(outcome.record)), region: 'us-east-1' });
  });

  const quiet: string[] = [
    'api-decrypt.json',
    'api-schedule-key-deletion-by-tool.json',
    'api-decrypt-xks-invalid-state.json',
    'api-schedule-key-deletion-pending.json',
    'api-create-grant-same-account.json',
    'service-rotate-key.json',
    'service-delete-key.json',
    'kms-cmk-rotation.json',
    'kms-cmk-deletion.json',
    'api-decrypt-aws-service.json',
    'api-decrypt-aws-account.json',
    'api-encrypt-alias-arn.json',
    'api-encrypt-key-id-null-response.json',
    'api-list-aliases-null-parameters.json',
    'api-encrypt-access-denied.json',
  ];

  it.each(quiet)('%s raises no alert', async (file) => {
    const outcome = audited(await handleAuditEvent(auditRuntime(test), fixture(file)));

    expect(outcome.findings).toEqual([]);
    expect(published(test, 'Audit Alert')).toEqual([]);
  });

  it('records a pending-deletion Decrypt exactly', async () => {
    const runtime = auditRuntime(test, { config: auditConfig('  cancelDeletionOnUse: false\n') });
    const outcome = audited(await handleAuditEvent(runtime, fixture('api-decrypt-pending-deletion.json')));

    expect(outcome.record).toEqual({
      eventId: '00000003-1111-4a76-a8b8-616863a2b547',
      input: 'cloudtrail-event',
      eventType: 'AwsApiCall',
      time: '2027-03-01T10:00:00.000Z',
      eventSource: 'kms.amazonaws.com',
      operation: 'Decrypt',
      result: 'failure',
      error: { code: 'KMSInvalidStateException', message: `${KEY_ARN} is pending deletion.` },
      principal: {
        type: 'AssumedRole',
        knownType: true,
        arn: APP,
        accountId: '111122223333',
        id: APP,
        issuerArn: 'arn:aws:iam::111122223333:role/PaymentsApp',
      },
      account: '111122223333',
      region: 'us-east-1',
      sourceIp: '192.0.2.0',
      keyArn: KEY_ARN,
      madeByTool: false,
      readOnly: true,
    });
    expect(outcome.findings).toEqual([{ ruleId: 'pending-deletion-key-used', severity: 'critical', summary: `${APP} called Decrypt with ${KEY_ARN}, which is pending deletion` }]);
    expect(outcome.safetyNet).toEqual({ action: 'off', marked: false });
    expect(published(test, 'Key Deletion Cancelled')).toEqual([]);
  });

  it('classifies pending deletion by message under other codes', async () => {
    const runtime = auditRuntime(test, { config: auditConfig('  cancelDeletionOnUse: false\n') });
    const prefixed = audited(await handleAuditEvent(runtime, fixture('api-decrypt-pending-deletion-prefixed-code.json')));
    const replica = audited(await handleAuditEvent(runtime, fixture('api-generate-data-key-pending-replica-deletion.json')));

    expect(prefixed.findings.map((finding) => finding.ruleId)).toEqual(['pending-deletion-key-used']);
    expect(prefixed.record.error?.code).toBe('KMS.KMSInvalidStateException');
    expect(prefixed.record.awsService).toBe('dynamodb.amazonaws.com');
    expect(replica.findings.map((finding) => finding.ruleId)).toEqual(['pending-deletion-key-used']);
    expect(replica.record.alias).toBe('alias/orders');
  });

  it('leaves an unmanaged alias change alone', async () => {
    const event = fixture('api-delete-alias.json');
    event.detail.requestParameters.aliasName = 'alias/someone-elses';

    const outcome = audited(await handleAuditEvent(auditRuntime(test), event));

    expect(outcome.findings).toEqual([]);
  });

  it('honours disabled rules and severity overrides', async () => {
    const config = auditConfig('  audit:\n    rules:\n      deletion-scheduled: { enabled: false }\n      key-disabled: { severity: critical }\n');
    const runtime = auditRuntime(test, { config });

    const scheduled = audited(await handleAuditEvent(runtime, fixture('api-schedule-key-deletion.json')));
    const disabled = audited(await handleAuditEvent(runtime, fixture('api-disable-key.json')));

    expect(scheduled.findings).toEqual([]);
    expect(disabled.findings.map((finding) => finding.severity)).toEqual(['critical']);
  });

  it('rejects an unknown rule id in the settings', () => {
    expect(() => auditRuntime(test, { config: auditConfig('  audit:\n    rules:\n      deletion-sheduled: { enabled: false }\n') })).toThrow(
      /^settings\.audit\.rules names unknown rule deletion-sheduled; the rules are deletion-scheduled, key-disabled,/,
    );
  });
});
