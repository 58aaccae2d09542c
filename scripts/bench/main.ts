/**
 * `npm run bench`: sweeps against the emulator and dynalite with the KMS quotas enforced at the
 * tool's share, audit throughput and replay, and bundle sizes and cold starts. Prints the tables
 * and writes them to docs/benchmarks.md with the machine and the date.
 */
import { cpus, totalmem, type as osType, release } from 'node:os';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureAuditStages, measureReplay, writeCloudTrailFile, type ReplayResult } from './audit.js';
import { measureBundle, type BundleResult } from './bundles.js';
import { budgetBound } from './quotas.js';
import { runSweepScenario, type SweepRunResult, type SweepScenarioResult } from './sweep.js';

const USAGE = `Usage: npm run bench -- [options]

Options:
  --quick         small sizes for a smoke test: 100 and 1,000 aliases, 20,000 replay records,
                  3 cold-start samples; writes nothing unless --output is given
  --records N     records in the large CloudTrail replay file (default 1000000)
  --output FILE   where to write the report (default docs/benchmarks.md; "-" writes nothing)
  --help          print this text`;

const QUOTA_SHARE = 0.5;
const MAX_ROTATIONS_PER_RUN = 20;
/**
 * Quota seconds per real second in the due scenarios. At 1, the 1,000 CreateKey calls of 1,000
 * due aliases take 400 s. The emulator's quotas, the tool's pacer and the Lambda time left all
 * scale by it, and the fanned-out runs share one process, so its CPU must keep up.
 */
const DUE_TIME_SCALE = 4;
const SWEEP_TARGET = 1.2;
const BUNDLE_TARGET = 1.3;
const REPLAY_TARGET = 0.5;

/** Heading of the hand-written notes in the report, which a new run keeps as they are. */
const NOTES_HEADING = '## Reading the figures';

