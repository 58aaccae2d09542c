import { describe, expect, it } from 'vitest';
import { addOutcomeMetrics } from '../../src/rotation/metrics.js';

function recorder() {
  const added: Array<[string, string, number]> = [];
  return { added, addMetric: (name: string, unit: string, value: number) => added.push([name, unit, value]) };
}

describe('addOutcomeMetrics', () => {
  it('counts the outcomes of a sweep', () => {
    const metrics = recorder();

    addOutcomeMetrics(metrics as never, {
      runId: 'r',
      startedAt: '2027-01-01T00:00:00.000Z',
      aliases: [
        { alias: 'alias/a', region: 'us-east-1', outcome: 'rotated' },
        { alias: 'alias/b', region: 'us-east-1', outcome: 'failed' },
        { alias: 'alias/c', region: 'us-east-1', outcome: 'not-due' },
        { alias: 'alias/d', region: 'us-east-1', outcome: 'fanned-out' },
      ],
    });

    expect(metrics.added).toEqual([
      ['AliasesChecked', 'Count', 4],
      ['AliasesRotated', 'Count', 1],
      ['AliasesFailed', 'Count', 1],
      ['AliasesBlocked', 'Count', 0],
      ['SuccessorsPublished', 'Count', 0],
      ['NativeRotationRepaired', 'Count', 0],
      ['AliasesDeferred', 'Count', 0],
      ['AliasesFannedOut', 'Count', 1],
    ]);
  });

  it('adds nothing for a pause of every alias', () => {
    const metrics = recorder();

    addOutcomeMetrics(metrics as never, { alias: '*', region: 'us-east-1', outcome: 'paused' });

    expect(metrics.added).toEqual([]);
  });
});
