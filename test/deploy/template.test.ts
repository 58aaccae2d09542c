/**
 * Packages the service with `serverless package` (offline, without AWS credentials) and checks the
 * CloudFormation template and the function's zip that it writes to .serverless/.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';

import { envWithoutAws, expectedRotateStatements, NO_ALIAS_PLACEHOLDER, readZip, repoRoot, runServerless } from './helpers.js';

// `serverless package` took about 5 s on a 2-core machine, most of it esbuild. The limit leaves
// room for a slower CI machine that runs other test files at the same time.
const PACKAGE_TIMEOUT_MS = 180_000;

const STAGE = 'dev';
const REGION = 'us-east-1';
const outputDir = path.join(repoRoot, '.serverless');

type Json = Record<string, any>;
let template: Json;
let resources: Json;
let zipFiles: Map<string, Buffer>;

beforeAll(async () => {
  rmSync(outputDir, { recursive: true, force: true });
  await runServerless(['package', '--stage', STAGE, '--region', REGION], repoRoot, PACKAGE_TIMEOUT_MS);
  template = JSON.parse(readFileSync(path.join(outputDir, 'cloudformation-template-update-stack.json'), 'utf8'));
  resources = template.Resources;
  zipFiles = readZip(path.join(outputDir, 'rotate.zip'));
}, PACKAGE_TIMEOUT_MS);

/** Returns the aliases of rotation.config.yml that the stack of `region` manages, and their replica-Region aliases. */
function managedAliases(region: string): { aliases: string[]; replicaAliases: Array<{ region: string; alias: string }> } {
  const config = YAML.parse(readFileSync(path.join(repoRoot, 'rotation.config.yml'), 'utf8'));
  const managed = config.aliases.filter((entry: Json) => (entry.multiRegion ? entry.regions[0] === region : entry.regions.includes(region)));
  const aliases = managed.map((entry: Json) => entry.alias);
  const replicaAliases = managed
    .filter((entry: Json) => entry.multiRegion)
    .flatMap((entry: Json) => entry.regions.slice(1).map((replicaRegion: string) => ({ region: replicaRegion, alias: entry.alias })));
  return { aliases: aliases.length > 0 ? aliases : [NO_ALIAS_PLACEHOLDER], replicaAliases };
}

function sweepSchedule(): string {
  const config = YAML.parse(readFileSync(path.join(repoRoot, 'rotation.config.yml'), 'utf8'));
  return config.settings?.sweepSchedule ?? 'rate(1 hour)';
}

const toolRoles = { StringNotLike: { 'aws:PrincipalArn': { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/kms-rotator-dev-*' } } };

function statementActions(statement: Json): string[] {
  return ([] as string[]).concat(statement.Action);
}

describe('rotate function', () => {
  it('runtime, architecture, limits and handler', () => {
    const properties = resources.RotateLambdaFunction.Properties;
    expect(resources.RotateLambdaFunction.Type).toBe('AWS::Lambda::Function');
    expect(properties.Runtime).toBe('nodejs22.x');
    expect(properties.Architectures).toEqual(['arm64']);
    expect(properties.Handler).toBe('handlers/rotate.handler');
    expect(properties.FunctionName).toBe('kms-rotator-dev-rotate');
    expect(properties.Timeout).toBe(900);
    expect(properties.MemorySize).toBe(512);
    expect(properties.LoggingConfig).toEqual({ LogFormat: 'JSON' });
  });

  it('environment', () => {
    expect(resources.RotateLambdaFunction.Properties.Environment.Variables).toEqual({
      KMS_ROTATOR_TABLE: { Ref: 'StateTable' },
      KMS_ROTATOR_BUS: { Ref: 'EventBus' },
      KMS_ROTATOR_CONFIG: 'rotation.config.yml',
      KMS_ROTATOR_STAGE: 'dev',
      POWERTOOLS_SERVICE_NAME: 'kms-rotator',
    });
  });

  it('no retries of asynchronous invocations', () => {
    expect(resources.RotateLambdaEvConf.Type).toBe('AWS::Lambda::EventInvokeConfig');
    expect(resources.RotateLambdaEvConf.Properties.MaximumRetryAttempts).toBe(0);
  });

  it('log group keeps logs 365 days', () => {
    expect(resources.RotateLogGroup.Properties).toEqual({ LogGroupName: '/aws/lambda/kms-rotator-dev-rotate', RetentionInDays: 365 });
  });

  it('schedule rule uses settings.sweepSchedule', () => {
    const rules = Object.values(resources).filter((resource: Json) => resource.Type === 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    const rule = rules[0] as Json;
    expect(rule.Properties.ScheduleExpression).toBe(sweepSchedule());
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Targets).toEqual([{ Arn: { 'Fn::GetAtt': ['RotateLambdaFunction', 'Arn'] }, Id: 'rotateSchedule' }]);
  });
});

describe('rotate role', () => {
  it('is the function role, not the provider role', () => {
    expect(resources.RotateLambdaFunction.Properties.Role).toEqual({ 'Fn::GetAtt': ['RotateRole', 'Arn'] });
    expect(resources.IamRoleLambdaExecution).toBeUndefined();
    const roles = Object.keys(resources).filter((name) => resources[name].Type === 'AWS::IAM::Role');
    expect(roles).toEqual(['RotateRole']);
  });

  it('name and trust policy', () => {
    const properties = resources.RotateRole.Properties;
    expect(properties.RoleName).toBe('kms-rotator-dev-us-east-1-rotate');
    expect(properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    expect(properties.ManagedPolicyArns).toBeUndefined();
  });

  it('statements are exactly the listed ones', () => {
    const policies = resources.RotateRole.Properties.Policies;
    expect(policies).toHaveLength(1);
    expect(policies[0].PolicyDocument.Version).toBe('2012-10-17');
    expect(policies[0].PolicyDocument.Statement).toEqual(expectedRotateStatements({ stage: STAGE, ...managedAliases(REGION) }));
  });

  it('ReplicateKey only in ReplicateManagedKeys', () => {
    const statements = resources.RotateRole.Properties.Policies[0].PolicyDocument.Statement;
    const granting = statements.filter((statement: Json) => statementActions(statement).includes('kms:ReplicateKey'));
    expect(granting.map((statement: Json) => statement.Sid)).toEqual(['ReplicateManagedKeys']);
  });

  it('grants no forbidden action', () => {
    const actions = resources.RotateRole.Properties.Policies.flatMap((policy: Json) => policy.PolicyDocument.Statement.flatMap(statementActions));
    const forbidden = [
      'kms:CreateGrant',
      'kms:DeleteAlias',
      'kms:DisableKeyRotation',
      'kms:PutKeyPolicy',
      'kms:DisableKey',
      'kms:ScheduleKeyDeletion',
      'kms:CancelKeyDeletion',
      'kms:RetireGrant',
      'kms:RevokeGrant',
      'kms:UntagResource',
      'kms:CreateAlias',
    ];
    for (const action of forbidden) expect(actions).not.toContain(action);
    for (const action of actions) expect(action).not.toMatch(/\*/);
  });

  it('every statement is an Allow', () => {
    const statements = resources.RotateRole.Properties.Policies[0].PolicyDocument.Statement;
    for (const statement of statements) expect(statement.Effect).toBe('Allow');
  });
});

describe('state table', () => {
  it('keys, billing and recovery', () => {
    const table = resources.StateTable;
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.Properties.TableName).toBe('kms-rotator-dev-state');
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.AttributeDefinitions).toEqual([
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ]);
    expect(table.Properties.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
  });

  it('is retained on delete and replace', () => {
    expect(resources.StateTable.DeletionPolicy).toBe('Retain');
    expect(resources.StateTable.UpdateReplacePolicy).toBe('Retain');
  });

  it('resource policy denies writes by other principals', () => {
    expect(resources.StateTable.Properties.ResourcePolicy).toEqual({
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyWritesExceptKmsRotatorRoles',
            Effect: 'Deny',
            Principal: '*',
            Action: [
              'dynamodb:PutItem',
              'dynamodb:UpdateItem',
              'dynamodb:DeleteItem',
              'dynamodb:BatchWriteItem',
              'dynamodb:PartiQLInsert',
              'dynamodb:PartiQLUpdate',
              'dynamodb:PartiQLDelete',
            ],
            Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/kms-rotator-dev-state' }],
            Condition: toolRoles,
          },
        ],
      },
    });
  });
});

