import { DescribeKeyCommand, DisableKeyCommand } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/yaml.js';
import { handleRotateInvoke } from '../../src/rotation/handle-invoke.js';
import type { AliasOutcome } from '../../src/rotation/outcome.js';
import type { SweepResult } from '../../src/rotation/sweep.js';
import { LOCAL_BUS_NAME, LOCAL_TABLE_NAME } from '../../local/cloud.js';
import { StateTable } from '../../src/state/state-table.js';
import { injectFault } from '../support/faults.js';
import { approverIdentity, operatorIdentity } from '../../local/identities.js';
import { createAliasedKey, DAY_MS, proofFor, START, startTestCloud, type TestCloud } from '../support/local-cloud.js';

const CONFIG = parseConfig('aliases:\n  - alias: alias/orders\n    regions: [us-east-1]\n    period: 90d\n');
const SCHEDULED_EVENT = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2027-01-01T00:00:00Z', detail: {} };

describe('requests from people', () => {
  let test: TestCloud;
  let requestCount = 0;

  beforeEach(async () => {
    test = await startTestCloud();
  });

  afterEach(async () => {
    await test.close();
  });

  function invoke(event: unknown) {
    return handleRotateInvoke(test.cloud.rotationDeps(), CONFIG, event);
  }

  async function signed(identity: typeof operatorIdentity, fields: Record<string, unknown>, verb: string) {
    requestCount += 1;
    const requestId = `request-${String(requestCount).padStart(4, '0')}`;
    const alias = typeof fields.alias === 'string' ? fields.alias : undefined;
    return { ...fields, requestId, identityProof: await proofFor(test.cloud, identity, { requestId, verb, alias }) };
  }

  async function sweepOutcome(): Promise<AliasOutcome> {
    return ((await invoke(SCHEDULED_EVENT)) as SweepResult).aliases[0] as AliasOutcome;
  }

  async function rotatedOnce(): Promise<{ oldKeyId: string; newKeyId: string }> {
    const old = await createAliasedKey(test.operator.kms, 'alias/orders');
    test.clock.set(START + 91 * DAY_MS);
    const outcome = await sweepOutcome();
    expect(outcome.outcome).toBe('rotated');
    return { oldKeyId: old.KeyId as string, newKeyId: outcome.currentKeyId as string };
  }

  it('rolls back, pauses, and resumes', async () => {
    const { oldKeyId, newKeyId } = await rotatedOnce();
    test.clock.set(START + 92 * DAY_MS);

    const rolledBack = (await invoke(await signed(operatorIdentity, { alias: 'alias/orders', reason: 'billing cannot decrypt', rollback: true }, 'rollback'))) as AliasOutcome;

    expect(rolledBack).toEqual({
      alias: 'alias/orders',
      region: 'us-east-1',
      outcome: 'rolled-back',
      previousKeyId: newKeyId,
      currentKeyId: oldKeyId,
      message: `alias/orders points at ${oldKeyId} again and is paused; resume it when the next rotation may run.`,
    });
    const target = await test.operator.kms.send(new DescribeKeyCommand({ KeyId: 'alias/orders' }));
    expect(target.KeyMetadata?.KeyId).toBe(oldKeyId);
    const rolledBackKey = await test.operator.kms.send(new DescribeKeyCommand({ KeyId: newKeyId }));
    expect(rolledBackKey.KeyMetadata?.KeyState).toBe('Enabled');
    const event = test.cloud.emulator.events().find((published) => published.eventBusName === LOCAL_BUS_NAME && published.detailType === 'Rotation Rolled Back');
    expect(event?.detail).toMatchObject({ restoredKeyId: oldKeyId, rolledBackKeyId: newKeyId, requestedBy: operatorIdentity.arn, reason: 'billing cannot decrypt', paused: true });

    const whilePaused = await sweepOutcome();
    expect(whilePaused.outcome).toBe('paused');
    expect(whilePaused.message).toBe(`Paused at 2027-04-03T00:00:00.000Z by ${operatorIdentity.arn}: billing cannot decrypt. Resume the alias to rotate it.`);

    const resumed = await invoke(await signed(approverIdentity, { alias: 'alias/orders', reason: 'billing fixed', resume: true }, 'resume'));
    expect(resumed).toEqual({ alias: 'alias/orders', region: 'us-east-1', outcome: 'resumed' });
    const afterResume = await sweepOutcome();
    expect(afterResume.outcome).toBe('rotated');
    expect(afterResume.previousKeyId).toBe(oldKeyId);
    expect(afterResume.currentKeyId).not.toBe(newKeyId);
  });

  it('rejects a rollback without a proof', async () => {
    await rotatedOnce();

    await expect(invoke({ alias: 'alias/orders', reason: 'test', rollback: true })).rejects.toMatchObject({
      name: 'InvalidRequestError',
      message: 'A rollback request must carry identityProof, a presigned sts:GetCallerIdentity request bound to this request, and requestId; the kms-rotator CLI adds both',
    });
  });

  it('rejects a proof made for another action', async () => {
    const { newKeyId } = await rotatedOnce();
    const pauseRequest = await signed(operatorIdentity, { alias: 'alias/orders', reason: 'x', pause: true }, 'pause');

    await expect(invoke({ ...pauseRequest, pause: undefined, rollback: true })).rejects.toMatchObject({ name: 'InvalidRequestError' });
    const target = await test.operator.kms.send(new DescribeKeyCommand({ KeyId: 'alias/orders' }));
    expect(target.KeyMetadata?.KeyId).toBe(newKeyId);
  });

  it('rejects a replayed request id', async () => {
    await rotatedOnce();
    const pause = await signed(operatorIdentity, { alias: 'alias/orders', reason: 'freeze', pause: true }, 'pause');
    expect(await invoke(pause)).toEqual({ alias: 'alias/orders', region: 'us-east-1', outcome: 'paused' });

    await expect(invoke(pause)).rejects.toMatchObject({
      name: 'InvalidRequestError',
      message: `The request id ${pause.requestId} was used before; an identity proof is good for one request only`,
    });
  });

  it('rejects a hand-written requestContext', async () => {
    await rotatedOnce();

    await expect(
      invoke({ alias: 'alias/orders', reason: 'x', rollback: true, requestContext: { identity: { userArn: operatorIdentity.arn } } }),
    ).rejects.toMatchObject({ name: 'InvalidRequestError', message: 'Invalid rollback request: unknown field requestContext' });
  });

  it('forces a rotation of a paused alias', async () => {
    const { newKeyId } = await rotatedOnce();
    await invoke(await signed(operatorIdentity, { reason: 'incident 9', pause: true }, 'pause'));
    test.clock.set(START + 93 * DAY_MS);

    const unforced = (await invoke({ alias: 'alias/orders', reason: 'compromise' })) as AliasOutcome;
    const forced = (await invoke(await signed(operatorIdentity, { alias: 'alias/orders', reason: 'compromise', force: true }, 'rotate+force'))) as AliasOutcome;

    expect(unforced).toEqual({
      alias: 'alias/orders',
      region: 'us-east-1',
      outcome: 'paused',
      message: 'Every alias of us-east-1 is paused: incident 9. Pass force: true to rotate anyway.',
    });
    expect(forced.outcome).toBe('rotated');
    expect(forced.previousKeyId).toBe(newKeyId);
    const generations = await test.cloud.rotationDeps().table.listGenerations('us-east-1', 'alias/orders');
    expect(generations.at(-1)?.requestedBy).toBe(operatorIdentity.arn);
  });

  it('rejects a rollback to a disabled key', async () => {
    const { oldKeyId } = await rotatedOnce();
    await test.operator.kms.send(new DisableKeyCommand({ KeyId: oldKeyId }));

    const outcome = (await invoke(await signed(operatorIdentity, { alias: 'alias/orders', reason: 'x', rollback: true }, 'rollback'))) as AliasOutcome;

    expect(outcome.outcome).toBe('rejected');
    expect(outcome.message).toBe(`The previous key ${oldKeyId} of alias/orders is Disabled; enable it before rolling back to it.`);
  });

  it('rejects a rollback with no earlier key', async () => {
    await createAliasedKey(test.operator.kms, 'alias/orders');
    await sweepOutcome();

    const outcome = (await invoke(await signed(operatorIdentity, { alias: 'alias/orders', reason: 'x', rollback: true }, 'rollback'))) as AliasOutcome;

    expect(outcome.outcome).toBe('rejected');
    expect(outcome.message).toBe('alias/orders has no previous generation to roll back to.');
  });

  it('abandons a create of unknown outcome', async () => {
    const key = await createAliasedKey(test.operator.kms, 'alias/orders');
    await sweepOutcome();
    const deps = test.cloud.rotationDeps();
    await deps.table.acquireLease('us-east-1', 'alias/orders', 'lost-run', test.clock.now().getTime(), 1);
    await deps.table.recordIntent('us-east-1', 'alias/orders', 'lost-run', {
      id: 'lost-run',
      step: 'intent',
      trigger: 'schedule',
      oldKeyId: key.KeyId as string,
      oldKeyArn: key.Arn as string,
      generation: 2,
      startedAt: test.clock.now().toISOString(),
    });
    test.clock.set(START + 91 * DAY_MS);
    expect((await sweepOutcome()).outcome).toBe('failed');

    const abandoned = (await invoke(await signed(operatorIdentity, { alias: 'alias/orders', reason: 'no key found in KMS', abandonCreate: true }, 'abandon-create'))) as AliasOutcome;

    expect(abandoned).toEqual({
      alias: 'alias/orders',
      region: 'us-east-1',
      outcome: 'abandoned',
      currentKeyId: key.KeyId,
      message: 'Abandoned the CreateKey that run lost-run called at 2027-01-01T00:00:00.000Z; the next sweep creates a successor. A key that call made is not used by kms-rotator: schedule its deletion if you found one.',
    });
    expect((await sweepOutcome()).outcome).toBe('rotated');
    const again = (await invoke(await signed(operatorIdentity, { alias: 'alias/orders', reason: 'again', abandonCreate: true }, 'abandon-create'))) as AliasOutcome;
    expect(again.outcome).toBe('rejected');
    expect(again.message).toBe('alias/orders has no CreateKey of unknown outcome to abandon.');
  });

  it('finishes a rollback that died after moving the alias', async () => {
    const { oldKeyId, newKeyId } = await rotatedOnce();
    const tool = test.cloud.clients();
    const fault = injectFault([tool.dynamodb], 6, 'error');
    const crashing = test.cloud.rotationDeps({ table: new StateTable(tool.dynamodb, LOCAL_TABLE_NAME) });

    const crashed = (await handleRotateInvoke(crashing, CONFIG, await signed(operatorIdentity, { alias: 'alias/orders', reason: 'broken', rollback: true }, 'rollback'))) as AliasOutcome;

    expect(fault.failed()).toBe('PutItemCommand');
    expect(crashed.outcome).toBe('failed');
    const target = await test.operator.kms.send(new DescribeKeyCommand({ KeyId: 'alias/orders' }));
    expect(target.KeyMetadata?.KeyId).toBe(oldKeyId);
    test.clock.set(START + 200 * DAY_MS);
    expect((await sweepOutcome()).outcome).toBe('paused');

    const finished = (await invoke(await signed(operatorIdentity, { alias: 'alias/orders', reason: 'broken', rollback: true }, 'rollback'))) as AliasOutcome;

    expect(finished.outcome).toBe('rolled-back');
    expect(finished.previousKeyId).toBe(newKeyId);
    expect(finished.currentKeyId).toBe(oldKeyId);
    const generations = await test.cloud.rotationDeps().table.listGenerations('us-east-1', 'alias/orders');
    expect(generations.map((generation) => [generation.keyId, generation.state])).toEqual([
      [oldKeyId, 'current'],
      [newKeyId, 'superseded'],
    ]);
  });
});
