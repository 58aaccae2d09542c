/**
 * Sweep scenarios: N managed aliases on symmetric keys, already adopted (an alias item that
 * records the current key), either none due or all due. The emulator and dynalite run in this
 * process and the tool in a child process (sweep-worker.ts), so that key generation, request
 * parsing and signature checks on the server side stay out of the tool's CPU and memory figures.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteItemCommand, type BatchWriteItemCommandOutput, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand } from '@aws-sdk/client-eventbridge';
import { CreateAliasCommand, CreateKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { VirtualClock } from '../../local/clock.js';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { LOCAL_REGION, operatorIdentity } from '../../local/identities.js';
import { ensureStateTable, startDynalite } from '../../local/state-table.js';
import { createClients, destroyClients } from '../../src/aws/clients.js';
import { toAttributeMap } from '../../src/state/attributes.js';
import { sharedLimits } from './quotas.js';
import type { ParentMessage, SweepJob, SweepRunFigures, WorkerMessage } from './sweep-worker.js';

const DAY_MS = 86_400_000;
const START_MS = Date.UTC(2027, 0, 1);
const TABLE_NAME = 'kms-rotator-bench-state';
const BUS_NAME = 'kms-rotator-bench';
const PERIOD_DAYS = 90;
/** Requests in flight while the aliases are created; setup only, not measured. */
const SETUP_CONCURRENCY = 16;

export interface SweepScenario {
  name: string;
  aliases: number;
  due: boolean;
  /** Sweeps to run; a due scenario stops earlier once no alias is deferred or failed. */
  maxRuns: number;
  maxRotationsPerRun: number;
  quotaShare: number;
  /** Hand due aliases beyond maxRotationsPerRun to runs of their own (the rotate function's fan-out). */
  fanOut: boolean;
  /**
   * Quota seconds per real second while the sweeps run; 0 turns quota enforcement off. The
   * emulator enforces each KMS quota times quotaShare, as if the account's other workloads used
   * the rest.
   */
  timeScale: number;
}

export interface SweepRunResult extends SweepRunFigures {
  /** Emulator requests by operation: KMS operations by name, others as `service:Operation`. */
  emulatorCalls: Record<string, number>;
  /** Requests the emulator rejected with ThrottlingException, when quotas are enforced. */
  throttled: number;
  /** CPU time of this process (emulator and dynalite) during the sweep. */
  serverCpuMs: number;
}

export interface SweepScenarioResult {
  scenario: SweepScenario;
  setupSeconds: number;
  runs: SweepRunResult[];
}

async function inBatches<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

function aliasName(index: number): string {
  return `alias/bench-${String(index).padStart(5, '0')}`;
}

/** Creates one symmetric key and an alias on it per managed alias; returns the key id of each alias. */
async function createAliases(kms: KMSClient, count: number): Promise<Map<string, { keyId: string; keyArn: string }>> {
  const keys = new Map<string, { keyId: string; keyArn: string }>();
  const indexes = Array.from({ length: count }, (_, index) => index);
  await inBatches(indexes, SETUP_CONCURRENCY, async (index) => {
    const alias = aliasName(index);
    const created = await kms.send(new CreateKeyCommand({ Description: `bench key behind ${alias}` }));
    const keyId = created.KeyMetadata?.KeyId as string;
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    keys.set(alias, { keyId, keyArn: created.KeyMetadata?.Arn as string });
  });
  return keys;
}

/**
 * Writes the alias item an earlier adoption or promotion would have left, with the key promoted
 * `ageDays` ago. The layout is the state table's (`ALIAS#<region>#<alias>`, sort key `ALIAS`).
 */
async function seedAliasItems(clients: ReturnType<typeof createClients>, keys: Map<string, { keyId: string; keyArn: string }>, ageDays: number): Promise<void> {
  const promotedAt = new Date(START_MS - ageDays * DAY_MS).toISOString();
  const requests: WriteRequest[] = [...keys].map(([alias, key]) => ({
    PutRequest: {
      Item: toAttributeMap({
        pk: `ALIAS#${LOCAL_REGION}#${alias}`,
        sk: 'ALIAS',
        alias,
        region: LOCAL_REGION,
        currentKeyId: key.keyId,
        currentKeyArn: key.keyArn,
        promotedAt,
        generation: 1,
      }),
    },
  }));
  const batches: WriteRequest[][] = [];
  for (let start = 0; start < requests.length; start += 25) batches.push(requests.slice(start, start + 25));
  await inBatches(batches, 4, async (batch) => {
    let pending: WriteRequest[] | undefined = batch;
    for (let attempt = 0; pending && pending.length > 0 && attempt < 10; attempt += 1) {
      const output: BatchWriteItemCommandOutput = await clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [TABLE_NAME]: pending } }));
      pending = output.UnprocessedItems?.[TABLE_NAME];
    }
    if (pending && pending.length > 0) throw new Error(`dynalite left ${pending.length} alias items unwritten after 10 attempts`);
  });
}

