import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { EncryptCommand } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { operatorIdentity, toolIdentity } from '../../local/identities.js';
import { keyTrailEvents } from '../../src/retirement/cloudtrail.js';
import { toolRolePatterns } from '../../src/retirement/deps.js';
import { isToolPrincipal } from '../../src/retirement/key-facts.js';
import { countCalls, createAliasedKey, startTestCloud, type TestCloud } from '../support/local-cloud.js';

const toolCredentials = { accessKeyId: toolIdentity.accessKeyId, secretAccessKey: toolIdentity.secretAccessKey };

describe('CloudTrail LookupEvents of a key', () => {
  let test: TestCloud;

  beforeEach(async () => {
    test = await startTestCloud();
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    await test.close();
  });

  it('reads every page', async () => {
    const key = await createAliasedKey(test.operator.kms, 'alias/orders');
    // 60 Encrypt calls plus CreateKey and CreateAlias span two pages of 50.
    for (let index = 0; index < 60; index += 1) {
      await test.operator.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from(`sample ${index}`) }));
    }
    const cloudtrail = new CloudTrailClient({ region: test.cloud.region, endpoint: test.cloud.emulator.endpoint, credentials: toolCredentials });

    const events = await keyTrailEvents(cloudtrail, key.Arn as string, new Date(test.clock.now().getTime() - 3_600_000), new Date(test.clock.now().getTime() + 1000));

    const encrypts = events.filter((event) => event.eventName === 'Encrypt');
    expect(countCalls(test.cloud, 'LookupEvents')).toBe(2);
    expect(encrypts).toHaveLength(60);
    expect(new Set(events.map((event) => event.eventId)).size).toBe(events.length);
    expect(encrypts[0]?.principal).toBe(operatorIdentity.arn);
    expect(encrypts[0]?.eventTime).toBeInstanceOf(Date);
  });

  it('follows AWS_ENDPOINT_URL_CLOUDTRAIL', async () => {
    const key = await createAliasedKey(test.operator.kms, 'alias/orders');
    vi.stubEnv('AWS_ENDPOINT_URL_CLOUDTRAIL', test.cloud.emulator.endpoint);
    const cloudtrail = new CloudTrailClient({ region: test.cloud.region, credentials: toolCredentials });

    const events = await keyTrailEvents(cloudtrail, key.Arn as string, new Date(test.clock.now().getTime() - 3_600_000), new Date(test.clock.now().getTime() + 1000));

    expect(events.map((event) => event.eventName).sort()).toEqual(['CreateAlias', 'CreateKey']);
  });
});

describe('tool role patterns', () => {
  it('match only the roles of the stage', () => {
    const deps = { toolRolePatterns: toolRolePatterns('prod') };

    expect(isToolPrincipal(deps, 'arn:aws:sts::111122223333:assumed-role/kms-rotator-prod-eu-west-1-rotate/session')).toBe(true);
    expect(isToolPrincipal(deps, 'arn:aws:iam::111122223333:role/kms-rotator-prod-us-east-1-audit')).toBe(true);
    expect(isToolPrincipal(deps, 'arn:aws:iam::111122223333:role/kms-rotator-dev-us-east-1-rotate')).toBe(false);
    expect(isToolPrincipal(deps, 'arn:aws:iam::111122223333:role/kms-rotator-prod-us-east-1-other')).toBe(false);
  });
});
