import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jitterMs, MAX_JITTER_MS } from '../../src/rotation/plan.js';

const DAY_MS = 86_400_000;

/** Computes the jitter as defined: the first 4 bytes of SHA-256("<region>\n<alias>") as a share of the largest jitter. */
function expectedJitter(region: string, alias: string, periodMs: number): number {
  const fraction = createHash('sha256').update(`${region}\n${alias}`).digest().readUInt32BE(0) / 2 ** 32;
  return Math.floor(fraction * Math.min(periodMs * 0.1, MAX_JITTER_MS));
}

describe('jitterMs', () => {
  it('hashes the Region and alias name', () => {
    const managed = { alias: 'alias/orders', region: 'us-east-1', periodMs: 90 * DAY_MS };

    expect(jitterMs(managed)).toBe(expectedJitter('us-east-1', 'alias/orders', 90 * DAY_MS));
    // Pinned, so that a change of formula shows: it would move every alias's due time.
    expect(jitterMs(managed)).toBe(22_262_353);
  });

  it('caps at 10% of a short period', () => {
    const managed = { alias: 'alias/orders', region: 'us-east-1', periodMs: 2 * DAY_MS };

    expect(jitterMs(managed)).toBe(expectedJitter('us-east-1', 'alias/orders', 2 * DAY_MS));
    expect(jitterMs(managed)).toBeLessThan(0.1 * 2 * DAY_MS);
  });

  it('follows a changed object', () => {
    const managed = { alias: 'alias/orders', region: 'us-east-1', periodMs: 90 * DAY_MS };
    const before = jitterMs(managed);

    managed.alias = 'alias/payments';
    expect(jitterMs(managed)).toBe(expectedJitter('us-east-1', 'alias/payments', 90 * DAY_MS));
    managed.region = 'eu-west-1';
    expect(jitterMs(managed)).toBe(expectedJitter('eu-west-1', 'alias/payments', 90 * DAY_MS));
    managed.periodMs = 30 * DAY_MS;
    expect(jitterMs(managed)).toBe(expectedJitter('eu-west-1', 'alias/payments', 30 * DAY_MS));
    expect(jitterMs({ alias: 'alias/orders', region: 'us-east-1', periodMs: 90 * DAY_MS })).toBe(before);
  });
});