function writeConfig(directory: string, scenario: SweepScenario): string {
  const lines = [
    'settings:',
    '  sweepSchedule: rate(1 hour)',
    `  maxRotationsPerRun: ${scenario.maxRotationsPerRun}`,
    `  quotaShare: ${scenario.quotaShare}`,
    'aliases:',
  ];
  for (let index = 0; index < scenario.aliases; index += 1) {
    lines.push(`  - alias: ${aliasName(index)}`, `    regions: [${LOCAL_REGION}]`, `    period: ${PERIOD_DAYS}d`);
  }
  const path = join(directory, 'rotation.config.yml');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function countCalls(emulator: Emulator, from: number): { counts: Record<string, number>; throttled: number; total: number } {
  const calls = emulator.calls();
  const counts: Record<string, number> = {};
  let throttled = 0;
  for (const call of calls.slice(from)) {
    const name = call.service === 'kms' ? call.operation : `${call.service}:${call.operation}`;
    counts[name] = (counts[name] ?? 0) + 1;
    if (call.errorCode === 'ThrottlingException') throttled += 1;
  }
  return { counts, throttled, total: calls.length };
}

function workerMessage(child: ChildProcess): Promise<WorkerMessage> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the sweep worker exited with code ${code} before sending its figures`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as WorkerMessage);
    });
  });
}

/** Runs one scenario on a fresh emulator and dynalite, so no other scenario's aliases are listed. */
export async function runSweepScenario(scenario: SweepScenario): Promise<SweepScenarioResult> {
  const directory = mkdtempSync(join(tmpdir(), 'kms-rotator-bench-sweep-'));
  const clock = new VirtualClock(START_MS);
  const emulator = await startEmulator({ clock, trailLogging: false });
  const dynamodb = await startDynalite();
  const endpoints = { kms: emulator.endpoint, dynamodb: dynamodb.endpoint, events: emulator.endpoint };
  const operator = createClients({
    region: LOCAL_REGION,
    endpoints,
    credentials: { accessKeyId: operatorIdentity.accessKeyId, secretAccessKey: operatorIdentity.secretAccessKey },
  });
  let child: ChildProcess | undefined;
  try {
    const setupStarted = performance.now();
    await ensureStateTable(operator.dynamodb, TABLE_NAME);
    await operator.eventbridge.send(new CreateEventBusCommand({ Name: BUS_NAME }));
    const keys = await createAliases(operator.kms, scenario.aliases);
    // Not due: promoted 10 days ago. Due: promoted longer ago than the period plus its largest jitter.
    await seedAliasItems(operator, keys, scenario.due ? PERIOD_DAYS * 1.2 : 10);
    const configPath = writeConfig(directory, scenario);
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    // Setup runs without quotas; only the tool's calls are throttled.
    if (scenario.timeScale > 0) emulator.setFaults({ quotas: { timeScale: scenario.timeScale, limits: sharedLimits(scenario.quotaShare) } });

    child = fork(new URL('./sweep-worker.ts', import.meta.url), [], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const job: SweepJob = { endpoints, region: LOCAL_REGION, tableName: TABLE_NAME, busName: BUS_NAME, configPath, startMs: START_MS, intervalMs: 3_600_000, timeScale: scenario.timeScale, fanOut: scenario.fanOut };
    let callsSeen = countCalls(emulator, 0).total;
    let serverCpu = process.cpuUsage();
    child.send({ type: 'job', job } satisfies ParentMessage);
    const runs: SweepRunResult[] = [];
    for (let run = 1; run <= scenario.maxRuns; run += 1) {
      const message = await workerMessage(child);
      if (message.type === 'error') throw new Error(`the sweep worker failed: ${message.message}`);
      const cpu = process.cpuUsage(serverCpu);
      const calls = countCalls(emulator, callsSeen);
      callsSeen = calls.total;
      runs.push({ ...message.figures, emulatorCalls: calls.counts, throttled: calls.throttled, serverCpuMs: (cpu.user + cpu.system) / 1000 });
      // Done when no alias is left to rotate: none deferred by the cap, none failed (and retried next sweep).
      const done = scenario.due && !message.figures.outcomes.deferred && !message.figures.outcomes.failed;
      const more = run < scenario.maxRuns && !done;
      serverCpu = process.cpuUsage();
      child.send({ type: more ? 'continue' : 'stop' } satisfies ParentMessage);
      if (!more) break;
    }
    return { scenario, setupSeconds, runs };
  } finally {
    if (child && child.exitCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          child?.kill();
          resolve();
        }, 10_000);
        child?.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    destroyClients(operator);
    await Promise.all([emulator.close(), dynamodb.close()]);
    rmSync(directory, { recursive: true, force: true });
  }
}
