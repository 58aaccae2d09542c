import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RotationConfig } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/yaml.js';
import type { RotationDeps } from '../../src/rotation/deps.js';
import { FAN_OUT_RESERVE_MS, FANNED_OUT_MESSAGE, type FanOutEvent } from '../../src/rotation/fan-out.js';
import { handleRotateInvoke } from '../../src/rotation/handle-invoke.js';
import type { AliasOutcome } from '../../src/rotation/outcome.js';
import type { SweepResult } from '../../src/rotation/sweep.js';
import { operatorIdentity } from '../../local/identities.js';
import { createAliasedKey, countCalls, DAY_MS, START, startTestCloud, type TestCloud } from '../support/local-cloud.js';

const SCHEDULED_EVENT = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2027-04-02T00:00:00Z', detail: {} };
const DUE_MS = 91 * DAY_MS;
const SWEEP_RUN_ID = '0c9e2f7a-5d1b-4c3e-9a8f-2b7d6e5c4a31';
const ALIASES = ['alias/a', 'alias/b', 'alias/c', 'alias/d', 'alias/e'];

function config(aliases: string[], maxRotationsPerRun = 2): RotationConfig {
  const entries = aliases.map((alias) => `  - alias: ${alias}\n    regions: [us-east-1]\n    period: 90d\n`).join('');
  return parseConfig(`settings:\n  maxRotationsPerRun: ${maxRotationsPerRun}\naliases:\n${entries}`);
}

/** Returns a fan-out that records each event, with the remaining time and the failing call that the test sets. */
function recordingFanOut(options: { remainingMs?: number; failAt?: number } = {}) {
  const events: FanOutEvent[] = [];
  return {
    events,
    fanOut: {
      invoke: async (event: FanOutEvent) => {
        if (options.failAt === events.length) throw Object.assign(new Error('Rate Exceeded.'), { name: 'TooManyRequestsException' });
        events.push(event);
      },
      remainingMs: () => options.remainingMs ?? 600_000,
    },
  };
}

