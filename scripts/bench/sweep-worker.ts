/**
 * Child process of the sweep benchmark: it plays the `rotate` function and runs sweeps against the
 * emulator and dynalite that the parent serves, so that the tool's time, CPU and memory are
 * measured apart from the emulator's. The parent sends one job. After each sweep the worker sends
 * its figures and waits for `continue` or `stop`, so the parent can count the emulator's calls of
 * exactly that sweep.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { VirtualClock } from '../../local/clock.js';
import { toolIdentity } from '../../local/identities.js';
import { createClients } from '../../src/aws/clients.js';
import { loadConfigFile } from '../../src/config/yaml.js';
import { DEFAULT_LEASE_DURATION_MS, type RotationDeps } from '../../src/rotation/deps.js';
import type { FanOut } from '../../src/rotation/fan-out.js';
import { handleRotateInvoke } from '../../src/rotation/handle-invoke.js';
import { OUTCOMES, type AliasOutcome } from '../../src/rotation/outcome.js';
import { createKeyPacer } from '../../src/rotation/pacer.js';
import { sweep } from '../../src/rotation/sweep.js';
import { StateTable } from '../../src/state/state-table.js';

export interface SweepJob {
  endpoints: { kms: string; dynamodb: string; events: string };
  region: string;
  tableName: string;
  busName: string;
  configPath: string;
  /** Virtual time of the first sweep, in epoch milliseconds. */
  startMs: number;
  /** Virtual time between two sweeps: the sweep schedule's period. */
  intervalMs: number;
  /** Quota seconds per real second, as the emulator enforces them; the pacer and run time scale with it. */
  timeScale: number;
  /** Hand the due aliases beyond the cap to runs of their own, in this process, as Lambda would. */
  fanOut: boolean;
}

/** Lambda's longest run, which serverless.yml gives the rotate function. */
const LAMBDA_TIMEOUT_MS = 900_000;

export interface SweepRunFigures {
  run: number;
  wallMs: number;
  /** User plus system CPU time of this process during the sweep. */
  cpuMs: number;
  peakRssMiB: number;
  peakHeapMiB: number;
  /** Heap in use after the sweep and a full garbage collection, when --expose-gc is on. */
  retainedHeapMiB?: number;
  /** DynamoDB HTTP requests by operation, retries included. */
  dynamodbCalls: Record<string, number>;
  /** Final outcome of each alias: a fanned-out alias counts with the outcome of its own run. */
  outcomes: Record<string, number>;
  /** Aliases the sweep handed to runs of their own. */
  fannedOut: number;
}

export type WorkerMessage = { type: 'run'; figures: SweepRunFigures } | { type: 'error'; message: string };
export type ParentMessage = { type: 'job'; job: SweepJob } | { type: 'continue' } | { type: 'stop' };

/** Counts every HTTP attempt of the client by operation; the deserialize step runs once per attempt. */
function countRequests(client: DynamoDBClient, counts: Map<string, number>): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      counts.set(operation, (counts.get(operation) ?? 0) + 1);
      return next(args);
    },
    { step: 'deserialize', name: 'benchCountRequests' },
  );
}

function nextMessage(): Promise<ParentMessage> {
  return new Promise((resolve) => process.once('message', (message) => resolve(message as ParentMessage)));
}

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send?.(message, (error: Error | null) => (error ? reject(error) : resolve())));
}

