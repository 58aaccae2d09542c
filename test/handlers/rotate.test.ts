import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { operatorIdentity } from '../../local/identities.js';
import { bundleHandler } from '../support/bundle.js';
import { createAliasedKey } from '../support/local-cloud.js';
import { stubHandlerEnvironment } from '../support/handler-env.js';

type Handler = (event: unknown) => Promise<unknown>;

function sampleEvent(name: string): unknown {
  return JSON.parse(readFileSync(`events/${name}.json`, 'utf8'));
}

const variants: Array<{ name: string; load: () => Promise<Handler> }> = [
  { name: 'source', load: async () => (await import('../../handlers/rotate.js')).handler as Handler },
  { name: 'esbuild bundle', load: async () => (await import(pathToFileURL(await bundleHandler('handlers/rotate.ts')).href)).handler as Handler },
];

describe.each(variants)('rotate handler ($name)', ({ load }) => {
  let cloud: LocalCloud;
  let handler: Handler;
  let demoKeyId: string;

  beforeAll(async () => {
    cloud = await startLocalCloud({ clock: systemClock });
    const operator = cloud.clients(operatorIdentity);
    demoKeyId = (await createAliasedKey(operator.kms, 'alias/demo-payments')).KeyId as string;
    await createAliasedKey(operator.kms, 'alias/not-configured');

    stubHandlerEnvironment(cloud, 'test/fixtures/handler.config.json');
    handler = await load();
  }, 60_000);

  afterAll(async () => {
    vi.unstubAllEnvs();
    await cloud.close();
  });

  it('sweeps on the scheduled event and leaves a new key', async () => {
    const result = (await handler(sampleEvent('scheduled'))) as { aliases: unknown[] };

    expect(result.aliases).toEqual([
      { alias: 'alias/demo-payments', region: 'us-east-1', outcome: 'not-due', currentKeyId: demoKeyId, keyAgeDays: 0 },
    ]);
  });

  it('rotates on the manual event', async () => {
    const result = (await handler(sampleEvent('manual-rotation'))) as { outcome: string; previousKeyId: string; currentKeyId: string };

    expect(result.outcome).toBe('rotated');
    expect(result.previousKeyId).toBe(demoKeyId);
    const target = await cloud.clients(operatorIdentity).kms.send(new DescribeKeyCommand({ KeyId: 'alias/demo-payments' }));
    expect(target.KeyMetadata?.KeyId).toBe(result.currentKeyId);
    demoKeyId = result.currentKeyId;
  });

  it.each([
    ['empty', 'Invalid rotation request: field alias is missing; field reason is missing'],
    ['missing-reason', 'Invalid rotation request: field reason is missing'],
    ['unmanaged-alias', 'The alias alias/not-configured is not managed in us-east-1: only aliases listed for this Region in rotation.config.yml can be rotated'],
    ['alias-without-prefix', 'Invalid rotation request: field alias must be an alias name such as alias/payments'],
    ['unknown-field', 'Invalid rotation request: field force must be true'],
    ['wrong-types', 'Invalid rotation request: field alias must be of type string, received an array; field reason must be of type string, received a number'],
    ['other-detail-type', 'Invalid scheduled event: field detail-type must be "Scheduled Event"'],
  ])('rejects the %s event and changes nothing', async (name, message) => {
    const callsBefore = cloud.emulator.calls().length;

    await expect(handler(sampleEvent(`invalid/${name}`))).rejects.toMatchObject({ name: 'InvalidRequestError', message });

    expect(cloud.emulator.calls().length).toBe(callsBefore);
  });
});
