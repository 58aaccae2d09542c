import { readFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TABLE_NAME } from '../../local/cloud.js';
import { parseConfig } from '../../src/config/yaml.js';
import { handleRotateInvoke } from '../../src/rotation/handle-invoke.js';
import { createAliasedKey, DAY_MS, START, startTestCloud, type TestCloud } from '../support/local-cloud.js';

interface BadInput {
  name: string;
  event: unknown;
  /** Text the error message must contain; it names the field at fault. */
  error: string;
}

/** Expands `"REPEAT:<text>:<count>"` strings, so that oversized payloads stay short in the corpus. */
function expand(value: unknown): unknown {
  if (typeof value === 'string') {
    const repeat = /^REPEAT:(.*):(\d+)$/.exec(value);
    return repeat ? (repeat[1] ?? '').repeat(Number(repeat[2])) : value;
  }
  if (Array.isArray(value)) return value.map(expand);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, expand(entry)]));
  return value;
}

const ROTATE_CASES = (JSON.parse(readFileSync(new URL('./bad-input/rotate.json', import.meta.url), 'utf8')) as BadInput[]).map((entry) => ({ ...entry, event: expand(entry.event) }));
const CONFIG = parseConfig('aliases:\n  - alias: alias/orders\n    regions: [us-east-1]\n    period: 90d\n');
/** Operations that only read; any other call would be a side effect. */
const READ_ONLY = /^(Describe|Get|List|LookupEvents$)/;

describe('rotate function bad input', () => {
  let test: TestCloud;

  beforeAll(async () => {
    test = await startTestCloud();
    await createAliasedKey(test.operator.kms, 'alias/orders');
    test.clock.set(START + 91 * DAY_MS);
  });

  afterAll(async () => {
    await test.close();
  });

  async function tableItems(): Promise<string> {
    const scanned = await test.operator.dynamodb.send(new ScanCommand({ TableName: LOCAL_TABLE_NAME }));
    return JSON.stringify(scanned.Items ?? []);
  }

  it.each(ROTATE_CASES.map((entry) => [entry.name, entry] as const))('rejects %s', async (_name, entry) => {
    const callsBefore = test.cloud.emulator.calls().length;
    const itemsBefore = await tableItems();

    await expect(handleRotateInvoke(test.cloud.rotationDeps(), CONFIG, entry.event)).rejects.toMatchObject({
      name: 'InvalidRequestError',
      message: expect.stringContaining(entry.error),
    });

    const sideEffects = test.cloud.emulator.calls().slice(callsBefore).filter((call) => !READ_ONLY.test(call.operation));
    expect(sideEffects.map((call) => call.operation)).toEqual([]);
    expect(await tableItems()).toBe(itemsBefore);
  });
});
