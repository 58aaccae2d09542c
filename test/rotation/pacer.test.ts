import { describe, expect, it } from 'vitest';
import { createKeyPacer, RequestPacer } from '../../src/rotation/pacer.js';

describe('RequestPacer', () => {
  it('spaces calls by the interval', async () => {
    let now = 1_000;
    const slept: number[] = [];
    const pacer = new RequestPacer(400, {
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });

    await pacer.wait();
    await pacer.wait();
    now += 1_000;
    await pacer.wait();
    await pacer.wait();

    expect(slept).toEqual([400, 400]);
  });

  it('derives the CreateKey interval from the quota share', () => {
    expect(createKeyPacer(0.5).intervalMs).toBe(400);
    expect(createKeyPacer(0.25).intervalMs).toBe(800);
    expect(createKeyPacer(1).intervalMs).toBe(200);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])('rejects an interval of %s ms', (intervalMs) => {
    expect(() => new RequestPacer(intervalMs)).toThrow(`Invalid pacer interval ${intervalMs} ms: it must be more than 0 and at most 2147483647; check settings.quotaShare`);
  });
});
