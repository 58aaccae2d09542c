import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/yaml.js';
import { handleRotateInvoke } from '../../src/rotation/handle-invoke.js';
import type { AliasOutcome } from '../../src/rotation/outcome.js';
import type { SweepResult } from '../../src/rotation/sweep.js';
import { createAliasedKey, DAY_MS, START, startTestCloud, type TestCloud } from '../support/local-cloud.js';

const CONFIG = parseConfig('aliases:\n  - alias: alias/orders\n    regions: [us-east-1]\n    period: 90d\n');
const SCHEDULED_EVENT = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2027-04-02T00:00:00Z', detail: {} };

type Trigger = 'schedule' | 'manual' | 'cli';

/**
 * The event each trigger sends: the EventBridge schedule, a person's direct invoke, and the CLI,
 * which sends the same direct invoke from another process (here in-process, with its own deps).
 */
function eventOf(trigger: Trigger, index: number): unknown {
  if (trigger === 'schedule') return SCHEDULED_EVENT;
  return { alias: 'alias/orders', reason: `${trigger} rotation ${index}` };
}

describe('concurrent rotations of one alias', () => {
  let test: TestCloud;

  beforeEach(async () => {
    test = await startTestCloud();
  });

  afterEach(async () => {
    await test.close();
  });

  const mixes: Trigger[][] = [
    ['schedule', 'schedule'],
    ['schedule', 'manual'],
    ['manual', 'cli', 'schedule', 'manual'],
    ['schedule', 'manual', 'cli', 'schedule', 'manual', 'cli', 'schedule', 'manual'],
    ['manual', 'manual', 'manual', 'manual', 'manual', 'manual', 'manual', 'manual'],
  ];

  it.each(mixes.map((mix) => [mix.length, mix.join(', '), mix] as const))('rotates once among %i runs (%s)', async (_count, _names, mix) => {
    const old = await createAliasedKey(test.operator.kms, 'alias/orders');
    test.clock.set(START + 91 * DAY_MS);

    const results = await Promise.all(mix.map((trigger, index) => handleRotateInvoke(test.cloud.rotationDeps(), CONFIG, eventOf(trigger, index))));
    const outcomes = results.map((result) => ('aliases' in result ? ((result as SweepResult).aliases[0] as AliasOutcome) : (result as AliasOutcome)));

    const rotated = outcomes.filter((outcome) => outcome.outcome === 'rotated');
    expect(rotated, JSON.stringify(outcomes)).toHaveLength(1);
    for (const outcome of outcomes.filter((entry) => entry.outcome !== 'rotated')) {
      expect(['busy', 'not-due', 'rejected'], JSON.stringify(outcome)).toContain(outcome.outcome);
    }
    const creates = test.cloud.emulator.calls().filter((call) => call.operation === 'CreateKey' && !call.errorCode);
    expect(creates).toHaveLength(2);
    const target = await test.operator.kms.send(new DescribeKeyCommand({ KeyId: 'alias/orders' }));
    expect(target.KeyMetadata?.KeyId).toBe(rotated[0]?.currentKeyId);
    expect(rotated[0]?.previousKeyId).toBe(old.KeyId);
    const generations = await test.cloud.rotationDeps().table.listGenerations('us-east-1', 'alias/orders');
    expect(generations.map((generation) => generation.state)).toEqual(['superseded', 'current']);
  });
});
