import { CancelKeyDeletionCommand, EnableKeyCommand } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { retireSweep } from '../../src/retirement/sweep.js';
import { approverIdentity } from '../../local/identities.js';
import { DAY_MS, startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { ALIAS, ApprovalClient, publishedTypes, retireConfig, ROTATED_AT, supersededKey } from './support.js';

describe('retire sweep', () => {
  let test: TestCloud;

  beforeEach(async () => {
    test = await startTestCloud();
  });

  afterEach(async () => {
    await test.close();
  });

  it('files disable after the grace period, once', async () => {
    const client = new ApprovalClient(test, retireConfig(['graceBeforeDisable: 10d']));
    const { oldKeyArn } = await supersededKey(test, client.config);
    test.clock.set(ROTATED_AT + 9 * DAY_MS);
    expect((await retireSweep(client.deps, client.config)).filed).toEqual([]);

    test.clock.set(ROTATED_AT + 10 * DAY_MS);
    const first = await retireSweep(client.deps, client.config);
    const second = await retireSweep(client.deps, client.config);

    expect(first.filed).toEqual([{ requestId: first.filed[0]?.requestId, keyArn: oldKeyArn, alias: ALIAS, action: 'disable' }]);
    expect(second.filed).toEqual([]);
    const open = await client.deps.store.list('us-east-1', 'open');
    expect(open.map((request) => [request.keyArn, request.requestedBy])).toEqual([[oldKeyArn, 'kms-rotator']]);
    expect(countDisableKey(test)).toBe(0);
  });

  it('reminds, then expires', async () => {
    const client = new ApprovalClient(test, retireConfig(['graceBeforeDisable: 10d']));
    await supersededKey(test, client.config);
    test.clock.set(ROTATED_AT + 10 * DAY_MS);
    const filed = (await retireSweep(client.deps, client.config)).filed[0]?.requestId as string;

    test.clock.advance(47 * 3_600_000);
    expect((await retireSweep(client.deps, client.config)).reminded).toEqual([]);
    test.clock.advance(3_600_000);
    expect((await retireSweep(client.deps, client.config)).reminded).toEqual([filed]);
    expect((await retireSweep(client.deps, client.config)).reminded).toEqual([]);
    test.clock.advance(24 * 3_600_000);
    const expiring = await retireSweep(client.deps, client.config);

    expect(expiring.expired).toEqual([filed]);
    expect((await client.get(filed)).status).toBe('expired');
    expect(publishedTypes(test).filter((type) => type.startsWith('Retirement'))).toEqual(['Retirement Requested', 'Retirement Reminder', 'Retirement Expired', 'Retirement Requested']);
  });

  it('files deletion only where allowed', async () => {
    const config = retireConfig(['graceBeforeDisable: 10d', 'disabledBeforeDeletion: 20d', 'allowDeletion: true']);
    const client = new ApprovalClient(test, config);
    const { oldKeyArn } = await supersededKey(test, config);
    test.clock.set(ROTATED_AT + 31 * DAY_MS);
    const disable = (await retireSweep(client.deps, config)).filed[0]?.requestId as string;
    await client.approve(approverIdentity, disable);
    await client.local.settled();

    test.clock.set(ROTATED_AT + 50 * DAY_MS);
    expect((await retireSweep(client.deps, config)).filed).toEqual([]);
    expect((await retireSweep(client.deps, retireConfig(['disabledBeforeDeletion: 20d']))).filed).toEqual([]);
    test.clock.set(ROTATED_AT + 51 * DAY_MS);
    const deletion = await retireSweep(client.deps, config);

    expect(deletion.filed).toEqual([{ requestId: deletion.filed[0]?.requestId, keyArn: oldKeyArn, alias: ALIAS, action: 'delete' }]);
    expect((await client.get(deletion.filed[0]?.requestId as string)).pendingWindowInDays).toBe(30);
  });

  it('withdraws a re-enabled key', async () => {
    const config = retireConfig(['graceBeforeDisable: 10d']);
    const client = new ApprovalClient(test, config);
    const { oldKeyArn } = await supersededKey(test, config);
    test.clock.set(ROTATED_AT + 31 * DAY_MS);
    const disable = (await retireSweep(client.deps, config)).filed[0]?.requestId as string;
    await client.approve(approverIdentity, disable);
    await client.local.settled();
    await test.operator.kms.send(new EnableKeyCommand({ KeyId: oldKeyArn }));

    const sweep = await retireSweep(client.deps, config);

    expect(sweep.withdrawn).toEqual([disable]);
    expect(sweep.filed).toEqual([]);
    expect((await client.get(disable)).status).toBe('withdrawn');
    const generation = (await client.deps.table.listGenerations('us-east-1', ALIAS))[0];
    expect(generation?.state).toBe('superseded');
    expect(generation?.retirementWithdrawnAt).toBe('2027-05-03T00:00:00.000Z');
    expect(publishedTypes(test)).toContain('Retirement Withdrawn');
  });

  it('withdraws a cancelled deletion', async () => {
    const config = retireConfig(['graceBeforeDisable: 10d', 'disabledBeforeDeletion: 20d', 'allowDeletion: true']);
    const client = new ApprovalClient(test, config);
    const { oldKeyArn } = await supersededKey(test, config);
    test.clock.set(ROTATED_AT + 31 * DAY_MS);
    await client.approve(approverIdentity, (await retireSweep(client.deps, config)).filed[0]?.requestId as string);
    await client.local.settled();
    test.clock.set(ROTATED_AT + 51 * DAY_MS);
    const deletion = (await retireSweep(client.deps, config)).filed[0]?.requestId as string;
    await client.approve(approverIdentity, deletion);
    await client.local.settled();
    expect((await client.get(deletion)).status).toBe('done');
    await test.operator.kms.send(new CancelKeyDeletionCommand({ KeyId: oldKeyArn }));

    const sweep = await retireSweep(client.deps, config);

    expect(sweep.withdrawn).toEqual([deletion]);
    expect(sweep.filed).toEqual([]);
    const generation = (await client.deps.table.listGenerations('us-east-1', ALIAS))[0];
    expect(generation?.state).toBe('disabled');
  });
});

function countDisableKey(test: TestCloud): number {
  return test.cloud.emulator.calls().filter((call) => call.operation === 'DisableKey').length;
}
