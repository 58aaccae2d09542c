/**
 * The local runner behind `npm start`: starts the local cloud, creates a key and alias for each
 * configured alias the first time, then fires the rotate and retire functions on their
 * serverless.yml schedules on a virtual clock, delivers KMS activity to the audit function, has a
 * second person approve retirement requests over the signed HTTP API, and prints a timeline.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { RotationConfig } from '../src/config/load.js';
import { parseConfig, loadConfigFile } from '../src/config/yaml.js';
import { createIdentityProof } from '../src/identity/sign-proof.js';
import type { RotationDeps } from '../src/rotation/deps.js';
import { handleRotateInvoke } from '../src/rotation/handle-invoke.js';
import { VirtualClock } from './clock.js';
import { startLocalCloud, type LocalCloud } from './cloud.js';
import { DemoCustomer } from './demo-customer.js';
import { DEMO_KEY_SPECS, DEMO_SCENES, type DemoScene } from './demo-scenes.js';
import { operatorIdentity } from './identities.js';
import { lockStateFile, readRunnerState, writeRunnerState } from './runner-state.js';
import { nextFireTime, parseSchedule } from '../src/schedule.js';
import { resolveServerlessConfig, scheduleExpressions } from './serverless-config.js';
import { Timeline } from './timeline.js';
import { Agenda } from './agenda.js';
import { LocalStory } from './local-story.js';

const USAGE = `Usage: npm start -- [--days N] [--period DURATION] [--state FILE] [--config FILE]

  --days N           simulated days to run (default 365)
  --period DURATION  rotation period for every alias of the alias strategy, such as 90d or 36h (default: from the config)
  --state FILE       keep the local cloud in FILE (and FILE.dynamodb, FILE.runner.json) and carry on from it next time
  --config FILE      rotation config (default rotation.config.yml)`;

const DAY_MS = 86_400_000;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        days: { type: 'string', default: '365' },
        period: { type: 'string' },
        state: { type: 'string' },
        config: { type: 'string', default: 'rotation.config.yml' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }

  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    throw new UsageError(`--days must be a whole number from 1 to 3650; received ${JSON.stringify(values.days)}`);
  }
  const config = withPeriod(loadConfigFile(values.config), values.period, values.config);

  if (values.state && existsSync(values.state) && statSync(values.state).isDirectory()) {
    throw new UsageError(`--state must name a file, and ${values.state} is a directory`);
  }
  const unlock = values.state ? lockStateFile(values.state) : undefined;
  try {
    return await runWithState(values.state, days, config);
  } finally {
    unlock?.();
  }
}

async function runWithState(stateFile: string | undefined, days: number, config: RotationConfig): Promise<number> {
  const resolved = await resolveServerlessConfig(process.cwd());
  const schedules = {
    rotate: functionSchedules(resolved, 'rotate'),
    retire: functionSchedules(resolved, 'retire'),
  };

  const saved = stateFile ? readRunnerState(stateFile) : undefined;
  const clock = new VirtualClock(saved ? Date.parse(saved.clock) : undefined);
  const start = clock.now();
  const end = new Date(start.getTime() + days * DAY_MS);
  const cloud = await startLocalCloud({ clock, stateFile });
  const timeline = new Timeline();
  const story = await LocalStory.start(cloud, config, timeline);

  try {
    const customer = new DemoCustomer(cloud.clients(operatorIdentity).kms);
    const aliases = config.aliases.filter((entry) => entry.region === cloud.region);
    timeline.header(start, end, { rotate: schedules.rotate.map(({ expression }) => expression), retire: schedules.retire.map(({ expression }) => expression) }, aliases);

    for (const managed of aliases) {
      const created = await customer.ensureAlias(managed.alias, DEMO_KEY_SPECS[managed.alias]);
      if (created) timeline.note(clock.now(), `created ${managed.alias} on key ${created.KeyId} (${created.KeySpec})`);
    }
    const symmetric = aliases.find((managed) => DEMO_KEY_SPECS[managed.alias] === undefined);
    const sample = await customer.ensureSample(symmetric?.alias, saved?.sample);
    timeline.note(clock.now(), saved ? `kept the sample encrypted earlier through ${sample.alias} with key ${sample.keyId}` : `encrypted a sample through ${sample.alias} with key ${sample.keyId}`);
    if (!saved) await story.prepareReport(customer);
    await story.settle();

    const configured = new Set(aliases.map((managed) => managed.alias));
    const agenda = new Agenda<() => Promise<void>>();
    const rateStart = start;
    const every = (name: 'rotate' | 'retire', fire: (at: Date) => Promise<void>) => {
      const plan = (after: Date) => {
        const at = earliest(schedules[name].map(({ schedule }) => nextFireTime(schedule, after, { rateStart })));
        agenda.add(at.getTime(), async () => {
          await fire(at);
          plan(at);
        });
      };
      plan(start);
    };
    every('rotate', async (at) => {
      const result = await handleRotateInvoke(story.rotationDeps, config, scheduledEvent(at, cloud.region));
      if ('runId' in result) result.aliases.forEach((outcome) => timeline.outcome(at, outcome));
    });
    every('retire', () => story.retire());
    if (!saved) {
      for (const scene of DEMO_SCENES.filter((entry) => configured.has(String(entry.event.alias)) && entry.day < days)) {
        agenda.add(start.getTime() + scene.day * DAY_MS + 12 * 3_600_000, () => playScene(cloud, story.rotationDeps, config, scene, timeline));
      }
    }
    story.onFollowUp((delayMs, action) => agenda.add(clock.now().getTime() + delayMs, action));

    for (let due = agenda.next(end.getTime()); due; due = agenda.next(end.getTime())) {
      clock.set(due.at);
      await due.item();
      await story.settle();
    }
    clock.set(end);

    const check = await customer.checkSample(sample);
    timeline.sampleCheck(check);
    if (stateFile) writeRunnerState(stateFile, { clock: clock.now().toISOString(), sample });
    timeline.summary();
    return check.decrypted && timeline.failures === 0 ? 0 : 1;
  } finally {
    await story.close();
    await cloud.close();
  }
}

/** Invokes the rotate function as a person would: the request signed with the person's identity proof. */
async function playScene(cloud: LocalCloud, deps: RotationDeps, config: RotationConfig, scene: DemoScene, timeline: Timeline): Promise<void> {
  const requestId = randomUUID();
  const alias = typeof scene.event.alias === 'string' ? scene.event.alias : undefined;
  const identityProof = await createIdentityProof({
    credentials: { accessKeyId: scene.by.accessKeyId, secretAccessKey: scene.by.secretAccessKey },
    region: cloud.region,
    binding: { requestId, verb: scene.verb, alias },
    stsEndpoint: cloud.endpoints.kms,
  });
  const result = await handleRotateInvoke(deps, config, { ...scene.event, requestId, identityProof });
  timeline.personRequest(deps.clock.now(), scene.by.arn, scene.verb, String(scene.event.reason ?? ''), result);
}

