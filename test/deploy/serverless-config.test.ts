import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';

import { parseSchedule } from '../../src/schedule.js';
import { resolveServerlessConfig, scheduleExpressions } from '../../local/serverless-config.js';
import { aliasArn, expectedRotateStatements, makeServiceCopy, NO_ALIAS_PLACEHOLDER, NO_REPLICA_REGION_PLACEHOLDER, repoRoot } from './helpers.js';

// One `serverless print` took about 1.5 s on a 2-core machine.
const PRINT_TIMEOUT_MS = 60_000;

type Json = Record<string, any>;

describe('resolveServerlessConfig', () => {
  const brokenDir = mkdtempSync(path.join(tmpdir(), 'kms-rotator-broken-sls-'));

  afterAll(() => rmSync(brokenDir, { recursive: true, force: true }));

  it('resolves the sweep schedule', async () => {
    const resolved = await resolveServerlessConfig(repoRoot);
    const expressions = scheduleExpressions(resolved, 'rotate');
    expect(expressions).toEqual(['rate(1 hour)']);
    for (const expression of expressions) expect(parseSchedule(expression).expression).toBe(expression);
  }, PRINT_TIMEOUT_MS);

  it('resolves alias ARNs per Region', async () => {
    const inConfiguredRegion = (await resolveServerlessConfig(repoRoot, { stage: 'prod', region: 'us-east-1' })) as Json;
    const statements = inConfiguredRegion.resources.Resources.RotateRole.Properties.Policies[0].PolicyDocument.Statement;
    const moveAliases = statements.find((statement: Json) => statement.Sid === 'MoveConfiguredAliases');
    const configured = createRequire(import.meta.url)('../../deploy/config-vars.cjs').aliasesInRegion(
      YAML.parse(readFileSync(path.join(repoRoot, 'rotation.config.yml'), 'utf8')),
      'us-east-1',
    );
    expect(configured).toContain('alias/demo-payments');
    expect(moveAliases.Resource).toEqual(
      configured.map((alias: string) => ({
        'Fn::Sub': `arn:\${AWS::Partition}:kms:\${AWS::Region}:\${AWS::AccountId}:${alias}`,
      })),
    );
    expect(inConfiguredRegion.resources.Resources.RotateRole.Properties.RoleName).toBe('kms-rotator-prod-us-east-1-rotate');
  }, PRINT_TIMEOUT_MS);

  it('Region without aliases gets a placeholder that matches nothing', async () => {
    const resolved = (await resolveServerlessConfig(repoRoot, { region: 'eu-west-1' })) as Json;
    const statements = resolved.resources.Resources.RotateRole.Properties.Policies[0].PolicyDocument.Statement;
    const adopt = statements.find((statement: Json) => statement.Sid === 'AdoptConfiguredKeys');
    const moveAliases = statements.find((statement: Json) => statement.Sid === 'MoveConfiguredAliases');
    expect(adopt.Condition['ForAnyValue:StringEquals']['kms:ResourceAliases']).toEqual(['alias/aws/kms-rotator-no-alias-configured']);
    expect(moveAliases.Resource).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/kms-rotator-no-alias-configured' },
    ]);
  }, PRINT_TIMEOUT_MS);

  it('config without multi-Region aliases gets replica placeholders', async () => {
    const resolved = (await resolveServerlessConfig(repoRoot, { stage: 'prod', region: 'us-east-1' })) as Json;
    const statements = resolved.resources.Resources.RotateRole.Properties.Policies[0].PolicyDocument.Statement;
    const moveReplicaAliases = statements.find((statement: Json) => statement.Sid === 'MoveReplicaRegionAliases');
    const replicate = statements.find((statement: Json) => statement.Sid === 'ReplicateManagedKeys');
    expect(moveReplicaAliases.Resource).toEqual([aliasArn('${AWS::Region}', NO_ALIAS_PLACEHOLDER)]);
    expect(replicate.Condition.StringEquals['kms:ReplicaRegion']).toEqual([NO_REPLICA_REGION_PLACEHOLDER]);
  }, PRINT_TIMEOUT_MS);

  it('reports a failing configuration', async () => {
    writeFileSync(path.join(brokenDir, 'serverless.yml'), 'service: broken\nprovider:\n  name: aws\n  runtime: nodejs22.x\nunknownKey: 1\nconfigValidationMode: error\n');
    await expect(resolveServerlessConfig(brokenDir)).rejects.toThrow(/`serverless print --format json` in .*kms-rotator-broken-sls-.* failed/);
  }, PRINT_TIMEOUT_MS);
});

