import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { toolRoleMatcher } from './principal.js';
import { toAuditRecord, type AuditRecord } from './record.js';
import { evaluateRules, type AuditSettings, type Finding } from './rules.js';
import { parseAuditInput } from './schemas.js';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Malformed input to the record splitter. */
export class CloudTrailFileError extends Error {
  override readonly name = 'CloudTrailFileError';
}

/**
 * Splits a CloudTrail log file, `{"Records": [ {...}, {...} ]}`, into the bytes of each record
 * without holding the file in memory: it tracks string and brace state across chunks and keeps
 * only the record being read. A bare JSON array of records is accepted too.
 */
export async function* splitRecords(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let phase: 'preamble' | 'between' | 'record' | 'done' = 'preamble';
  let preamble = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let parts: Buffer[] = [];

  for await (const chunk of chunks) {
    let index = 0;
    let recordStart = -1;
    if (phase === 'record') recordStart = 0;

    while (index < chunk.length) {
      const byte = chunk[index] as number;
      if (phase === 'preamble') {
        if (byte === OPEN_BRACKET) {
          if (!/^\s*(?:\{\s*"Records"\s*:\s*)?$/.test(preamble)) {
            throw new CloudTrailFileError(`expected a CloudTrail log file that starts with {"Records": [, found ${JSON.stringify(preamble.slice(0, 60))}`);
          }
          phase = 'between';
        } else {
          preamble += String.fromCharCode(byte);
          if (preamble.length > 1024) throw new CloudTrailFileError('expected a CloudTrail log file; found no Records array in its first 1024 bytes');
        }
      } else if (phase === 'between') {
        if (byte === OPEN_BRACE) {
          phase = 'record';
          depth = 1;
          recordStart = index;
        } else if (byte === CLOSE_BRACKET) {
          phase = 'done';
        } else if (byte !== 0x2c && byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) {
          throw new CloudTrailFileError(`unexpected character ${JSON.stringify(String.fromCharCode(byte))} between records`);
        }
      } else if (phase === 'record') {
        if (inString) {
          if (escaped) escaped = false;
          else if (byte === BACKSLASH) escaped = true;
          else if (byte === QUOTE) inString = false;
        } else if (byte === QUOTE) {
          inString = true;
        } else if (byte === OPEN_BRACE) {
          depth += 1;
        } else if (byte === CLOSE_BRACE) {
          depth -= 1;
          if (depth === 0) {
            parts.push(chunk.subarray(recordStart, index + 1));
            yield parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
            parts = [];
            phase = 'between';
            recordStart = -1;
          }
        }
      } else {
        break;
      }
      index += 1;
    }
    if (phase === 'record' && recordStart >= 0) parts.push(Buffer.from(chunk.subarray(recordStart)));
    if (phase === 'done') break;
  }
  if (phase !== 'done') throw new CloudTrailFileError(phase === 'record' ? 'the file ends inside a record' : 'the file ends before its Records array closes');
}

/** Opens a CloudTrail log file, gunzipping it when it starts with the gzip magic bytes. */
export async function openLogFile(path: string): Promise<Readable> {
  const head = await new Promise<Buffer>((resolve, reject) => {
    const stream = createReadStream(path, { start: 0, end: 1 });
    const chunks: Buffer[] = [];
    stream.on('data', (chunk) => chunks.push(chunk as Buffer));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  return head[0] === 0x1f && head[1] === 0x8b ? file.pipe(createGunzip({ chunkSize: 1 << 20 })) : file;
}

export interface ReplaySummary {
  records: number;
  audited: number;
  invalid: number;
  ignored: number;
  /** Findings per rule id. */
  findings: Record<string, number>;
  seconds: number;
  recordsPerSecond: number;
  /** Highest resident set size and V8 heap seen during the replay, in MiB. */
  peakRssMiB: number;
  peakHeapMiB: number;
}

export interface ReplayOptions {
  settings: AuditSettings;
  stage: string;
  isManagedAlias?: (alias: string, region: string) => boolean;
  stateTableName?: string;
  /** Called for every record that a rule matched. */
  onFinding?: (record: AuditRecord, findings: Finding[]) => void;
  /** Called for the first record that fails validation with each distinct reason. */
  onInvalid?: (reason: string) => void;
}

/**
 * Replays raw CloudTrail records through the same validation and rules as the audit function. It
 * only classifies: it publishes no alert, cancels no deletion and writes no mark. Bursts are
 * counted in memory on the records' own times.
 */
export async function replayRecords(chunks: AsyncIterable<Buffer>, options: ReplayOptions): Promise<ReplaySummary> {
  const started = process.hrtime.bigint();
  const isTool = toolRoleMatcher(options.stage);
  const windows = new Map<string, { startMs: number; count: number }>();
  const context = {
    settings: options.settings,
    isManagedAlias: options.isManagedAlias ?? (() => false),
    stateTableName: options.stateTableName,
    countInWindow: async (name: string, atMs: number, windowMs: number) => {
      const window = windows.get(name);
      if (window && atMs - window.startMs < windowMs) {
        window.count += 1;
        return window.count;
      }
      windows.set(name, { startMs: atMs, count: 1 });
      return 1;
    },
  };
  const summary: ReplaySummary = { records: 0, audited: 0, invalid: 0, ignored: 0, findings: {}, seconds: 0, recordsPerSecond: 0, peakRssMiB: 0, peakHeapMiB: 0 };
  const seenReasons = new Set<string>();
  const sampleMemory = () => {
    const usage = process.memoryUsage();
    summary.peakRssMiB = Math.max(summary.peakRssMiB, usage.rss / 1048576);
    summary.peakHeapMiB = Math.max(summary.peakHeapMiB, usage.heapUsed / 1048576);
  };

  for await (const bytes of splitRecords(chunks)) {
    summary.records += 1;
    if (summary.records % 5000 === 0) sampleMemory();
    let document: unknown;
    try {
      document = JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      summary.invalid += 1;
      noteInvalid(`record ${summary.records} is not valid JSON: ${(error as Error).message}`);
      continue;
    }
    const parsed = parseAuditInput(document);
    if ('rejected' in parsed) {
      summary[parsed.rejected] += 1;
      if (parsed.rejected === 'invalid') noteInvalid(parsed.reason);
      continue;
    }
    summary.audited += 1;
    const record = toAuditRecord(parsed, isTool);
    const findings = await evaluateRules(record, context);
    if (findings.length === 0) continue;
    for (const finding of findings) summary.findings[finding.ruleId] = (summary.findings[finding.ruleId] ?? 0) + 1;
    options.onFinding?.(record, findings);
  }

  sampleMemory();
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  summary.recordsPerSecond = Math.round(summary.records / Math.max(summary.seconds, 1e-9));
  return summary;

  function noteInvalid(reason: string): void {
    if (seenReasons.has(reason)) return;
    seenReasons.add(reason);
    options.onInvalid?.(reason);
  }
}

/** Replays one CloudTrail log file, plain or gzip. */
export async function replayFile(path: string, options: ReplayOptions): Promise<ReplaySummary> {
  return replayRecords((await openLogFile(path)) as AsyncIterable<Buffer>, options);
}
