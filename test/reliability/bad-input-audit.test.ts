import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleAuditBatch, handleAuditEvent, type AuditRuntime } from '../../src/audit/process.js';
import { startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { auditRuntime } from '../audit/support.js';
import { expand, loadCorpus, sideEffectsSince, snapshot } from './bad-input-support.js';

/**
 * One input to the audit function: `event` as written, or the sample `base` from events/audit/
 * (its `detail` alone with `detailOnly`, as a CloudTrail log file record) with fields at dotted
 * paths set or removed. The expected outcome is `status` with a reason that contains `reason`.
 */
interface AuditCase {
  name: string;
  event?: unknown;
  base?: string;
  detailOnly?: boolean;
  set?: Record<string, unknown>;
  remove?: string[];
  status: 'invalid' | 'ignored';
  reason: string;
  /** A known gap; the expected values pin the current output. */
  open?: string;
}

const CASES = loadCorpus<AuditCase>('audit');

function inputOf(entry: AuditCase): unknown {
  if (entry.base === undefined) return expand(entry.event);
  const sample = JSON.parse(readFileSync(new URL(`../../events/audit/${entry.base}`, import.meta.url), 'utf8')) as Record<string, unknown>;
  const document = (entry.detailOnly ? sample.detail : sample) as Record<string, unknown>;
  for (const [path, value] of Object.entries(entry.set ?? {})) at(document, path, (parent, key) => (parent[key] = expand(value)));
  for (const path of entry.remove ?? []) at(document, path, (parent, key) => delete parent[key]);
  return document;
}

/** Calls `change` with the object that contains the last key of a dotted path, and that key. */
function at(document: Record<string, unknown>, path: string, change: (parent: Record<string, unknown>, key: string) => void): void {
  const keys = path.split('.');
  let parent = document;
  for (const key of keys.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  change(parent, keys.at(-1) as string);
}

describe('audit function bad input', () => {
  let test: TestCloud;
  let runtime: AuditRuntime;

  beforeAll(async () => {
    test = await startTestCloud();
    runtime = auditRuntime(test);
  });

  afterAll(async () => {
    await test.close();
  });

  it.each(CASES.map((entry) => [entry.name, entry] as const))('rejects %s', async (_name, entry) => {
    const input = inputOf(entry);
    const before = await snapshot(test.cloud, test.operator.dynamodb);

    const outcome = Array.isArray(input) ? (await handleAuditBatch(runtime, input))[0] : await handleAuditEvent(runtime, input);

    expect(outcome?.status).toBe(entry.status);
    const reason = (outcome as { reason?: string } | undefined)?.reason ?? '';
    expect(reason).toContain(entry.reason);
    if (entry.open === undefined) expect(reason.length).toBeLessThan(1000);
    expect(test.cloud.emulator.calls().length).toBe(before.calls);
    expect(sideEffectsSince(test.cloud, before)).toEqual([]);
    expect((await snapshot(test.cloud, test.operator.dynamodb)).table).toBe(before.table);
  });

  it('audits the unchanged sample', async () => {
    const outcome = await handleAuditEvent(runtime, inputOf({ name: 'sample', base: 'api-schedule-key-deletion.json', status: 'invalid', reason: '' }));

    expect(outcome.status).toBe('audited');
  });
});