const sections: string[] = [];
function emit(markdown: string): void {
  sections.push(markdown);
  console.log(markdown);
}

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const lines = [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.map(String).join(' | ')} |`);
  return lines.join('\n');
}

const number = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const seconds = (ms: number) => `${number(ms / 1000, 2)} s`;
const callList = (calls: Record<string, number>) =>
  Object.entries(calls)
    .sort((a, b) => b[1] - a[1])
    .map(([operation, count]) => `${operation} ${number(count)}`)
    .join(', ');
const total = (calls: Record<string, number>) => Object.values(calls).reduce((sum, count) => sum + count, 0);
const kmsOnly = (calls: Record<string, number>) => Object.fromEntries(Object.entries(calls).filter(([operation]) => !operation.includes(':')));
const verdict = (ratio: number, target: number, lowerIsBetter = true) => ((lowerIsBetter ? ratio <= target : ratio >= target) ? 'met' : 'missed');

function sumCalls(runs: SweepRunResult[], pick: (run: SweepRunResult) => Record<string, number>): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const run of runs) for (const [operation, count] of Object.entries(pick(run))) sum[operation] = (sum[operation] ?? 0) + count;
  return sum;
}

function sweepRows(result: SweepScenarioResult, run: SweepRunResult, label: string): Array<string | number> {
  const aliases = result.scenario.aliases;
  // Quotas scaled `timeScale` times allow as many more calls per real second.
  const bound = budgetBound(kmsOnly(run.emulatorCalls), QUOTA_SHARE * Math.max(result.scenario.timeScale, 1));
  const ratio = run.wallMs / 1000 / Math.max(bound.seconds, 1e-9);
  return [
    `${number(aliases)} ${result.scenario.due ? 'due' : 'not due'}, ${label}`,
    seconds(run.wallMs),
    `${seconds(run.cpuMs)} / ${seconds(run.serverCpuMs)}`,
    `KMS: ${callList(run.emulatorCalls)}; DynamoDB: ${callList(run.dynamodbCalls)}`,
    number((total(run.emulatorCalls) + total(run.dynamodbCalls)) / aliases, 3),
    `${number(bound.seconds, 2)} s (${bound.binding ?? 'none'})`,
    // A sweep whose rotations failed did less work than asked, so its time says nothing about the bound.
    run.outcomes.failed ? `not comparable: ${number(run.outcomes.failed)} failed` : `${number(ratio, 1)}× (target ≤ ${SWEEP_TARGET}×: ${verdict(ratio, SWEEP_TARGET)})`,
    `${number(run.peakRssMiB)} / ${number(run.peakHeapMiB)} / ${number(run.retainedHeapMiB ?? Number.NaN)}`,
    run.fannedOut > 0 ? `${callList(run.outcomes)} (${number(run.fannedOut)} of them in fanned-out runs)` : callList(run.outcomes),
    number(run.throttled),
  ];
}

const SWEEP_HEADERS = [
  'scenario',
  'wall time',
  'CPU tool / servers',
  'calls by operation',
  'calls per alias',
  'quota bound (binding)',
  'wall / bound',
  'MiB peak RSS / peak heap / heap after GC',
  'outcomes',
  'throttled',
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      records: { type: 'string' },
      output: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const quick = values.quick === true;
  const records = Number(values.records ?? (quick ? 20_000 : 1_000_000));
  if (!Number.isInteger(records) || records < 1000) throw new Error(`--records must be a whole number of at least 1000, got ${values.records}`);
  const output = values.output ?? (quick ? '-' : 'docs/benchmarks.md');
  const started = performance.now();

  emit(`# Benchmarks\n\nMeasured by \`npm run bench\` (scripts/bench/) on ${new Date().toISOString().slice(0, 10)}: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${number(totalmem() / 2 ** 30)} GiB, ${osType()} ${release()}, Node.js ${process.version}.`);

  // 1 and 2: sweeps.
  const planSizes = quick ? [100, 1000] : [1000, 10_000];
  const dueSizes = quick ? [20, 100] : [100, 1000];
  const sweepTable: Array<Array<string | number>> = [];
  const dueRuns: Array<{ aliases: number; finished: boolean; measured: number; calls: Record<string, number> }> = [];
  for (const aliases of planSizes) {
    console.error(`sweep: ${aliases} aliases, none due (setup creates the keys and aliases first)`);
    const result = await runSweepScenario({ name: 'plan-only', aliases, due: false, maxRuns: 2, maxRotationsPerRun: MAX_ROTATIONS_PER_RUN, quotaShare: QUOTA_SHARE, timeScale: 1, fanOut: true });
    result.runs.forEach((run) => sweepTable.push(sweepRows(result, run, run.run === 1 ? 'first sweep' : 'second sweep')));
  }
  for (const aliases of dueSizes) {
    // One sweep and its fan-out should rotate them all; a second sweep takes what failed.
    const maxRuns = 2;
    console.error(`sweep: ${aliases} aliases due, fan-out on, up to ${maxRuns} sweeps at time scale ${DUE_TIME_SCALE}`);
    const result = await runSweepScenario({ name: 'due', aliases, due: true, maxRuns, maxRotationsPerRun: MAX_ROTATIONS_PER_RUN, quotaShare: QUOTA_SHARE, timeScale: DUE_TIME_SCALE, fanOut: true });
    result.runs.forEach((run) => sweepTable.push(sweepRows(result, run, `sweep ${run.run} and its fan-out`)));
    const last = result.runs.at(-1)?.outcomes ?? {};
    const finished = !last.deferred && !last.failed;
    dueRuns.push({ aliases, finished, measured: result.runs.length, calls: sumCalls(result.runs, (run) => ({ ...run.emulatorCalls, ...run.dynamodbCalls })) });
  }
  emit(
    [
      '## Sweeps',
      '',
      `Quotas enforced by the emulator at the tool's share (settings.quotaShare ${QUOTA_SHARE}) of the figures in docs/quotas.md. The plan-only sweeps run in real time (time scale 1). The due sweeps run at time scale ${DUE_TIME_SCALE}: the emulator allows ${DUE_TIME_SCALE} times each quota per real second. The tool's pacers and the Lambda time it counts down run ${DUE_TIME_SCALE} times faster, so every ratio holds and the bound is divided by ${DUE_TIME_SCALE} too. The tool runs in its own process; "servers" is the CPU time of the emulator and dynalite. Every alias has a symmetric key and an alias item as an earlier adoption leaves it. The bound is the largest of calls / (quota × share × time scale) over the KMS operations; DynamoDB calls have no request quota in it.`,
      '',
      `The due sweeps fan out as the deployed function does: the sweep rotates maxRotationsPerRun (${MAX_ROTATIONS_PER_RUN}) aliases itself, then hands each other due alias to a run of its own, one invoke per alias at the CreateKey pacer's rate. The benchmark plays those runs in the tool's process, each with its own pacer, and a sweep's wall time, calls and memory run until the last of them ends.`,
      '',
      table(SWEEP_HEADERS, sweepTable),
      '',
      ...dueRuns.map(
        (due) =>
          `- ${number(due.aliases)} due aliases: ${due.finished ? `all rotated after ${due.measured} sweep${due.measured === 1 ? '' : 's'} and their fan-out` : `aliases were still due or failed after ${due.measured} sweeps`}. Calls over the measured sweeps: ${callList(due.calls)}.`,
      ),
    ].join('\n'),
  );

  // 3: audit.
  console.error('audit: per-stage throughput');
  const stages = await measureAuditStages('events/audit');
  emit(
    [
      '## Audit',
      '',
      `Per stage, on the ${stages.events} sample events of events/audit/ (each record of the sample log file counts as one), in one process pinned to one core with taskset:`,
      '',
      table(
        ['stage', 'events per second'],
        [
          ['parsing (JSON.parse of the event text)', number(stages.parsePerSecond)],
          ['validation (parseAuditInput, zod)', number(stages.validatePerSecond)],
          ['classification (toAuditRecord, blockedUseReason, evaluateRules)', number(stages.classifyPerSecond)],
          ['all three, one after another', number(stages.pipelinePerSecond)],
        ],
      ),
    ].join('\n'),
  );

  const replays: ReplayResult[] = [];
  for (const count of [...new Set([Math.min(100_000, records), records])]) {
    const path = join(tmpdir(), `kms-rotator-bench-cloudtrail-${count}.json`);
    try {
      console.error(`audit: writing ${count} CloudTrail records to ${path}`);
      const file = await writeCloudTrailFile(path, 'events/audit', count);
      console.error('audit: replaying it, then parsing it bare');
      replays.push(await measureReplay(path, file));
    } finally {
      rmSync(path, { force: true });
    }
  }
  emit(
    [
      'Raw CloudTrail log files (`{"Records":[...]}`, one record per line, plain JSON) generated from the sample records, replayed with src/audit/replay.ts and, in another fresh process, split on newlines and passed to JSON.parse record by record:',
      '',
      table(
        ['records', 'file', 'replay', 'bare JSON.parse', 'replay / bare', 'peak RSS / heap, replay', 'peak RSS / heap, bare'],
        replays.map((result) => {
          const ratio = result.replay.recordsPerSecond / result.bare.recordsPerSecond;
          return [
            number(result.file.records),
            `${number(result.file.bytes / 2 ** 30, 2)} GiB`,
            `${number(result.replay.recordsPerSecond)} records/s (${number(result.replay.mebibytesPerSecond)} MiB/s, ${number(result.replay.seconds, 1)} s)`,
            `${number(result.bare.recordsPerSecond)} records/s (${number(result.bare.mebibytesPerSecond)} MiB/s, ${number(result.bare.seconds, 1)} s)`,
            `${number(ratio, 2)} (target ≥ ${REPLAY_TARGET}: ${verdict(ratio, REPLAY_TARGET, false)})`,
            `${number(result.replay.peakRssMiB)} / ${number(result.replay.peakHeapMiB)} MiB`,
            `${number(result.bare.peakRssMiB)} / ${number(result.bare.peakHeapMiB)} MiB`,
          ];
        }),
      ),
    ].join('\n'),
  );

  // 4: bundles.
  const samples = quick ? 3 : 11;
  const bundles: BundleResult[] = [];
  for (const [name, entry] of [
    ['baseline (only @aws-sdk/client-kms)', 'scripts/bench/baseline-handler.ts'],
    ['rotate', 'handlers/rotate.ts'],
    ['audit', 'handlers/audit.ts'],
    ['retire', 'handlers/retire.ts'],
    ['approval', 'handlers/approval.ts'],
  ] as const) {
    console.error(`bundle: ${name}`);
    bundles.push(await measureBundle(name, entry, samples));
  }
  const baseline = bundles[0] as BundleResult;
  emit(
    [
      '## Bundles and cold start',
      '',
      `Bundled with the esbuild options of serverless.yml (custom.esbuild). Cold start is the time to import the handler in a fresh Node.js process, median of ${samples}.`,
      '',
      table(
        ['function', 'minified', 'gzipped', 'gzipped / baseline', 'cold start', 'cold start / baseline', 'largest parts (minified)'],
        bundles.map((bundle) => {
          const sizeRatio = bundle.gzippedBytes / baseline.gzippedBytes;
          const startRatio = bundle.coldStartMs / baseline.coldStartMs;
          return [
            bundle.name,
            `${number(bundle.minifiedBytes / 1024)} KiB`,
            `${number(bundle.gzippedBytes / 1024)} KiB`,
            bundle === baseline ? '1' : `${number(sizeRatio, 2)} (target ≤ ${BUNDLE_TARGET}: ${verdict(sizeRatio, BUNDLE_TARGET)})`,
            `${number(bundle.coldStartMs)} ms`,
            bundle === baseline ? '1' : `${number(startRatio, 2)} (target ≤ ${BUNDLE_TARGET}: ${verdict(startRatio, BUNDLE_TARGET)})`,
            bundle.largestInputs
              .slice(0, 4)
              .map((input) => `${input.source} ${number(input.bytes / 1024)} KiB`)
              .join(', '),
          ];
        }),
      ),
    ].join('\n'),
  );

  console.error(`bench finished in ${number((performance.now() - started) / 1000)} s`);
  if (output !== '-') {
    const previous = existsSync(output) ? readFileSync(output, 'utf8') : '';
    const notesAt = previous.indexOf(`\n${NOTES_HEADING}\n`);
    const notes = notesAt >= 0 ? `\n${previous.slice(notesAt + 1)}` : '';
    writeFileSync(output, `${sections.join('\n\n')}\n${notes}`);
    console.error(`wrote ${output}`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
