import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { RetireSweepResult } from '../../src/retirement/sweep.js';
import { StateTable } from '../../src/state/state-table.js';
import { LOCAL_TABLE_NAME, startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { operatorIdentity } from '../../local/identities.js';
import type { AwsClients } from '../../src/aws/clients.js';
import { createAliasedKey } from '../support/local-cloud.js';
import { expand, loadCorpus, sideEffectsSince, snapshot } from './bad-input-support.js';
import { stubHandlerEnvironment } from '../support/handler-env.js';

interface RetireCase {
  name: string;
  event: unknown;
  /** Text the InvalidRetireEventError message must contain; it names the field at fault. */
  error: string;
}

type Handler = (event: unknown) => Promise<unknown>;

const CASES = loadCorpus<RetireCase>('retire').map((entry) => ({ ...entry, event: expand(entry.event) }));
const ALIAS = 'alias/demo-payments';
const YEAR_MS = 365 * 86_400_000;

describe('retire function bad input', () => {
  let cloud: LocalCloud;
  let operator: AwsClients;
  let handler: Handler;
  let supersededArn: string;

  beforeAll(async () => {
    cloud = await startLocalCloud({ clock: systemClock });
    operator = cloud.clients(operatorIdentity);
    // A generation superseded a year ago is due for a disable request, so any sweep that runs
    // files one: a table write and a PutEvents that the checks below would see.
    const superseded = await createAliasedKey(operator.kms, 'alias/retired-in-test');
    supersededArn = superseded.Arn as string;
    const current = await createAliasedKey(operator.kms, ALIAS);
    const table = new StateTable(operator.dynamodb, LOCAL_TABLE_NAME);
    const longAgo = new Date(Date.now() - YEAR_MS).toISOString();
    await table.putGeneration({ alias: ALIAS, region: 'us-east-1', generation: 1, keyId: superseded.KeyId as string, keyArn: supersededArn, state: 'superseded', source: 'adopted', recordedAt: longAgo, supersededAt: longAgo });
    await table.putGeneration({ alias: ALIAS, region: 'us-east-1', generation: 2, keyId: current.KeyId as string, keyArn: current.Arn as string, state: 'current', source: 'rotated', recordedAt: longAgo, promotedAt: longAgo });

    stubHandlerEnvironment(cloud, 'test/fixtures/handler.config.json', { AWS_ENDPOINT_URL_STS: `${cloud.endpoints.kms}/`, KMS_ROTATOR_STAGE: 'test' });
    handler = (await import('../../handlers/retire.js')).handler as Handler;
  }, 60_000);

  afterAll(async () => {
    vi.unstubAllEnvs();
    await cloud.close();
  });

  it.each(CASES.map((entry) => [entry.name, entry] as const))('rejects %s', async (_name, entry) => {
    const before = await snapshot(cloud, operator.dynamodb);

    const error = (await handler(entry.event).then(
      () => undefined,
      (thrown: unknown) => thrown,
    )) as Error | undefined;

    expect(error?.name).toBe('InvalidRetireEventError');
    expect(error?.message).toContain(entry.error);
    // The message quotes at most 80 characters of a value, so an oversized event gives a short error.
    expect(error?.message.length).toBeLessThan(500);

    expect(cloud.emulator.calls().length).toBe(before.calls);
    expect(sideEffectsSince(cloud, before)).toEqual([]);
    expect((await snapshot(cloud, operator.dynamodb)).table).toBe(before.table);
  });

  // Runs last: it shows that the setup is one where a sweep that ran would have been seen.
  it('sweeps on the scheduled event', async () => {
    const before = await snapshot(cloud, operator.dynamodb);

    const result = (await handler(expand({ source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2027-01-01T00:00:00Z', detail: {}, account: '111122223333' }))) as RetireSweepResult;

    expect(result.filed).toEqual([{ requestId: expect.any(String), keyArn: supersededArn, alias: ALIAS, action: 'disable' }]);
    expect(sideEffectsSince(cloud, before)).toContain('PutEvents');
    expect((await snapshot(cloud, operator.dynamodb)).table).not.toBe(before.table);
  });
});