describe('event bus', () => {
  it('name and retention', () => {
    expect(resources.EventBus.Type).toBe('AWS::Events::EventBus');
    expect(resources.EventBus.Properties.Name).toBe('kms-rotator-dev');
    expect(resources.EventBus.DeletionPolicy).toBe('Retain');
    expect(resources.EventBus.UpdateReplacePolicy).toBe('Retain');
  });

  it('policy denies PutEvents by other principals', () => {
    expect(resources.EventBus.Properties.Policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyPutEventsExceptKmsRotatorRoles',
          Effect: 'Deny',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/kms-rotator-dev' },
          Condition: toolRoles,
        },
      ],
    });
  });

  it('table and bus names are outputs', () => {
    expect(template.Outputs.StateTableName.Value).toEqual({ Ref: 'StateTable' });
    expect(template.Outputs.EventBusName.Value).toEqual({ Ref: 'EventBus' });
  });
});

describe('function package', () => {
  let extractDir: string;

  afterAll(() => {
    if (extractDir) rmSync(extractDir, { recursive: true, force: true });
  });

  it('contains the bundle and rotation.config.yml only', () => {
    expect([...zipFiles.keys()].sort()).toEqual(['handlers/rotate.mjs', 'rotation.config.yml']);
    expect(zipFiles.get('rotation.config.yml')?.toString('utf8')).toBe(readFileSync(path.join(repoRoot, 'rotation.config.yml'), 'utf8'));
  });

  it('bundled handler loads in a fresh node process', async () => {
    // Outside the repository, so that no node_modules folder can supply an unbundled import.
    extractDir = mkdtempSync(path.join(tmpdir(), 'kms-rotator-bundle-'));
    for (const [name, content] of zipFiles) {
      mkdirSync(path.dirname(path.join(extractDir, name)), { recursive: true });
      writeFileSync(path.join(extractDir, name), content);
    }

    const handlerUrl = pathToFileURL(path.join(extractDir, 'handlers/rotate.mjs')).href;
    const script = `const module = await import(${JSON.stringify(handlerUrl)}); process.stdout.write(typeof module.handler);`;
    const env = {
      ...envWithoutAws(),
      // Lambda's environment. The endpoint points at a closed loopback port, so a stray AWS call
      // made while the module loads fails locally.
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      KMS_ROTATOR_TABLE: 'kms-rotator-dev-state',
      KMS_ROTATOR_BUS: 'kms-rotator-dev',
      KMS_ROTATOR_CONFIG: 'rotation.config.yml',
      KMS_ROTATOR_STAGE: STAGE,
      POWERTOOLS_SERVICE_NAME: 'kms-rotator',
    };

    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: extractDir, env, timeout: 30_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`Loading the bundled handler failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    expect(output).toBe('function');
  }, 60_000);
});
