import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudTrailFileError, replayFile, splitRecords } from '../../src/audit/replay.js';
import { resolveAuditSettings } from '../../src/audit/rules.js';
import { auditConfig, fixture } from './support.js';

const RECORDS = 200_000;
const settings = resolveAuditSettings(auditConfig());

/** Writes a CloudTrail log file of `count` records: mostly Decrypt, every 1000th a ScheduleKeyDeletion, every 10,000th malformed. */
async function writeLogFile(path: string, count: number): Promise<void> {
  const decrypt = fixture('api-decrypt.json').detail;
  const schedule = fixture('api-schedule-key-deletion.json').detail;
  const out = createWriteStream(path);
  out.write('{"Records":[');
  for (let index = 0; index < count; index += 1) {
    const base = index % 10_000 === 9_999 ? { ...decrypt, eventTime: 'not a time' } : index % 1000 === 999 ? schedule : decrypt;
    const text = `${index === 0 ? '' : ','}${JSON.stringify({ ...base, eventID: `replay-${index}`, userAgent: 'brace } and quote \\" in a string' })}`;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end(']}');
  await once(out, 'finish');
}

async function* chunksOf(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}

async function collect(text: string, size: number): Promise<string[]> {
  const records: string[] = [];
  for await (const record of splitRecords(chunksOf(text, size))) records.push(record.toString());
  return records;
}

describe('record splitter', () => {
  it('splits records across any chunk boundary', async () => {
    const text = '{"Records": [ {"a":"x}","b":{"c":1}} , {"d":"\\"}"} ]}';

    for (const size of [1, 2, 3, 7, 64]) {
      expect(await collect(text, size)).toEqual(['{"a":"x}","b":{"c":1}}', '{"d":"\\"}"}']);
    }
  });

  it('rejects a file that is not a log file', async () => {
    await expect(collect('{"Other": [{}]}', 8)).rejects.toThrow(new CloudTrailFileError('expected a CloudTrail log file that starts with {"Records": [, found "{\\"Other\\": "'));
  });

  it('rejects a truncated file', async () => {
    await expect(collect('{"Records":[{"a":1},{"b":', 4)).rejects.toThrow('the file ends inside a record');
  });
});

describe('replay of a large log file', () => {
  let folder: string;
  let plain: string;
  let gzipped: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'kms-rotator-replay-'));
    plain = join(folder, 'records.json');
    gzipped = join(folder, 'records.json.gz');
    await writeLogFile(plain, RECORDS);
    await pipeline(createReadStream(plain), createGzip({ level: 1 }), createWriteStream(gzipped));
  }, 120_000);

  afterAll(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it.each([
    ['plain', () => plain],
    ['gzip', () => gzipped],
  ])('classifies 200,000 %s records in flat memory', async (_kind, path) => {
    const fileMiB = statSync(plain).size / 1048576;
    const heapBefore = process.memoryUsage().heapUsed / 1048576;
    const invalid: string[] = [];

    const summary = await replayFile(path(), { settings, stage: 'prod', onInvalid: (reason) => invalid.push(reason) });

    expect(summary.records).toBe(RECORDS);
    expect(summary.invalid).toBe(20);
    expect(summary.audited).toBe(RECORDS - 20);
    // Every 1000th record schedules a deletion, except the 20 that are also malformed.
    expect(summary.findings).toEqual({ 'deletion-scheduled': 180 });
    expect(invalid).toEqual(['invalid CloudTrail record: field eventTime: value "not a time": must be an ISO 8601 time such as 2027-01-01T00:00:00Z']);
    expect(fileMiB).toBeGreaterThan(100);
    // The file is over 100 MiB; a replay that held it would grow the heap by at least that much.
    expect(summary.peakHeapMiB - heapBefore).toBeLessThan(64);
    console.info(`replay ${_kind}: ${summary.records} records, ${fileMiB.toFixed(0)} MiB, ${summary.seconds.toFixed(1)} s, ${summary.recordsPerSecond} records/s, peak heap ${summary.peakHeapMiB.toFixed(0)} MiB, peak RSS ${summary.peakRssMiB.toFixed(0)} MiB`);
  }, 120_000);
});
