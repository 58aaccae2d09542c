/** What every bad-input corpus test shares: loading a corpus, and the two "nothing changed" checks. */
import { readFileSync } from 'node:fs';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LocalCloud } from '../../local/cloud.js';
import { LOCAL_TABLE_NAME } from '../../local/cloud.js';

/** Operations that only read; any other emulator call (CreateKey, PutEvents, DisableKey, ...) is a side effect. */
export const READ_ONLY = /^(Describe|Get|List|LookupEvents$)/;

/** Expands `"REPEAT:<text>:<count>"` strings, so that oversized payloads stay short in the corpus. */
export function expand(value: unknown): unknown {
  if (typeof value === 'string') {
    const repeat = /^REPEAT:(.*):(\d+)$/s.exec(value);
    return repeat ? (repeat[1] ?? '').repeat(Number(repeat[2])) : value;
  }
  if (Array.isArray(value)) return value.map(expand);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, expand(entry)]));
  return value;
}

/** Reads `bad-input/<name>.json`, an array of cases, each with a `name`. */
export function loadCorpus<T extends { name: string }>(name: string): T[] {
  return JSON.parse(readFileSync(new URL(`./bad-input/${name}.json`, import.meta.url), 'utf8')) as T[];
}

/** Returns every item of the state table, in scan order, as JSON. */
export async function scanTable(dynamodb: DynamoDBClient): Promise<string> {
  const items: unknown[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: LOCAL_TABLE_NAME, ...(startKey ? { ExclusiveStartKey: startKey as never } : {}) }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return JSON.stringify(items);
}

/** Records the emulator's call count and the table, to compare after one case. */
export async function snapshot(cloud: LocalCloud, dynamodb: DynamoDBClient): Promise<{ calls: number; table: string }> {
  return { calls: cloud.emulator.calls().length, table: await scanTable(dynamodb) };
}

/** Returns the operations with a side effect that the emulator served since `before`. */
export function sideEffectsSince(cloud: LocalCloud, before: { calls: number }): string[] {
  return cloud.emulator.calls().slice(before.calls).filter((call) => !READ_ONLY.test(call.operation)).map((call) => call.operation);
}
