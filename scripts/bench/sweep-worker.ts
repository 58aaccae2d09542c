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
import { loadConfigFile } from '../../src/config/load.js';
import { DEFAULT_LEASE_DURATION_MS, type RotationDeps } from '../../src/rotation/deps.js';
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
}

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
  outcomes: Record<string, number>;
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
  const clients = createClients({
    region: job.region,
    endpoints: job.endpoints,
    credentials: { accessKeyId: toolIdentity.accessKeyId, secretAccessKey: toolIdentity.secretAccessKey },
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
    // As handlers/rotate.ts does: CreateKey spaced to the run's share of its quota, in real time.
    createKeyPacer: createKeyPacer(config.quotaShare),
  };

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
    const result = await sweep(deps, config, `bench-run-${run}`);
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    clearInterval(sampler);
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);

    const outcomes: Record<string, number> = {};
    for (const outcome of result.aliases) outcomes[outcome.outcome] = (outcomes[outcome.outcome] ?? 0) + 1;
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
