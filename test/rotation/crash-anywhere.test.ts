import { DescribeKeyCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/yaml.js';
import { handleRotateInvoke } from '../../src/rotation/handle-invoke.js';
import type { SweepResult } from '../../src/rotation/sweep.js';
import { toolIdentity } from '../../local/identities.js';
import { injectFault, type FaultKind } from '../support/faults.js';
import { createAliasedKey, DAY_MS, START, startTestCloud } from '../support/local-cloud.js';

const CONFIG = parseConfig('aliases:\n  - alias: alias/orders\n    regions: [us-east-1]\n    period: 90d\n');
const SCHEDULED_EVENT = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2027-04-02T00:00:00Z', detail: {} };
/** A crashed run may keep its lease until it expires, after 15 minutes. */
const AFTER_LEASE_MS = 16 * 60_000;

interface CrashResult {
  callsMade: number;
  failedCommand?: string;
  aliasTarget: string;
  oldKeyId: string;
  toolCreatedKeys: number;
  keyStates: string[];
  currentGeneration?: string;
  generations: number;
  secondOutcome: string;
  secondMessage?: string;
}

/** Rotates once with call `failAt` failing, sweeps again cleanly, and reports what KMS and the table show. */
async function crashThenSweep(failAt: number, kind: FaultKind): Promise<CrashResult> {
  const test = await startTestCloud();
  try {
    const old = await createAliasedKey(test.operator.kms, 'alias/orders');
    test.clock.set(START + 91 * DAY_MS);

    const tool = test.cloud.clients();
    const fault = injectFault([tool.kms, tool.kmsSingleAttempt, tool.dynamodb, tool.eventbridge], failAt, kind);
    const faulty = test.cloud.rotationDeps({ kms: tool.kms, kmsSingleAttempt: tool.kmsSingleAttempt, eventbridge: tool.eventbridge });
    faulty.table = new (faulty.table.constructor as typeof import('../../src/state/state-table.js').StateTable)(tool.dynamodb, 'kms-rotator-local-state');
    // A run may also die outright, as a Lambda invocation does; what matters is what the next run finds.
    await handleRotateInvoke(faulty, CONFIG, SCHEDULED_EVENT).catch(() => undefined);

    test.clock.advance(AFTER_LEASE_MS);
    const second = ((await handleRotateInvoke(test.cloud.rotationDeps(), CONFIG, SCHEDULED_EVENT)) as SweepResult).aliases[0];

    const target = await test.operator.kms.send(new DescribeKeyCommand({ KeyId: 'alias/orders' }));
    const keys = (await test.operator.kms.send(new ListKeysCommand({}))).Keys ?? [];
    const keyStates: string[] = [];
    for (const key of keys) keyStates.push((await test.operator.kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState ?? '');
    const generations = await test.cloud.rotationDeps().table.listGenerations('us-east-1', 'alias/orders');
    return {
      callsMade: fault.calls(),
      failedCommand: fault.failed(),
      aliasTarget: target.KeyMetadata?.KeyId ?? '',
      oldKeyId: old.KeyId as string,
      toolCreatedKeys: test.cloud.emulator.calls().filter((call) => call.operation === 'CreateKey' && call.principalArn === toolIdentity.arn && !call.errorCode).length,
      keyStates,
      currentGeneration: generations.find((generation) => generation.state === 'current')?.keyId,
      generations: generations.length,
      secondOutcome: second?.outcome ?? '',
      secondMessage: second?.message,
    };
  } finally {
    await test.close();
  }
}

describe('a rotation that crashes at any call', () => {
  it.each(['error', 'lost-response'] as const)('converges after a %s at every call', async (kind) => {
    let checked = 0;
    for (let failAt = 1; failAt < 60; failAt += 1) {
      const result = await crashThenSweep(failAt, kind);
      if (result.callsMade < failAt) break;
      checked += 1;
      const where = `${kind} at call ${failAt}`;

      expect(result.keyStates.every((state) => state === 'Enabled'), where).toBe(true);
      expect(result.toolCreatedKeys, where).toBeLessThanOrEqual(1);
      if (result.aliasTarget === result.oldKeyId) {
        // Only a fault around CreateKey (recording the intent, the call itself, recording its answer)
        // may leave the alias where it was: whether a key exists is then unknown, so the next run
        // reports it and promotes nothing until a person resolves it.
        expect(['UpdateItemCommand', 'CreateKeyCommand'], where).toContain(result.failedCommand);
        expect(result.secondOutcome, where).toBe('failed');
        expect(result.secondMessage, where).toMatch(/called CreateKey at .* and its outcome is unknown/);
        expect(result.currentGeneration, where).toBe(result.oldKeyId);
      } else {
        expect(result.toolCreatedKeys, where).toBe(1);
        expect(result.currentGeneration, where).toBe(result.aliasTarget);
        expect(result.generations, where).toBe(2);
      }
    }
    expect(checked).toBeGreaterThan(10);
  }, 120_000);
});