describe('fan-out of the due aliases a sweep may not rotate', () => {
  let test: TestCloud;

  beforeEach(async () => {
    test = await startTestCloud();
    for (const alias of ALIASES) await createAliasedKey(test.operator.kms, alias);
    test.clock.set(START + DUE_MS);
  });

  afterEach(async () => {
    await test.close();
  });

  async function sweepWith(deps: RotationDeps, aliases = ALIASES): Promise<AliasOutcome[]> {
    return ((await handleRotateInvoke(deps, config(aliases), SCHEDULED_EVENT, SWEEP_RUN_ID)) as SweepResult).aliases;
  }

  async function targetOf(alias: string): Promise<string | undefined> {
    return (await test.operator.kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.KeyId;
  }

  it('hands each alias beyond the cap over', async () => {
    const recorder = recordingFanOut();
    let paced = 0;
    const deps = { ...test.cloud.rotationDeps(), fanOut: recorder.fanOut, createKeyPacer: { wait: async () => void (paced += 1) } };

    const outcomes = await sweepWith(deps);

    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['rotated', 'rotated', 'fanned-out', 'fanned-out', 'fanned-out']);
    expect(outcomes[2]).toEqual({ alias: 'alias/c', region: 'us-east-1', outcome: 'fanned-out', currentKeyId: outcomes[2]?.currentKeyId, keyAgeDays: 91, message: FANNED_OUT_MESSAGE });
    expect(recorder.events).toEqual(['alias/c', 'alias/d', 'alias/e'].map((alias) => ({ fanOut: true, alias, sweepRunId: SWEEP_RUN_ID })));
    // Two waits for the sweep's own CreateKey calls, then one per invoke.
    expect(paced).toBe(5);
  });

  it('rotates a handed-over alias once, however often its event arrives', async () => {
    const recorder = recordingFanOut();
    await sweepWith({ ...test.cloud.rotationDeps(), fanOut: recorder.fanOut });
    const before = await targetOf('alias/c');
    const [event] = recorder.events;

    const first = (await handleRotateInvoke(test.cloud.rotationDeps(), config(ALIASES), event, 'b1f3a2c4-0000-4000-8000-000000000001')) as AliasOutcome;
    const again = (await handleRotateInvoke(test.cloud.rotationDeps(), config(ALIASES), event, 'b1f3a2c4-0000-4000-8000-000000000002')) as AliasOutcome;

    expect(first).toMatchObject({ alias: 'alias/c', outcome: 'rotated', previousKeyId: before });
    expect(await targetOf('alias/c')).toBe(first.currentKeyId);
    expect(again).toEqual({ alias: 'alias/c', region: 'us-east-1', outcome: 'not-due', currentKeyId: first.currentKeyId, keyAgeDays: 0 });
    const record = await test.cloud.rotationDeps().table.getAlias('us-east-1', 'alias/c');
    expect(record?.currentKeyId).toBe(first.currentKeyId);
  });

  it('holds a handed-over alias while the Region is paused', async () => {
    const recorder = recordingFanOut();
    await sweepWith({ ...test.cloud.rotationDeps(), fanOut: recorder.fanOut });
    await test.cloud.rotationDeps().table.setGlobalPause('us-east-1', { at: '2027-04-02T00:00:00.000Z', reason: 'incident 42', cause: 'person', by: operatorIdentity.arn });
    const creates = countCalls(test.cloud, 'CreateKey');

    const outcome = await handleRotateInvoke(test.cloud.rotationDeps(), config(ALIASES), recorder.events[0]);

    expect(outcome).toEqual({ alias: 'alias/c', region: 'us-east-1', outcome: 'paused', message: 'Every alias of us-east-1 is paused: incident 42' });
    expect(countCalls(test.cloud, 'CreateKey')).toBe(creates);
  });

  it('leaves the rest deferred when an invoke fails', async () => {
    const recorder = recordingFanOut({ failAt: 1 });

    const outcomes = await sweepWith({ ...test.cloud.rotationDeps(), fanOut: recorder.fanOut });

    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['rotated', 'rotated', 'fanned-out', 'deferred', 'deferred']);
    expect(outcomes[3]?.message).toBe('This run reached maxRotationsPerRun; the next sweep rotates the alias');
    expect(recorder.events.map((event) => event.alias)).toEqual(['alias/c']);
  });

  it('sends nothing when the run is nearly out of time', async () => {
    const recorder = recordingFanOut({ remainingMs: FAN_OUT_RESERVE_MS - 1 });

    const outcomes = await sweepWith({ ...test.cloud.rotationDeps(), fanOut: recorder.fanOut });

    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['rotated', 'rotated', 'deferred', 'deferred', 'deferred']);
    expect(recorder.events).toEqual([]);
  });

  it('stops at an invoke that does not finish in the time left', async () => {
    let calls = 0;
    const fanOut = {
      invoke: () => {
        calls += 1;
        return new Promise<void>(() => {});
      },
      remainingMs: () => FAN_OUT_RESERVE_MS + 200,
    };

    const outcomes = await sweepWith({ ...test.cloud.rotationDeps(), fanOut });

    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['rotated', 'rotated', 'deferred', 'deferred', 'deferred']);
    expect(calls).toBe(1);
  });

  it('reports a handed-over alias whose pause switch cannot be read', async () => {
    const recorder = recordingFanOut();
    await sweepWith({ ...test.cloud.rotationDeps(), fanOut: recorder.fanOut });
    const deps = test.cloud.rotationDeps();
    deps.table.getGlobalPause = async () => {
      throw Object.assign(new Error('Connection timed out'), { name: 'TimeoutError' });
    };

    const outcome = await handleRotateInvoke(deps, config(ALIASES), recorder.events[0]);

    expect(outcome).toEqual({
      alias: 'alias/c',
      region: 'us-east-1',
      outcome: 'failed',
      step: 'plan',
      message: 'Could not read the pause switch of us-east-1, so the alias was not rotated: TimeoutError: Connection timed out',
      transient: true,
    });
  });

  it('sends nothing after KMS throttled CreateKey', async () => {
    const recorder = recordingFanOut();
    test.cloud.emulator.setFaults({ rules: [{ kind: 'throttle', service: 'kms', operation: 'CreateKey', share: 1 }] });

    const outcomes = await sweepWith({ ...test.cloud.rotationDeps(), fanOut: recorder.fanOut });

    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['failed', 'deferred', 'deferred', 'deferred', 'deferred']);
    expect(recorder.events).toEqual([]);
  });

  it('defers as before without a fan-out', async () => {
    const outcomes = await sweepWith(test.cloud.rotationDeps());

    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['rotated', 'rotated', 'deferred', 'deferred', 'deferred']);
  });

  it.each([
    [{ fanOut: true, sweepRunId: SWEEP_RUN_ID }, 'Invalid fan-out request: field alias is missing'],
    [{ fanOut: true, alias: 'alias/c' }, 'Invalid fan-out request: field sweepRunId is missing'],
    [{ fanOut: true, alias: 'alias/c', sweepRunId: 'x' }, 'Invalid fan-out request: field sweepRunId must be the run id of the sweep, 8 to 64 letters, digits or hyphens'],
    [{ fanOut: 'yes', alias: 'alias/c', sweepRunId: SWEEP_RUN_ID }, 'Invalid fan-out request: field fanOut must be true'],
    [{ fanOut: true, alias: 'alias/c', sweepRunId: SWEEP_RUN_ID, force: true }, 'Invalid fan-out request: unknown field force'],
    [{ fanOut: true, alias: 'alias/c', sweepRunId: SWEEP_RUN_ID, reason: 'now' }, 'Invalid fan-out request: unknown field reason'],
    [{ fanOut: true, dryRun: true, alias: 'alias/c', sweepRunId: SWEEP_RUN_ID }, 'Invalid request: give one of rollback, pause, resume, abandonCreate, dryRun, fanOut, not dryRun and fanOut'],
    [
      { source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2027-04-02T00:00:00Z', fanOut: true, alias: 'alias/c', sweepRunId: SWEEP_RUN_ID },
      'Invalid request: a scheduled event (with source) carries no fanOut, alias, sweepRunId; send a person\'s request without source',
    ],
    [{ fanOut: true, alias: 'alias/unlisted', sweepRunId: SWEEP_RUN_ID }, 'The alias alias/unlisted is not managed in us-east-1: only aliases listed for this Region in rotation.config.yml can be rotated'],
  ])('rejects the fan-out event %j and changes nothing', async (event, message) => {
    const calls = test.cloud.emulator.calls().length;

    await expect(handleRotateInvoke(test.cloud.rotationDeps(), config(ALIASES), event)).rejects.toMatchObject({ name: 'InvalidRequestError', message });

    expect(test.cloud.emulator.calls().length).toBe(calls);
  });
});
