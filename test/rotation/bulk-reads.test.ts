import { CreateAliasCommand, CreateKeyCommand } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_TABLE_NAME } from '../../local/cloud.js';
import type { AwsClients } from '../../src/aws/clients.js';
import { parseConfig } from '../../src/config/yaml.js';
import { BulkReads } from '../../src/rotation/bulk-reads.js';
import type { CoreLogger, RotationDeps } from '../../src/rotation/deps.js';
import { sweep } from '../../src/rotation/sweep.js';
import type { PauseRecord } from '../../src/state/records.js';
import { StateTable } from '../../src/state/state-table.js';
import { injectFault } from '../support/faults.js';
import { START, startTestCloud, type TestCloud } from '../support/local-cloud.js';

const REGION = 'us-east-1';
const LEASE_MS = 60_000;

type LogLine = { level: string; message: string; fields: unknown };

function recordingLogger(lines: LogLine[]): CoreLogger {
  const at =
    (level: string) =>
    (message: unknown, ...rest: unknown[]) => {
      lines.push({ level, message: String(message), fields: rest[0] });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as unknown as CoreLogger;
}

function aliasNames(count: number, prefix = 'alias/bulk'): string[] {
  return Array.from({ length: count }, (_unused, index) => `${prefix}-${String(index).padStart(3, '0')}`);
}

/** Calls of one operation that the emulator served since `from`. */
function kmsCalls(test: TestCloud, operation: string, from = 0): number {
  return test.cloud.emulator.calls().slice(from).filter((call) => call.operation === operation).length;
}

/**
 * Records, in order, each BatchGetItem request sent and each ListAliases response received,
 * through middleware on the tool's clients.
 */
function recordOrder(tool: AwsClients): string[] {
  const events: string[] = [];
  tool.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchGetItemCommand') events.push('BatchGetItem sent');
      return next(args);
    },
    { step: 'initialize', name: 'testRecordBatchGetItem' },
  );
  tool.kms.middlewareStack.add(
    (next, context) => async (args) => {
      const output = await next(args);
      if (context.commandName === 'ListAliasesCommand') events.push('ListAliases received');
      return output;
    },
    { step: 'initialize', name: 'testRecordListAliases' },
  );
  return events;
}

