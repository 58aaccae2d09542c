/**
 * Audit scenarios: per-stage throughput on the sample events, and a replay of a generated raw
 * CloudTrail log file beside a bare JSON.parse pass over the same file.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PassFigures, StageFigures } from './audit-worker.js';

const run = promisify(execFile);
const WORKER = new URL('./audit-worker.ts', import.meta.url).pathname;
/** Minimum size of each generated record in bytes, so that 1,000,000 records exceed a gigabyte (2^30 bytes). */
const MIN_RECORD_BYTES = 1100;

export interface ReplayResult {
  file: { records: number; bytes: number };
  replay: PassFigures;
  bare: PassFigures;
}

/** Lists the sample event files in `directory`; the invalid samples, in a subfolder, are left out. */
export function sampleEventFiles(directory: string): string[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(directory, name));
}

async function worker(args: string[], pinToOneCore: boolean): Promise<unknown> {
  const command = pinToOneCore ? 'taskset' : process.execPath;
  const commandArgs = pinToOneCore ? ['-c', '0', process.execPath, '--import', 'tsx', WORKER, ...args] : ['--import', 'tsx', WORKER, ...args];
  const { stdout } = await run(command, commandArgs, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string);
}

/** Measures parsing, validation and classification apart, in a process pinned to one core (taskset). */
export async function measureAuditStages(directory: string): Promise<StageFigures> {
  return (await worker(['stages', ...sampleEventFiles(directory)], true)) as StageFigures;
}

/**
 * Returns the CloudTrail records of the sample events, compacted to one line each: the `detail` of every
 * CloudTrail event and each record of the sample log file. KMS service events have no record.
 */
function templateRecords(directory: string): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const file of sampleEventFiles(directory)) {
    const document = JSON.parse(readFileSync(file, 'utf8')) as { Records?: Record<string, unknown>[]; detail?: Record<string, unknown>; 'detail-type'?: string };
    if (Array.isArray(document.Records)) records.push(...document.Records);
    else if (document.detail && String(document['detail-type']).includes('via CloudTrail')) records.push(document.detail);
  }
  return records;
}

/**
 * Writes a raw CloudTrail log file of `count` records, `{"Records":[` then one record per line,
 * cycling through the sample records with a fresh eventID and eventTime each. Each record gets
 * `tlsDetails`, as CloudTrail writes for calls over TLS, and a userAgent padded so that every
 * record has at least MIN_RECORD_BYTES bytes.
 */
export async function writeCloudTrailFile(path: string, directory: string, count: number): Promise<{ records: number; bytes: number }> {
  const templates = templateRecords(directory);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const baseMs = Date.UTC(2027, 0, 1);
  let pending = '{"Records":[\n';
  for (let index = 0; index < count; index += 1) {
    const template = templates[index % templates.length] as Record<string, unknown>;
    const record: Record<string, unknown> = {
      ...template,
      eventID: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      eventTime: new Date(baseMs + index * 10).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'kms.us-east-1.amazonaws.com' },
    };
    let line = JSON.stringify(record);
    if (line.length < MIN_RECORD_BYTES) {
      record.userAgent = `${String(record.userAgent ?? 'aws-sdk-js/3')} ${'x'.repeat(MIN_RECORD_BYTES - line.length)}`;
      line = JSON.stringify(record);
    }
    pending += index + 1 < count ? `${line},\n` : `${line}\n`;
    if (pending.length > 1 << 20) {
      if (!out.write(pending)) await once(out, 'drain');
      pending = '';
    }
  }
  out.end(`${pending}]}\n`);
  await once(out, 'finish');
  return { records: count, bytes: statSync(path).size };
}

/** Replays the file with src/audit/replay.ts and parses it bare, each in a fresh process. */
export async function measureReplay(path: string, file: { records: number; bytes: number }): Promise<ReplayResult> {
  const replay = (await worker(['replay', path, String(file.bytes)], false)) as PassFigures;
  const bare = (await worker(['bare', path, String(file.bytes)], false)) as PassFigures;
  return { file, replay, bare };
}
