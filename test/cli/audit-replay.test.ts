import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { operatorIdentity } from '../../local/identities.js';
import { runCli } from './run-cli.js';

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** A CloudTrail record of one KMS call by the IAM user alice. */
function record(eventName: string, id: string, requestParameters: Record<string, unknown>, responseElements: Record<string, unknown> | null = null) {
  return {
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: operatorIdentity.arn, accountId: '111122223333', accessKeyId: 'AKIAEXAMPLE', userName: 'alice' },
    eventTime: '2027-01-01T09:00:00Z',
    eventSource: 'kms.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: '192.0.2.10',
    userAgent: 'aws-cli/2',
    requestParameters,
    responseElements,
    requestID: `request-${id}`,
    eventID: `event-${id}`,
    readOnly: false,
    resources: [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: KEY_ARN }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
  };
}

let folder: string;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'kms-rotator-replay-'));
  mkdirSync(join(folder, '2027', '01'), { recursive: true });
  const deletion = record('ScheduleKeyDeletion', '1', { keyId: KEY_ARN, pendingWindowInDays: 7 }, { keyId: KEY_ARN, deletionDate: 'Jan 8, 2027, 9:00:00 AM', keyState: 'PendingDeletion', pendingWindowInDays: 7 });
  const disable = record('DisableKey', '2', { keyId: KEY_ARN });
  writeFileSync(join(folder, '2027', '01', 'a.json'), JSON.stringify({ Records: [deletion, disable] }));
  writeFileSync(join(folder, '2027', '01', 'b.json.gz'), gzipSync(JSON.stringify({ Records: [record('DisableKey', '3', { keyId: KEY_ARN })] })));
  writeFileSync(join(folder, 'notes.txt'), 'not a log file');
});

describe('kms-rotator audit replay', () => {
  it('sums alerts by rule', async () => {
    const [table, json] = await Promise.all([runCli(['audit', 'replay', folder], operatorIdentity), runCli(['audit', 'replay', folder, '--json'], operatorIdentity)]);

    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout).toBe(
      ['Replayed 3 records from 2 files: 3 audited, 0 ignored, 0 invalid; 3 alerts.', '', 'rule                severity  alerts', 'key-disabled        medium    2', 'deletion-scheduled  high      1', ''].join('\n'),
    );
    expect(JSON.parse(json.stdout)).toEqual({
      files: 2,
      records: 3,
      audited: 3,
      invalid: 0,
      ignored: 0,
      alerts: 3,
      byRule: [
        { ruleId: 'key-disabled', severity: 'medium', alerts: 2 },
        { ruleId: 'deletion-scheduled', severity: 'high', alerts: 1 },
      ],
    });
  }, 30_000);

  it('rejects a missing path and a non-log file', async () => {
    const [missing, notLog] = await Promise.all([
      runCli(['audit', 'replay', join(folder, 'absent')], operatorIdentity),
      runCli(['audit', 'replay', join(folder, 'notes.txt')], operatorIdentity),
    ]);

    expect(missing).toEqual({ code: 2, stdout: '', stderr: `Error: Cannot read ${join(folder, 'absent')}: no such file or folder\n` });
    expect(notLog).toEqual({ code: 2, stdout: '', stderr: `Error: ${join(folder, 'notes.txt')} is not a CloudTrail log file: expected a name ending in .json or .json.gz\n` });
  }, 30_000);
});
