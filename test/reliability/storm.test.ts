import { describe, expect, it } from 'vitest';
import { randomSeed } from '../../local/emulator/faults/index.js';
import { runStorm } from './storm.js';

const SEED = Number(process.env.RELIABILITY_SEED ?? randomSeed());

describe('throttling storm', () => {
  it('rotates or reports 40 aliases at half throttled', async () => {
    console.log(`throttling storm seed ${SEED}; replay with RELIABILITY_SEED=${SEED}`);
    const report = await runStorm({ aliases: 40, throttleShare: 0.5, seed: SEED, maxAttempts: 5, backoffDivisor: 100, maxSweeps: 4 });

    expect(report.violations, `seed ${SEED}`).toEqual([]);
    expect(report.unfinished, `seed ${SEED}`).toEqual([]);
    expect(report.rotated + report.lostCreates, `seed ${SEED}`).toBe(40);
    expect(report.rotatedDuringStorm, `seed ${SEED}`).toBeGreaterThan(0);
    expect(report.sdkRetries, `seed ${SEED}`).toBeGreaterThan(0);
    expect(report.throttledKms, `seed ${SEED}`).toBeGreaterThan(0);
    expect(report.throttledDynamoDb, `seed ${SEED}`).toBeGreaterThan(0);
  }, 60_000);
});
