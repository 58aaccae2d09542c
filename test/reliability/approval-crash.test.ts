import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { LOCAL_TABLE_NAME } from '../../local/cloud.js';
import { approverIdentity, operatorIdentity } from '../../local/identities.js';
import { executeRequest } from '../../src/retirement/execute.js';
import { RetirementStore } from '../../src/retirement/store.js';
import { StateTable } from '../../src/state/state-table.js';
import { injectFault, type FaultKind } from '../support/faults.js';
import { DAY_MS, startTestCloud } from '../support/local-cloud.js';
import { ApprovalClient, retireConfig, ROTATED_AT, supersededKey } from '../retirement/support.js';

/** An execution whose run died is taken up again after 15 minutes. */
const AFTER_STALE_MS = 16 * 60_000;

interface ApprovalCrash {
  callsMade: number;
  failedCommand?: string;
  statusAfterCrash: string;
  keyStateAfterCrash: string;
  finalStatus: string;
  finalKeyState: string;
  generationState: string;
  disableCalls: number;
  deletionCalls: number;
}

/** Files a disable request, approves it with call `failAt` of the approval and its execution failing, then lets a clean run finish. */
async function crashApproval(failAt: number, kind: FaultKind): Promise<ApprovalCrash> {
  const test = await startTestCloud();
  try {
    const config = retireConfig();
    const clean = new ApprovalClient(test, config);
    const { oldKeyArn } = await supersededKey(test, config);
    test.clock.set(ROTATED_AT + 31 * DAY_MS);
    const filed = await clean.file(operatorIdentity, { keyArn: oldKeyArn, action: 'disable' });
    expect(filed.status).toBe(201);
    const id = filed.body.request.id as string;

    const tool = test.cloud.clients();
    const fault = injectFault([tool.kms, tool.dynamodb, tool.eventbridge], failAt, kind);
    const faulty = new ApprovalClient(test, config, {
      kms: tool.kms,
      eventbridge: tool.eventbridge,
      table: new StateTable(tool.dynamodb, LOCAL_TABLE_NAME),
      store: new RetirementStore(tool.dynamodb, LOCAL_TABLE_NAME),
    });
    await faulty.approve(approverIdentity, id).catch(() => undefined);
    await faulty.local.settled();
    const keyState = async () => (await test.operator.kms.send(new DescribeKeyCommand({ KeyId: oldKeyArn }))).KeyMetadata?.KeyState ?? '';
    const statusAfterCrash = (await clean.get(id)).status;
    const keyStateAfterCrash = await keyState();

    // Recovery, as the system does it: an open request is approved again by a person, an
    // executing one is taken up again once stale, and a done one is left alone.
    test.clock.advance(AFTER_STALE_MS);
    if (statusAfterCrash === 'open') await clean.approve(approverIdentity, id);
    await clean.get(id);
    await clean.local.settled();
    if ((await clean.get(id)).status === 'executing') await executeRequest(clean.deps, config, id);
    await clean.local.settled();

    const generations = await clean.deps.table.listGenerations('us-east-1', 'alias/orders');
    const succeeded = (operation: string) => test.cloud.emulator.calls().filter((call) => call.operation === operation && !call.errorCode).length;
    return {
      callsMade: fault.calls(),
      failedCommand: fault.failed(),
      statusAfterCrash,
      keyStateAfterCrash,
      finalStatus: (await clean.get(id)).status,
      finalKeyState: await keyState(),
      generationState: generations.find((generation) => generation.keyArn === oldKeyArn)?.state ?? '',
      disableCalls: succeeded('DisableKey'),
      deletionCalls: succeeded('ScheduleKeyDeletion'),
    };
  } finally {
    await test.close();
  }
}

describe('an approval that crashes at any call', () => {
  it.each(['error', 'lost-response'] as const)('acts once after a %s at every call', async (kind) => {
    let checked = 0;
    for (let failAt = 1; failAt < 60; failAt += 1) {
      const result = await crashApproval(failAt, kind);
      if (result.callsMade < failAt) break;
      checked += 1;
      const where = `${kind} at call ${failAt} (${result.failedCommand})`;

      expect(['open', 'executing', 'done'], where).toContain(result.statusAfterCrash);
      if (result.statusAfterCrash === 'open') expect(result.keyStateAfterCrash, where).toBe('Enabled');
      if (result.statusAfterCrash === 'done') expect(result.keyStateAfterCrash, where).toBe('Disabled');
      expect(result.finalStatus, where).toBe('done');
      expect(result.finalKeyState, where).toBe('Disabled');
      expect(result.generationState, where).toBe('disabled');
      expect(result.disableCalls, where).toBe(1);
      expect(result.deletionCalls, where).toBe(0);
    }
    expect(checked).toBeGreaterThan(5);
  }, 120_000);
});
