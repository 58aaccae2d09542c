import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { toolRoleMatcher } from './principal.js';
import { toAuditRecord, type AuditRecord } from './record.js';
import { evaluateRulesInline, type AuditSettings, type Finding } from './rules.js';
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

/** Receives one record: the bytes `buffer[start, end)`. */
type RecordSink = (buffer: Buffer, start: number, end: number) => void;

/**
 * Finds the records of a CloudTrail log file, `{"Records": [ {...}, {...} ]}`, in chunks of its
 * bytes without holding the file in memory. A bare JSON array of records is accepted too. A record
 * ends at the brace that closes its top-level object, so the scanner tracks brace depth and
 * whether it is inside a string. Inside a string it jumps to the next quote with `indexOf` and
 * counts the backslashes before it. Outside strings, where a record has only a few bytes between
 * its strings, it reads byte by byte. Only a record that spans chunks is copied.
 */
export class RecordScanner {
  #phase: 'preamble' | 'between' | 'record' | 'done' = 'preamble';
  #preamble = '';
  #depth = 0;
  #inString = false;
  /** True when the previous chunk ended inside a string with an odd run of backslashes, so that this chunk's first byte is escaped. */
  #escapeNext = false;
  /** Copies of the earlier chunks' parts of the record being read. */
  #parts: Buffer[] = [];

  /** True once the Records array has closed. The scanner ignores any later bytes. */
  get done(): boolean {
    return this.#phase === 'done';
  }