/** The parsed schedules of one function in the resolved serverless.yml. */
function functionSchedules(resolved: unknown, functionName: string) {
  const expressions = scheduleExpressions(resolved, functionName);
  if (expressions.length === 0) throw new Error(`serverless.yml gives the ${functionName} function no schedule; add a schedule event to it`);
  return expressions.map((expression) => ({ expression, schedule: parseSchedule(expression) }));
}

/** Applies --period to every alias of the alias strategy, validated like the config file itself. */
function withPeriod(config: RotationConfig, period: string | undefined, source: string): RotationConfig {
  if (period === undefined) return config;
  const document = {
    settings: { sweepSchedule: config.sweepSchedule, maxRotationsPerRun: config.maxRotationsPerRun },
    aliases: config.aliases.map((entry) => ({
      alias: entry.alias,
      regions: [entry.region, ...entry.replicaRegions],
      period: entry.strategy === 'alias' ? period : entry.period,
      strategy: entry.strategy,
      multiRegion: entry.multiRegion,
      overlap: entry.overlapMs === undefined ? undefined : `${entry.overlapMs / 3_600_000}h`,
    })),
  };
  return parseConfig(JSON.stringify(document), `${source} with --period ${period}`);
}

function earliest(times: Date[]): Date {
  return new Date(Math.min(...times.map((time) => time.getTime())));
}

/** The event EventBridge delivers for a schedule, as the deployed function receives it. */
function scheduledEvent(time: Date, region: string) {
  return {
    version: '0',
    id: `local-${time.getTime()}`,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: operatorIdentity.accountId,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${operatorIdentity.accountId}:rule/kms-rotator-local-rotate`],
    detail: {},
  };
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name === 'Error' ? 'Error' : error.name}: ${error.message}` : String(error));
    if (error instanceof UsageError) console.error(`\n${USAGE}`);
    process.exitCode = 1;
  },
);
