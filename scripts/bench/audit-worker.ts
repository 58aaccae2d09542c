/**
 * Child process of the audit benchmark, started once per measurement so that each pass has its
 * own heap and its own peak memory. It prints one JSON line with its figures on stdout.
 *   stages FILE...   events per second through parsing, validation and classification, each apart
 *   replay FILE      src/audit/replay.ts over a CloudTrail log file
 *   bare FILE        JSON.parse of each record of the same file, one record per line, and nothing else
 */
import { readFileSync, createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { blockedUseReason } from '../../src/audit/classify.js';
import { toolRoleMatcher } from '../../src/audit/principal.js';
import { toAuditRecord } from '../../src/audit/record.js';
import { replayFile } from '../../src/audit/replay.js';
import { evaluateRules, resolveAuditSettings, type RuleContext } from '../../src/audit/rules.js';
import { parseAuditInput, type AuditInput } from '../../src/audit/schemas.js';
import { parseConfig } from '../../src/config/yaml.js';

/** Each stage runs for at least this long, so that timer resolution and JIT warm-up do not skew it. */
const STAGE_MIN_MS = 2000;

const config = parseConfig('aliases:\n  - alias: alias/demo-payments\n    regions: [us-east-1]\n    period: 90d\n', 'bench config');
const settings = resolveAuditSettings(config);
const isTool = toolRoleMatcher('prod');

export interface StageFigures {
  events: number;
  parsePerSecond: number;
  validatePerSecond: number;
  classifyPerSecond: number;
  /** All three stages one after another, from the three per-event times. */
  pipelinePerSecond: number;
}

export interface PassFigures {
  records: number;
  bytes: number;
  seconds: number;
  recordsPerSecond: number;
  mebibytesPerSecond: number;
  peakRssMiB: number;
  peakHeapMiB: number;
}

/** Runs `once` over every item until STAGE_MIN_MS has passed (after one warm-up round); returns items per second. */
async function ratePerSecond<T>(items: T[], once: (item: T) => unknown): Promise<number> {
  for (const item of items) await once(item);
  let done = 0;
  const started = performance.now();
  while (performance.now() - started < STAGE_MIN_MS) {
    for (const item of items) await once(item);
    done += items.length;
  }
  return done / ((performance.now() - started) / 1000);
}

function ruleContext(): RuleContext {
  const windows = new Map<string, { startMs: number; count: number }>();
  return {
    settings,
    isManagedAlias: (alias) => alias === 'alias/demo-payments',
    stateTableName: 'kms-rotator-prod-state',
    countInWindow: async (name, atMs, windowMs) => {
      const window = windows.get(name);
      if (window && atMs - window.startMs < windowMs) return (window.count += 1);
      windows.set(name, { startMs: atMs, count: 1 });
      return 1;
    },
  };
}

/** Reads the sample events: one event per file, and each record of a log file as one event. */
function sampleTexts(files: string[]): string[] {
  const texts: string[] = [];
  for (const file of files) {
    const document = JSON.parse(readFileSync(file, 'utf8')) as { Records?: unknown[] };
    if (Array.isArray(document.Records)) texts.push(...document.Records.map((record) => JSON.stringify(record)));
    else texts.push(JSON.stringify(document));
  }
  return texts;
}

async function measureStages(files: string[]): Promise<StageFigures> {
  const texts = sampleTexts(files);
  const documents = texts.map((text) => JSON.parse(text) as unknown);
  const accepted = documents.map((document) => parseAuditInput(document)).filter((parsed): parsed is AuditInput => !('rejected' in parsed));
  const context = ruleContext();

  const parsePerSecond = await ratePerSecond(texts, (text) => JSON.parse(text));
  const validatePerSecond = await ratePerSecond(documents, (document) => parseAuditInput(document));
  const classifyPerSecond = await ratePerSecond(accepted, async (input) => {
    const record = toAuditRecord(input, isTool);
    blockedUseReason(record);
    return evaluateRules(record, context);
  });
  return {
    events: texts.length,
    parsePerSecond,
    validatePerSecond,
    classifyPerSecond,
    pipelinePerSecond: 1 / (1 / parsePerSecond + 1 / validatePerSecond + 1 / classifyPerSecond),
  };
}

function memorySampler(): { stop(): { peakRssMiB: number; peakHeapMiB: number } } {
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 50);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { peakRssMiB: peakRss / 1048576, peakHeapMiB: peakHeap / 1048576 };
    },
  };
}

async function measureReplay(file: string, bytes: number): Promise<PassFigures> {
  const memory = memorySampler();
  const started = performance.now();
  const summary = await replayFile(file, { settings, stage: 'prod', isManagedAlias: (alias) => alias === 'alias/demo-payments', stateTableName: 'kms-rotator-prod-state' });
  const seconds = (performance.now() - started) / 1000;
  const peaks = memory.stop();
  return passFigures(summary.records, bytes, seconds, {
    peakRssMiB: Math.max(peaks.peakRssMiB, summary.peakRssMiB),
    peakHeapMiB: Math.max(peaks.peakHeapMiB, summary.peakHeapMiB),
  });
}

/** The file contains one record per line between `{"Records":[` and `]}`, each but the last ending in a comma. */
async function measureBare(file: string, bytes: number): Promise<PassFigures> {
  const memory = memorySampler();
  const started = performance.now();
  let records = 0;
  const lines = createInterface({ input: createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.startsWith('{"eventVersion"')) continue;
    JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line);
    records += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  return passFigures(records, bytes, seconds, memory.stop());
}

function passFigures(records: number, bytes: number, seconds: number, peaks: { peakRssMiB: number; peakHeapMiB: number }): PassFigures {
  return { records, bytes, seconds, recordsPerSecond: records / seconds, mebibytesPerSecond: bytes / 1048576 / seconds, ...peaks };
}

const [mode, ...rest] = process.argv.slice(2);
let figures: StageFigures | PassFigures;
if (mode === 'stages') figures = await measureStages(rest);
else if (mode === 'replay') figures = await measureReplay(rest[0] as string, Number(rest[1]));
else if (mode === 'bare') figures = await measureBare(rest[0] as string, Number(rest[1]));
else throw new Error(`unknown mode ${String(mode)}; expected stages, replay or bare`);
process.stdout.write(`${JSON.stringify(figures)}\n`);