  /** Scans one chunk and passes each record that ends in it to `onRecord`, in file order. Throws CloudTrailFileError on malformed input. */
  push(chunk: Buffer, onRecord: RecordSink): void {
    const length = chunk.length;
    let index = 0;
    let recordStart = this.#phase === 'record' ? 0 : -1;

    while (index < length) {
      if (this.#phase === 'preamble') {
        index = this.#scanPreamble(chunk, index);
      } else if (this.#phase === 'between') {
        const byte = chunk[index] as number;
        if (byte === OPEN_BRACE) {
          this.#phase = 'record';
          this.#depth = 1;
          recordStart = index;
        } else if (byte === CLOSE_BRACKET) {
          this.#phase = 'done';
          return;
        } else if (byte !== 0x2c && byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) {
          throw new CloudTrailFileError(`unexpected character ${JSON.stringify(String.fromCharCode(byte))} between records`);
        }
        index += 1;
      } else if (this.#phase === 'record') {
        index = this.#inString ? this.#skipString(chunk, index) : this.#scanStructure(chunk, index);
        // The top-level object closed, and #scanStructure moved on to the 'between' phase.
        if (this.#depth === 0) {
          this.#emit(chunk, recordStart, index, onRecord);
          recordStart = -1;
        }
      } else {
        return;
      }
    }
    if (this.#phase === 'record' && recordStart >= 0) this.#parts.push(Buffer.from(chunk.subarray(recordStart)));
  }

  /** Throws CloudTrailFileError unless the Records array has closed. */
  finish(): void {
    if (this.#phase !== 'done') {
      throw new CloudTrailFileError(this.#phase === 'record' ? 'the file ends inside a record' : 'the file ends before its Records array closes');
    }
  }

  /** Reads the text before the opening bracket of the Records array and returns the index after what it read. */
  #scanPreamble(chunk: Buffer, index: number): number {
    const bracket = chunk.indexOf(OPEN_BRACKET, index);
    const end = bracket < 0 ? chunk.length : bracket;
    if (this.#preamble.length + (end - index) > 1024) throw new CloudTrailFileError('expected a CloudTrail log file; found no Records array in its first 1024 bytes');
    this.#preamble += chunk.toString('latin1', index, end);
    if (bracket < 0) return end;
    if (!/^\s*(?:\{\s*"Records"\s*:\s*)?$/.test(this.#preamble)) {
      throw new CloudTrailFileError(`expected a CloudTrail log file that starts with {"Records": [, found ${JSON.stringify(this.#preamble.slice(0, 60))}`);
    }
    this.#phase = 'between';
    return bracket + 1;
  }

  /** Skips string content up to and including its closing quote, or to the chunk's end, and returns the index after what it skipped. */
  #skipString(chunk: Buffer, index: number): number {
    let from = index;
    if (this.#escapeNext) {
      this.#escapeNext = false;
      from += 1;
    }
    for (;;) {
      const quote = chunk.indexOf(QUOTE, from);
      const stop = quote < 0 ? chunk.length : quote;
      // A quote (or the chunk's end) after an odd run of backslashes is escaped.
      let backslashes = 0;
      while (stop - backslashes - 1 >= from && chunk[stop - backslashes - 1] === BACKSLASH) backslashes += 1;
      const escaped = backslashes % 2 === 1;
      if (quote < 0) {
        this.#escapeNext = escaped;
        return chunk.length;
      }
      if (!escaped) {
        this.#inString = false;
        return quote + 1;
      }
      from = quote + 1;
    }
  }

  /** Reads bytes outside strings until a string opens or the record's top-level object closes, and returns the index after the byte that stopped it. */
  #scanStructure(chunk: Buffer, index: number): number {
    const length = chunk.length;
    for (let at = index; at < length; at += 1) {
      const byte = chunk[at] as number;
      if (byte === QUOTE) {
        this.#inString = true;
        return at + 1;
      }
      if (byte === OPEN_BRACE) {
        this.#depth += 1;
      } else if (byte === CLOSE_BRACE) {
        this.#depth -= 1;
        if (this.#depth === 0) {
          this.#phase = 'between';
          return at + 1;
        }
      }
    }
    return length;
  }

  /** Passes the record that ends before `end` to `onRecord`, joining it with its parts from earlier chunks. */
  #emit(chunk: Buffer, recordStart: number, end: number, onRecord: RecordSink): void {
    if (this.#parts.length === 0) {
      onRecord(chunk, recordStart, end);
      return;
    }
    this.#parts.push(chunk.subarray(0, end));
    const joined = Buffer.concat(this.#parts);
    this.#parts = [];
    onRecord(joined, 0, joined.length);
  }
}

/**
 * Splits a CloudTrail log file, `{"Records": [ {...}, {...} ]}`, into the bytes of each record
 * without holding the file in memory (see RecordScanner). A bare JSON array of records is accepted
 * too. A record that lies in one chunk is a view of that chunk, not a copy.
 */
export async function* splitRecords(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const scanner = new RecordScanner();
  for await (const chunk of chunks) {
    const records: Buffer[] = [];
    let failure: unknown;
    try {
      scanner.push(chunk, (buffer, start, end) => records.push(start === 0 && end === buffer.length ? buffer : buffer.subarray(start, end)));
    } catch (error) {
      failure = error;
    }
    // The records before a malformed byte come out before its error, as they would one at a time.
    yield* records;
    if (failure !== undefined) throw failure;
    if (scanner.done) break;
  }
  scanner.finish();
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
    // Returns the count directly, not a promise, so that the rules run without waiting.
    countInWindow: (name: string, atMs: number, windowMs: number) => {
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

  const scanner = new RecordScanner();
  // The decoded records of one chunk, so that at most a chunk's worth of text is held at a time.
  let texts: string[] = [];
  const collect: RecordSink = (buffer, start, end) => {
    texts.push(buffer.toString('utf8', start, end));
  };
  for await (const chunk of chunks) {
    let failure: unknown;
    try {
      scanner.push(chunk, collect);
    } catch (error) {
      failure = error;
    }
    const batch = texts;
    texts = [];
    for (const text of batch) {
      const pending = replayOne(text);
      if (pending !== undefined) await pending;
    }
    if (failure !== undefined) throw failure;
    if (scanner.done) break;
  }
  scanner.finish();

  sampleMemory();
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  summary.recordsPerSecond = Math.round(summary.records / Math.max(summary.seconds, 1e-9));
  return summary;

  /** Classifies one record. Returns a promise only when a rule has to wait. */
  function replayOne(text: string): Promise<void> | undefined {
    summary.records += 1;
    if (summary.records % 5000 === 0) sampleMemory();
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      summary.invalid += 1;
      noteInvalid(`record ${summary.records} is not valid JSON: ${(error as Error).message}`);
      return undefined;
    }
    const parsed = parseAuditInput(document);
    if ('rejected' in parsed) {
      summary[parsed.rejected] += 1;
      if (parsed.rejected === 'invalid') noteInvalid(parsed.reason);
      return undefined;
    }
    summary.audited += 1;
    const record = toAuditRecord(parsed, isTool);
    const findings = evaluateRulesInline(record, context);
    if (findings instanceof Promise) return findings.then((found) => noteFindings(record, found));
    noteFindings(record, findings);
    return undefined;
  }

  function noteFindings(record: AuditRecord, findings: Finding[]): void {
    if (findings.length === 0) return;
    for (const finding of findings) summary.findings[finding.ruleId] = (summary.findings[finding.ruleId] ?? 0) + 1;
    options.onFinding?.(record, findings);
  }

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