describe('BulkReads', () => {
  let test: TestCloud;
  let tool: AwsClients;
  let deps: RotationDeps;
  let logLines: LogLine[];

  beforeEach(async () => {
    test = await startTestCloud();
    logLines = [];
    // Clients of this test's own, so that middleware added here reaches no other test.
    tool = test.cloud.clients();
    deps = test.cloud.rotationDeps({ kms: tool.kms, table: new StateTable(tool.dynamodb, LOCAL_TABLE_NAME), logger: recordingLogger(logLines) });
  });

  afterEach(async () => {
    await test.close();
  });

  /** Creates one key and an alias on it for each name. Returns the key id. */
  async function createAliases(names: string[]): Promise<string> {
    const key = await test.operator.kms.send(new CreateKeyCommand({}));
    const keyId = key.KeyMetadata?.KeyId as string;
    for (const name of names) await test.operator.kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: keyId }));
    return keyId;
  }

  it('returns the target and item of each alias', async () => {
    const keyId = await createAliases(['alias/a', 'alias/b', 'alias/unmanaged']);
    await deps.table.acquireLease(REGION, 'alias/a', 'run-1', START, LEASE_MS);
    await deps.table.acquireLease(REGION, 'alias/missing', 'run-1', START, LEASE_MS);

    const reads = new BulkReads(deps, ['alias/a', 'alias/b', 'alias/missing'], 'run-2');

    expect(await reads.globalPause).toBeUndefined();
    expect(await reads.prefetched('alias/a')).toEqual({
      targetKeyId: keyId,
      item: { alias: 'alias/a', region: REGION, generation: 0, leaseOwner: 'run-1', leaseExpiresAtMs: START + LEASE_MS },
    });
    expect(await reads.prefetched('alias/b')).toEqual({ targetKeyId: keyId, item: undefined });
    expect(await reads.prefetched('alias/missing')).toEqual({
      targetKeyId: undefined,
      item: { alias: 'alias/missing', region: REGION, generation: 0, leaseOwner: 'run-1', leaseExpiresAtMs: START + LEASE_MS },
    });
    expect(await reads.prefetched('alias/unmanaged')).toBeUndefined();
    expect(logLines).toEqual([]);
  });

  it('reads the pause switch in the first batch', async () => {
    await createAliases(['alias/a']);
    const pause: PauseRecord = { reason: 'change freeze', cause: 'person', by: 'arn:aws:iam::111122223333:user/ops', at: '2027-01-01T00:00:00.000Z' };
    await deps.table.setGlobalPause(REGION, pause);

    const reads = new BulkReads(deps, ['alias/a'], 'run-1');

    expect(await reads.globalPause).toEqual(pause);
    await reads.stop();
  });

  it('reads 100 keys per BatchGetItem', async () => {
    const names = aliasNames(250);
    await createAliases(names);
    const batches: number[] = [];
    tool.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const input = (args as { input: { RequestItems: Record<string, { Keys: unknown[] }> } }).input;
        if (context.commandName === 'BatchGetItemCommand') batches.push(Object.values(input.RequestItems)[0]?.Keys.length ?? 0);
        return next(args);
      },
      { step: 'initialize', name: 'testCountKeys' },
    );

    const reads = new BulkReads(deps, names, 'run-1');
    for (const name of names) expect((await reads.prefetched(name))?.targetKeyId).toBeDefined();

    // The first batch carries the pause item beside 99 aliases.
    expect(batches).toEqual([100, 100, 51]);
  });

  it('rejects a batch of more than 100 keys', async () => {
    const names = aliasNames(100);

    await expect(deps.table.getAliasBatch(REGION, names, true)).rejects.toThrow('getAliasBatch reads at most 100 keys, pause item included; it was given 101');
    expect((await deps.table.getAliasBatch(REGION, names)).items.size).toBe(0);
  });

  it('sends batch k after page k of the listing', async () => {
    const names = aliasNames(450);
    await createAliases(names);
    const events = recordOrder(tool);

    const reads = new BulkReads(deps, names, 'run-1');
    for (const name of names) await reads.prefetched(name);

    expect(events.filter((event) => event === 'BatchGetItem sent')).toHaveLength(5);
    expect(events.filter((event) => event === 'ListAliases received')).toHaveLength(5);
    let pages = 0;
    let batches = 0;
    for (const event of events) {
      if (event === 'ListAliases received') pages += 1;
      else {
        expect(batches).toBeLessThanOrEqual(pages);
        batches += 1;
      }
    }
  });

  it('stops listing once every managed alias is found', async () => {
    // Names sort after the managed ones, so the third page lists only unmanaged aliases.
    const managed = aliasNames(150, 'alias/a');
    await createAliases([...managed, ...aliasNames(100, 'alias/z')]);
    const before = test.cloud.emulator.calls().length;

    const reads = new BulkReads(deps, managed, 'run-1');
    for (const name of managed) expect((await reads.prefetched(name))?.targetKeyId).toBeDefined();

    expect(kmsCalls(test, 'ListAliases', before)).toBe(2);
  });

  it('lists all pages while an alias is missing', async () => {
    const managed = [...aliasNames(150, 'alias/a'), 'alias/missing'];
    await createAliases([...aliasNames(150, 'alias/a'), ...aliasNames(100, 'alias/z')]);
    const before = test.cloud.emulator.calls().length;

    const reads = new BulkReads(deps, managed, 'run-1');
    expect(await reads.prefetched('alias/missing')).toEqual({ targetKeyId: undefined, item: undefined });

    expect(kmsCalls(test, 'ListAliases', before)).toBe(3);
  });

  it('lists nothing without managed aliases', async () => {
    await createAliases(['alias/a']);
    const before = test.cloud.emulator.calls().length;

    const reads = new BulkReads(deps, [], 'run-1');

    expect(await reads.globalPause).toBeUndefined();
    await reads.stop();
    expect(kmsCalls(test, 'ListAliases', before)).toBe(0);
  });

  it('gives up on a failed listing', async () => {
    await createAliases(['alias/a', 'alias/b']);
    const fault = injectFault([tool.kms], 1, 'error');

    const reads = new BulkReads(deps, ['alias/a', 'alias/b'], 'run-1');

    // The pause switch comes from the table, so it is read all the same.
    expect(await reads.globalPause).toBeUndefined();
    expect(await reads.prefetched('alias/a')).toBeUndefined();
    expect(await reads.prefetched('alias/b')).toBeUndefined();
    expect(fault.failed()).toBe('ListAliasesCommand');
    expect(logLines).toEqual([
      {
        level: 'warn',
        message: 'Could not read the alias targets and items in bulk',
        fields: { runId: 'run-1', region: 'us-east-1', error: 'TimeoutError: Injected error at call 1 (ListAliasesCommand)' },
      },
    ]);
  });

  it('rejects the pause switch when the first batch fails', async () => {
    await createAliases(['alias/a']);
    injectFault([tool.dynamodb], 1, 'error');

    const reads = new BulkReads(deps, ['alias/a'], 'run-1');

    await expect(reads.globalPause).rejects.toThrow('Injected error at call 1 (BatchGetItemCommand)');
    expect(await reads.prefetched('alias/a')).toBeUndefined();
    expect(logLines.map((line) => line.level)).toEqual(['warn']);
  });

  it('sends nothing after stop', async () => {
    const names = aliasNames(450);
    await createAliases(names);
    const events = recordOrder(tool);

    const reads = new BulkReads(deps, names, 'run-1');
    await reads.globalPause;
    await reads.stop();
    const sent = events.length;
    const calls = test.cloud.emulator.calls().length;
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(events.length).toBe(sent);
    expect(test.cloud.emulator.calls().length).toBe(calls);
    expect(await reads.prefetched(names[0] as string)).toBeUndefined();
  });

  it('leaves the sweep to plan each alias after a failed listing', async () => {
    const names = ['alias/a', 'alias/b', 'alias/c'];
    await createAliases(names);
    const config = parseConfig(`aliases:\n${names.map((name) => `  - alias: ${name}\n    regions: [${REGION}]\n    period: 90d\n`).join('')}`);
    // The first sweep adopts the keys; the second finds them not due.
    expect((await sweep(deps, config, 'run-1')).aliases.map((outcome) => outcome.outcome)).toEqual(['not-due', 'not-due', 'not-due']);
    const before = test.cloud.emulator.calls().length;
    injectFault([tool.kms], 1, 'error');

    const result = await sweep(deps, config, 'run-2');

    expect(result.aliases.map((outcome) => outcome.outcome)).toEqual(['not-due', 'not-due', 'not-due']);
    expect(kmsCalls(test, 'DescribeKey', before)).toBe(3);
    expect(logLines.filter((line) => line.level === 'warn')).toEqual([
      {
        level: 'warn',
        message: 'Could not read the alias targets and items in bulk',
        fields: { runId: 'run-2', region: 'us-east-1', error: 'TimeoutError: Injected error at call 1 (ListAliasesCommand)' },
      },
    ]);
  });

  it('gives up on keys DynamoDB keeps leaving unprocessed', async () => {
    await createAliases(['alias/a']);
    let batchCalls = 0;
    // Every BatchGetItem response returns the pause key unprocessed, as a throttled table would.
    tool.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName !== 'BatchGetItemCommand') return result;
        batchCalls += 1;
        const [table, request] = Object.entries((args.input as { RequestItems: Record<string, { Keys: Array<{ pk: { S: string } }> }> }).RequestItems)[0] as [
          string,
          { Keys: Array<{ pk: { S: string } }> },
        ];
        const pauseKeys = request.Keys.filter((key) => key.pk.S.startsWith('SETTINGS#'));
        if (pauseKeys.length > 0) (result.output as { UnprocessedKeys?: unknown }).UnprocessedKeys = { [table]: { Keys: pauseKeys } };
        return result;
      },
      { step: 'initialize', name: 'testKeepPauseUnprocessed' },
    );
    const config = parseConfig('aliases:\n  - alias: alias/a\n    regions: [us-east-1]\n    period: 90d\n');

    const result = await sweep(deps, config, 'run-1');

    expect(result.aliases.map((outcome) => outcome.outcome)).toEqual(['not-due']);
    expect(batchCalls).toBe(8);
    expect(logLines.filter((line) => line.level === 'warn')).toEqual([
      {
        level: 'warn',
        message: 'Could not read the alias targets and items in bulk',
        fields: { runId: 'run-1', region: 'us-east-1', error: 'Error: BatchGetItem left 1 keys of kms-rotator-local-state unprocessed after 8 attempts' },
      },
    ]);
  }, 30_000);
});