// alias/mr-global: primary us-east-1, replicas eu-west-1 and ap-southeast-2.
// alias/mr-europe: primary eu-west-1, replica us-east-1.
// alias/single: a single-Region alias in us-east-1 and eu-west-1 alike.
const MULTI_REGION_CONFIG = `settings:
  sweepSchedule: rate(1 hour)
aliases:
  - alias: alias/single
    regions: [us-east-1, eu-west-1]
    period: 90d
  - alias: alias/mr-global
    regions: [us-east-1, eu-west-1, ap-southeast-2]
    period: 90d
    multiRegion: true
  - alias: alias/mr-europe
    regions: [eu-west-1, us-east-1]
    period: 30d
    multiRegion: true
`;

describe('rotate role with multi-Region aliases', () => {
  const serviceDir = makeServiceCopy('kms-rotator-multi-region-sls-', MULTI_REGION_CONFIG);

  // Start the three prints at once, so the tests find them in resolveServerlessConfig's cache. A
  // failure is ignored here because the cache drops it and the test's own call reports it.
  beforeAll(() => {
    for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-2']) resolveServerlessConfig(serviceDir, { region }).catch(() => undefined);
  });

  afterAll(() => rmSync(serviceDir, { recursive: true, force: true }));

  async function rotateStatements(region: string): Promise<Json[]> {
    const resolved = (await resolveServerlessConfig(serviceDir, { region })) as Json;
    return resolved.resources.Resources.RotateRole.Properties.Policies[0].PolicyDocument.Statement;
  }

  it('primary stack gets replica alias ARNs and Regions', async () => {
    expect(await rotateStatements('us-east-1')).toEqual(
      expectedRotateStatements({
        stage: 'dev',
        aliases: ['alias/single', 'alias/mr-global'],
        replicaAliases: [
          { region: 'eu-west-1', alias: 'alias/mr-global' },
          { region: 'ap-southeast-2', alias: 'alias/mr-global' },
        ],
      }),
    );
  }, PRINT_TIMEOUT_MS);

  it('stack that is primary and replica gets only its own', async () => {
    expect(await rotateStatements('eu-west-1')).toEqual(
      expectedRotateStatements({
        stage: 'dev',
        aliases: ['alias/single', 'alias/mr-europe'],
        replicaAliases: [{ region: 'us-east-1', alias: 'alias/mr-europe' }],
      }),
    );
  }, PRINT_TIMEOUT_MS);

  it('replica-only stack gets placeholders', async () => {
    expect(await rotateStatements('ap-southeast-2')).toEqual(
      expectedRotateStatements({ stage: 'dev', aliases: [NO_ALIAS_PLACEHOLDER], replicaAliases: [] }),
    );
  }, PRINT_TIMEOUT_MS);
});

describe('scheduleExpressions', () => {
  it('reads string, list and object forms', () => {
    const resolved = {
      functions: {
        sweep: {
          events: [
            { schedule: 'rate(5 minutes)' },
            { schedule: { rate: ['cron(0 10 * * ? *)', 'rate(1 day)'] } },
            { schedule: { rate: 'rate(2 hours)', enabled: true } },
            { schedule: { rate: ['rate(3 hours)'], enabled: false } },
            { eventBridge: { pattern: { source: ['aws.kms'] } } },
          ],
        },
      },
    };
    expect(scheduleExpressions(resolved, 'sweep')).toEqual(['rate(5 minutes)', 'cron(0 10 * * ? *)', 'rate(1 day)', 'rate(2 hours)']);
  });

  it('function without events', () => {
    expect(scheduleExpressions({ functions: { quiet: { handler: 'x.handler' } } }, 'quiet')).toEqual([]);
  });

  it('unknown function', () => {
    expect(() => scheduleExpressions({ functions: { rotate: {} } }, 'missing')).toThrow('serverless.yml defines no function "missing" (functions: rotate)');
  });
});