async function runJob(job: SweepJob): Promise<void> {
  const config = loadConfigFile(job.configPath);
  const clock = new VirtualClock(job.startMs);
  // A quota scaled timeScale times allows as many more calls per real second, so the pacers see a
  // share that many times larger.
  const scaledShare = config.quotaShare * Math.max(job.timeScale, 1);
  const clients = createClients({
    region: job.region,
    endpoints: job.endpoints,
    credentials: { accessKeyId: toolIdentity.accessKeyId, secretAccessKey: toolIdentity.secretAccessKey },
    // As the handlers do: every KMS operation paced to its share of the quota, in scaled time.
    quotaShare: scaledShare,
  });
  const dynamodbCalls = new Map<string, number>();
  countRequests(clients.dynamodb, dynamodbCalls);
  const deps: RotationDeps = {
    ...clients,
    table: new StateTable(clients.dynamodb, job.tableName),
    busName: job.busName,
    region: job.region,
    clock,
    // The Lambda function logs at INFO; a silent logger keeps stdout clean, and the cost of
    // formatting log lines is then left out of the figures.
    logger: new Logger({ serviceName: 'kms-rotator', logLevel: 'SILENT' }),
    leaseDurationMs: DEFAULT_LEASE_DURATION_MS,
    // As handlers/rotate.ts does: CreateKey spaced to the run's share of its quota, in scaled time.
    createKeyPacer: createKeyPacer(scaledShare),
  };
  let sweepStarted = 0;
  let fanOutRuns: Array<Promise<AliasOutcome>> = [];
  const fanOut: FanOut = {
    // Each run gets a pacer of its own, as a fresh Lambda run would, and no fan-out.
    invoke: async (event) => {
      const runDeps: RotationDeps = { ...deps, createKeyPacer: createKeyPacer(scaledShare), fanOut: undefined };
      fanOutRuns.push(
        (handleRotateInvoke(runDeps, config, event, `bench-fan-out-${fanOutRuns.length + 1}`) as Promise<AliasOutcome>).catch((error: unknown) => ({
          alias: event.alias,
          region: job.region,
          outcome: OUTCOMES.failed,
          message: String(error),
        })),
      );
    },
    remainingMs: () => LAMBDA_TIMEOUT_MS - (performance.now() - sweepStarted) * job.timeScale,
  };
  if (job.fanOut) deps.fanOut = fanOut;

  for (let run = 1; ; run += 1) {
    dynamodbCalls.clear();
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    let peakRss = process.memoryUsage().rss;
    let peakHeap = process.memoryUsage().heapUsed;
    const sampler = setInterval(() => {
      const usage = process.memoryUsage();
      peakRss = Math.max(peakRss, usage.rss);
      peakHeap = Math.max(peakHeap, usage.heapUsed);
    }, 20);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    sweepStarted = started;
    fanOutRuns = [];
    const result = await sweep(deps, config, `bench-run-${run}`);
    // The sweep is done when the last run it handed an alias to is done.
    const handedOver = new Map((await Promise.all(fanOutRuns)).map((outcome) => [outcome.alias, outcome]));
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    clearInterval(sampler);
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);

    const outcomes: Record<string, number> = {};
    let fannedOut = 0;
    for (const swept of result.aliases) {
      if (swept.outcome === OUTCOMES.fannedOut) fannedOut += 1;
      const outcome = swept.outcome === OUTCOMES.fannedOut ? (handedOver.get(swept.alias) ?? swept) : swept;
      outcomes[outcome.outcome] = (outcomes[outcome.outcome] ?? 0) + 1;
    }
    let retainedHeapMiB: number | undefined;
    if (gc) {
      gc();
      retainedHeapMiB = process.memoryUsage().heapUsed / 1048576;
    }
    await send({
      type: 'run',
      figures: {
        run,
        wallMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        peakRssMiB: peakRss / 1048576,
        peakHeapMiB: peakHeap / 1048576,
        retainedHeapMiB,
        dynamodbCalls: Object.fromEntries(dynamodbCalls),
        outcomes,
        fannedOut,
      },
    });
    if ((await nextMessage()).type !== 'continue') break;
    clock.advance(job.intervalMs);
  }
  clients.kms.destroy();
  clients.kmsSingleAttempt.destroy();
  clients.dynamodb.destroy();
  clients.eventbridge.destroy();
}

const first = await nextMessage();
if (first.type === 'job') {
  await runJob(first.job).catch(async (error: unknown) => {
    await send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  });
}
process.disconnect?.();
