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

import {
  envWithoutAws,
  expectedApprovalStatements,
  expectedAuditStatements,
  expectedRetireStatements,
  expectedRotateStatements,
  FUNCTION_NAMES,
  type FunctionName,
  matchesIamPattern,
  NO_ALIAS_PLACEHOLDER,
  readZip,
  repoRoot,
  runServerless,
} from './helpers.js';
import { actionsOf, DESTRUCTIVE_KMS_ACTIONS, functionsAllowed, MANAGED_KEYS_ONLY_ACTIONS } from './permission-matrix.js';

// `serverless package` took about 5 s on a 2-core machine, most of it esbuild. The limit leaves
// room for a slower CI machine that runs other test files at the same time.
const PACKAGE_TIMEOUT_MS = 180_000;

const STAGE = 'dev';
const REGION = 'us-east-1';
const outputDir = path.join(repoRoot, '.serverless');

type Json = Record<string, any>;
let template: Json;
let resources: Json;
const zipFiles = new Map<FunctionName, Map<string, Buffer>>();

beforeAll(async () => {
  rmSync(outputDir, { recursive: true, force: true });
  await runServerless(['package', '--stage', STAGE, '--region', REGION], repoRoot, PACKAGE_TIMEOUT_MS);
  template = JSON.parse(readFileSync(path.join(outputDir, 'cloudformation-template-update-stack.json'), 'utf8'));
  resources = template.Resources;
  for (const name of FUNCTION_NAMES) zipFiles.set(name, readZip(path.join(outputDir, `${name}.zip`)));
}, PACKAGE_TIMEOUT_MS);

/** Logical ids that osls and serverless.yml give each function's resources. */
const LOGICAL_IDS: Record<FunctionName, { function: string; role: string; logGroup: string }> = {
  rotate: { function: 'RotateLambdaFunction', role: 'RotateRole', logGroup: 'RotateLogGroup' },
  retire: { function: 'RetireLambdaFunction', role: 'RetireRole', logGroup: 'RetireLogGroup' },
  approval: { function: 'ApprovalLambdaFunction', role: 'ApprovalRole', logGroup: 'ApprovalLogGroup' },
  audit: { function: 'AuditLambdaFunction', role: 'AuditRole', logGroup: 'AuditLogGroup' },
};

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

function retireSchedule(): string {
  const config = YAML.parse(readFileSync(path.join(repoRoot, 'rotation.config.yml'), 'utf8'));
  return config.settings?.retireSchedule ?? 'rate(1 day)';
}

/** Returns the logical ids of the resources of type `type`, in template order. */
function resourcesOfType(type: string): string[] {
  return Object.keys(resources).filter((logicalId) => resources[logicalId].Type === type);
}

/** Returns the EventBridge rules whose only target is the function `name`. */
function rulesTargeting(name: FunctionName): Json[] {
  const functionArn = { 'Fn::GetAtt': [LOGICAL_IDS[name].function, 'Arn'] };
  return resourcesOfType('AWS::Events::Rule')
    .map((logicalId) => resources[logicalId])
    .filter((rule) => rule.Properties.Targets.length === 1 && JSON.stringify(rule.Properties.Targets[0].Arn) === JSON.stringify(functionArn));
}

/** Returns every statement of every inline policy of a role. */
function roleStatements(roleLogicalId: string): Json[] {
  return resources[roleLogicalId].Properties.Policies.flatMap((policy: Json) => policy.PolicyDocument.Statement);
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
      KMS_ROTATOR_CONFIG: '.kms-rotator/rotation.config.json',
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
    const rules = rulesTargeting('rotate');
    expect(rules).toHaveLength(1);
    const rule = rules[0]!;
    expect(rule.Properties.ScheduleExpression).toBe(sweepSchedule());
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Targets).toEqual([{ Arn: { 'Fn::GetAtt': ['RotateLambdaFunction', 'Arn'] }, Id: 'rotateSchedule' }]);
  });
});

describe('rotate role', () => {
  it('is the function role, not the provider role', () => {
    expect(resources.RotateLambdaFunction.Properties.Role).toEqual({ 'Fn::GetAtt': ['RotateRole', 'Arn'] });
    expect(resources.IamRoleLambdaExecution).toBeUndefined();
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


describe('every function', () => {
  it.each(FUNCTION_NAMES)('%s: runtime, handler and name', (name) => {
    const properties = resources[LOGICAL_IDS[name].function].Properties;
    expect(properties.Runtime).toBe('nodejs22.x');
    expect(properties.Architectures).toEqual(['arm64']);
    expect(properties.Handler).toBe(`handlers/${name}.handler`);
    expect(properties.FunctionName).toBe(`kms-rotator-dev-${name}`);
    expect(properties.LoggingConfig).toEqual({ LogFormat: 'JSON' });
  });

  it.each(FUNCTION_NAMES)('%s: environment', (name) => {
    expect(resources[LOGICAL_IDS[name].function].Properties.Environment.Variables).toEqual({
      KMS_ROTATOR_TABLE: { Ref: 'StateTable' },
      KMS_ROTATOR_BUS: { Ref: 'EventBus' },
      KMS_ROTATOR_CONFIG: '.kms-rotator/rotation.config.json',
      KMS_ROTATOR_STAGE: 'dev',
      POWERTOOLS_SERVICE_NAME: 'kms-rotator',
    });
  });

  it.each(FUNCTION_NAMES)('%s: log group keeps logs 365 days', (name) => {
    expect(resources[LOGICAL_IDS[name].logGroup].Properties).toEqual({ LogGroupName: `/aws/lambda/kms-rotator-dev-${name}`, RetentionInDays: 365 });
  });

  it('no rules but the functions\' own', () => {
    const ruleCount = FUNCTION_NAMES.map((name) => rulesTargeting(name).length);
    expect(ruleCount).toEqual([1, 1, 0, 2]);
    expect(resourcesOfType('AWS::Events::Rule')).toHaveLength(4);
  });

  it.each(FUNCTION_NAMES)('%s: runs with its own role', (name) => {
    expect(resources[LOGICAL_IDS[name].function].Properties.Role).toEqual({ 'Fn::GetAtt': [LOGICAL_IDS[name].role, 'Arn'] });
  });
});

describe('every role', () => {
  const expectedStatements: Record<FunctionName, () => Json[]> = {
    rotate: () => expectedRotateStatements({ stage: STAGE, ...managedAliases(REGION) }),
    retire: () => expectedRetireStatements(STAGE),
    approval: () => expectedApprovalStatements(STAGE),
    audit: () => expectedAuditStatements(STAGE),
  };

  it('one role per function and no provider role', () => {
    expect(resourcesOfType('AWS::IAM::Role')).toEqual(FUNCTION_NAMES.map((name) => LOGICAL_IDS[name].role));
    expect(resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it.each(FUNCTION_NAMES)('%s: name and trust policy', (name) => {
    const properties = resources[LOGICAL_IDS[name].role].Properties;
    expect(properties.RoleName).toBe(`kms-rotator-dev-us-east-1-${name}`);
    expect(properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    expect(properties.ManagedPolicyArns).toBeUndefined();
    expect(properties.PermissionsBoundary).toBeUndefined();
  });

  it.each(FUNCTION_NAMES)('%s: statements are exactly the listed ones', (name) => {
    const policies = resources[LOGICAL_IDS[name].role].Properties.Policies;
    expect(policies).toHaveLength(1);
    expect(policies[0].PolicyName).toBe(name);
    expect(policies[0].PolicyDocument.Version).toBe('2012-10-17');
    expect(policies[0].PolicyDocument.Statement).toEqual(expectedStatements[name]());
  });

  it('no other resource grants IAM permissions', () => {
    for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::User', 'AWS::IAM::Group']) expect(resourcesOfType(type)).toEqual([]);
  });
});

describe('least privilege', () => {
  it.each(FUNCTION_NAMES)('%s: holds exactly its actions from the matrix', (name) => {
    const granted = [...new Set(roleStatements(LOGICAL_IDS[name].role).flatMap(statementActions))].sort();
    expect(granted).toEqual(actionsOf(name));
  });

  it.each(FUNCTION_NAMES)('%s: only Allow statements with Action and Resource', (name) => {
    for (const statement of roleStatements(LOGICAL_IDS[name].role)) {
      expect(statement.Effect).toBe('Allow');
      expect(statement).not.toHaveProperty('NotAction');
      expect(statement).not.toHaveProperty('NotResource');
      expect(statement).toHaveProperty('Resource');
    }
  });

  it.each(FUNCTION_NAMES)('%s: no wildcard in any action', (name) => {
    for (const action of roleStatements(LOGICAL_IDS[name].role).flatMap(statementActions)) expect(action).not.toMatch(/[*?]/);
  });

  it.each(DESTRUCTIVE_KMS_ACTIONS)('%s only where the matrix puts it', (action) => {
    const holders = FUNCTION_NAMES.filter((name) => roleStatements(LOGICAL_IDS[name].role).some((statement) => statementActions(statement).includes(action)));
    expect(holders).toEqual(functionsAllowed(action));
  });

  it('destructive actions go to the approval role only', () => {
    const destructive: readonly string[] = DESTRUCTIVE_KMS_ACTIONS;
    expect(DESTRUCTIVE_KMS_ACTIONS.filter((action) => functionsAllowed(action).length > 0)).toEqual(['kms:DisableKey', 'kms:ScheduleKeyDeletion']);
    expect(FUNCTION_NAMES.filter((name) => actionsOf(name).some((action) => destructive.includes(action)))).toEqual(['approval']);
  });

  it.each(MANAGED_KEYS_ONLY_ACTIONS)('%s always requires the managed tag', (action) => {
    for (const name of FUNCTION_NAMES) {
      const granting = roleStatements(LOGICAL_IDS[name].role).filter((statement) => statementActions(statement).includes(action));
      for (const statement of granting) {
        expect(statement.Condition, `${name} ${statement.Sid}`).toEqual({ StringEquals: { 'aws:ResourceTag/kms-rotator:managed': 'true' } });
        expect(statement.Resource, `${name} ${statement.Sid}`).not.toBe('*');
      }
    }
  });

  it('CancelKeyDeletion only in the audit role', () => {
    expect(functionsAllowed('kms:CancelKeyDeletion')).toEqual(['audit']);
    const holders = FUNCTION_NAMES.filter((name) => actionsOf(name).includes('kms:CancelKeyDeletion'));
    expect(holders).toEqual(['audit']);
  });

  it('each role invokes only its own function', () => {
    for (const name of FUNCTION_NAMES) {
      const granting = roleStatements(LOGICAL_IDS[name].role).filter((statement) => statementActions(statement).includes('lambda:InvokeFunction'));
      for (const statement of granting) {
        expect(statement.Resource).toEqual({ 'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:kms-rotator-dev-${name}` });
      }
    }
  });
});

describe('retire function', () => {
  it('schedule rule uses settings.retireSchedule', () => {
    const rules = rulesTargeting('retire');
    expect(rules).toHaveLength(1);
    const rule = rules[0]!;
    expect(rule.Properties.ScheduleExpression).toBe(retireSchedule());
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.EventPattern).toBeUndefined();
  });

  it('timeout', () => {
    expect(resources.RetireLambdaFunction.Properties.Timeout).toBe(900);
  });
});

describe('approval function', () => {
  const routes = ['POST /requests', 'GET /requests', 'GET /requests/{id}', 'POST /requests/{id}/approve', 'POST /requests/{id}/reject'];

  it('has no rule or schedule', () => {
    expect(rulesTargeting('approval')).toEqual([]);
  });

  it('HTTP API routes, each with AWS_IAM', () => {
    const routeResources = resourcesOfType('AWS::ApiGatewayV2::Route').map((logicalId) => resources[logicalId].Properties);
    expect(routeResources.map((route) => route.RouteKey).sort()).toEqual([...routes].sort());
    for (const route of routeResources) {
      expect(route.AuthorizationType, route.RouteKey).toBe('AWS_IAM');
      expect(route.AuthorizerId, route.RouteKey).toBeUndefined();
      expect(route.Target, route.RouteKey).toEqual({ 'Fn::Join': ['/', ['integrations', { Ref: 'HttpApiIntegrationApproval' }]] });
    }
  });

  it('integration sends payload 2.0 to the function', () => {
    const integration = resources.HttpApiIntegrationApproval.Properties;
    expect(integration.IntegrationType).toBe('AWS_PROXY');
    expect(integration.IntegrationUri).toEqual({ 'Fn::GetAtt': ['ApprovalLambdaFunction', 'Arn'] });
    expect(integration.PayloadFormatVersion).toBe('2.0');
  });

  it('only the API may invoke it through API Gateway', () => {
    const permission = resources.ApprovalLambdaPermissionHttpApi.Properties;
    expect(permission.Principal).toBe('apigateway.amazonaws.com');
    expect(permission.FunctionName).toEqual({ 'Fn::GetAtt': ['ApprovalLambdaFunction', 'Arn'] });
    expect(JSON.stringify(permission.SourceArn)).toContain('{"Ref":"HttpApi"}');
  });

  it('HTTP API URL is an output', () => {
    expect(template.Outputs.HttpApiUrl.Value).toEqual({
      'Fn::Join': ['', ['https://', { Ref: 'HttpApi' }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
    });
  });

  it('timeout', () => {
    expect(resources.ApprovalLambdaFunction.Properties.Timeout).toBe(900);
  });
});

describe('audit function', () => {
  const undeliveredQueueArn = { 'Fn::GetAtt': ['AuditUndeliveredEventsQueue', 'Arn'] };
  const retryPolicy = { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 };

  function auditRule(name: string): Json {
    const rule = rulesTargeting('audit').find((candidate) => candidate.Properties.Name === name);
    if (!rule) throw new Error(`No rule named ${name} targets the audit function`);
    return rule;
  }

  it('two rules target it', () => {
    expect(rulesTargeting('audit').map((rule) => rule.Properties.Name)).toEqual(['kms-rotator-dev-audit-kms', 'kms-rotator-dev-audit-state-table-policy']);
  });

  it('KMS rule pattern', () => {
    const rule = auditRule('kms-rotator-dev-audit-kms');
    expect(rule.Properties.EventBusName).toBeUndefined();
    expect(rule.Properties.EventPattern).toEqual({
      'source': ['aws.kms'],
      'detail-type': [
        'AWS API Call via CloudTrail',
        'AWS Service Event via CloudTrail',
        'KMS CMK Rotation',
        'KMS CMK Deletion',
        'KMS Imported Key Material Expiration',
      ],
    });
  });

  it('state table policy rule pattern', () => {
    expect(auditRule('kms-rotator-dev-audit-state-table-policy').Properties.EventPattern).toEqual({
      'source': ['aws.dynamodb'],
      'detail-type': ['AWS API Call via CloudTrail'],
      'detail': { eventSource: ['dynamodb.amazonaws.com'], eventName: ['PutResourcePolicy', 'DeleteResourcePolicy'] },
    });
  });

  it.each(['kms-rotator-dev-audit-kms', 'kms-rotator-dev-audit-state-table-policy'])('%s: dead-letter queue and retries', (name) => {
    const [target] = auditRule(name).Properties.Targets;
    expect(target.DeadLetterConfig).toEqual({ Arn: undeliveredQueueArn });
    expect(target.RetryPolicy).toEqual(retryPolicy);
  });

  it.each(['kms-rotator-dev-audit-kms', 'kms-rotator-dev-audit-state-table-policy'])('%s: may invoke the function', (name) => {
    const permissions = resourcesOfType('AWS::Lambda::Permission')
      .map((logicalId) => resources[logicalId].Properties)
      .filter((permission) => permission.Principal === 'events.amazonaws.com' && JSON.stringify(permission.SourceArn).includes(`"rule","${name}"`));
    expect(permissions).toHaveLength(1);
    expect(permissions[0].FunctionName).toEqual({ 'Fn::GetAtt': ['AuditLambdaFunction', 'Arn'] });
    expect(permissions[0].Action).toBe('lambda:InvokeFunction');
  });

  it('failed invocations go to the failed-events queue', () => {
    expect(resources.AuditLambdaEvConf.Properties).toEqual({
      FunctionName: { Ref: 'AuditLambdaFunction' },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['AuditFailedEventsQueue', 'Arn'] } } },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
    });
  });

  it('timeout', () => {
    expect(resources.AuditLambdaFunction.Properties.Timeout).toBe(60);
  });
});

describe('queues', () => {
  it('only the two audit queues', () => {
    expect(resourcesOfType('AWS::SQS::Queue')).toEqual(['AuditFailedEventsQueue', 'AuditUndeliveredEventsQueue']);
  });

  it.each([
    ['AuditFailedEventsQueue', 'kms-rotator-dev-audit-failed-events'],
    ['AuditUndeliveredEventsQueue', 'kms-rotator-dev-audit-undelivered-events'],
  ])('%s: name, retention and encryption', (logicalId, queueName) => {
    expect(resources[logicalId].Properties).toEqual({ QueueName: queueName, MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true });
  });

  it('only the audit rules may send undelivered events', () => {
    expect(resourcesOfType('AWS::SQS::QueuePolicy')).toEqual(['AuditUndeliveredEventsQueuePolicy']);
    expect(resources.AuditUndeliveredEventsQueuePolicy.Properties).toEqual({
      Queues: [{ Ref: 'AuditUndeliveredEventsQueue' }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AuditRulesSendUndeliveredEvents',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: { 'Fn::GetAtt': ['AuditUndeliveredEventsQueue', 'Arn'] },
            Condition: {
              ArnEquals: {
                'aws:SourceArn': [
                  { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/kms-rotator-dev-audit-kms' },
                  { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/kms-rotator-dev-audit-state-table-policy' },
                ],
              },
            },
          },
        ],
      },
    });
  });

  it('queue URLs are outputs', () => {
    expect(template.Outputs.AuditFailedEventsQueueUrl.Value).toEqual({ Ref: 'AuditFailedEventsQueue' });
    expect(template.Outputs.AuditUndeliveredEventsQueueUrl.Value).toEqual({ Ref: 'AuditUndeliveredEventsQueue' });
  });
});

describe('table and bus policies', () => {
  // Account id that the test puts into the policies' ARN pattern, with the partition aws.
  const ACCOUNT = '111122223333';

  /** Returns the aws:PrincipalArn pattern of a deny statement, with partition and account filled in. */
  function exemptPattern(statement: Json): string {
    return statement.Condition.StringNotLike['aws:PrincipalArn']['Fn::Sub'].replace('${AWS::Partition}', 'aws').replace('${AWS::AccountId}', ACCOUNT);
  }

  const denyStatements = (): Array<[string, Json]> => [
    ['state table', resources.StateTable.Properties.ResourcePolicy.PolicyDocument.Statement[0]],
    ['event bus', resources.EventBus.Properties.Policy.Statement[0]],
  ];

  it('deny every principal', () => {
    for (const [owner, statement] of denyStatements()) {
      expect(statement.Effect, owner).toBe('Deny');
      expect(statement.Principal, owner).toBe('*');
    }
  });

  it('let every tool role write', () => {
    for (const [owner, statement] of denyStatements()) {
      for (const name of FUNCTION_NAMES) {
        const roleArn = `arn:aws:iam::${ACCOUNT}:role/${resources[LOGICAL_IDS[name].role].Properties.RoleName}`;
        expect(matchesIamPattern(exemptPattern(statement), roleArn), `${owner} exempts ${roleArn}`).toBe(true);
      }
    }
  });

  it('deny other principals', () => {
    const others = [
      `arn:aws:iam::${ACCOUNT}:role/admin`,
      `arn:aws:iam::${ACCOUNT}:user/kms-rotator-dev-us-east-1-rotate`,
      `arn:aws:iam::${ACCOUNT}:role/kms-rotator-prod-us-east-1-rotate`,
      `arn:aws:iam::${ACCOUNT}:role/kms-rotator-devx-us-east-1-rotate`,
      'arn:aws:iam::444455556666:role/kms-rotator-dev-us-east-1-rotate',
    ];
    for (const [owner, statement] of denyStatements()) {
      for (const principal of others) expect(matchesIamPattern(exemptPattern(statement), principal), `${owner} denies ${principal}`).toBe(false);
    }
  });
});

describe('function packages', () => {
  let extractDir: string;

  afterAll(() => {
    if (extractDir) rmSync(extractDir, { recursive: true, force: true });
  });

  it.each(FUNCTION_NAMES)('%s: contains its bundle and the JSON config only', (name) => {
    const files = zipFiles.get(name)!;
    expect([...files.keys()].sort()).toEqual(['.kms-rotator/rotation.config.json', `handlers/${name}.mjs`]);
    const shipped = JSON.parse(files.get('.kms-rotator/rotation.config.json')?.toString('utf8') ?? 'null');
    expect(shipped).toEqual(YAML.parse(readFileSync(path.join(repoRoot, 'rotation.config.yml'), 'utf8')));
  });

  it('bundled handlers load in fresh node processes', async () => {
    // Outside the repository, so that no node_modules folder can supply an unbundled import.
    extractDir = mkdtempSync(path.join(tmpdir(), 'kms-rotator-bundle-'));
    const env = {
      ...envWithoutAws(),
      // Lambda's environment. The endpoint points at a closed loopback port, so a stray AWS call
      // made while a module loads fails locally.
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      KMS_ROTATOR_TABLE: 'kms-rotator-dev-state',
      KMS_ROTATOR_BUS: 'kms-rotator-dev',
      KMS_ROTATOR_CONFIG: '.kms-rotator/rotation.config.json',
      KMS_ROTATOR_STAGE: STAGE,
      POWERTOOLS_SERVICE_NAME: 'kms-rotator',
    };

    const loaded = await Promise.all(
      FUNCTION_NAMES.map(async (name) => {
        // One directory per function, as Lambda unpacks each zip on its own.
        const functionDir = path.join(extractDir, name);
        for (const [file, content] of zipFiles.get(name)!) {
          mkdirSync(path.dirname(path.join(functionDir, file)), { recursive: true });
          writeFileSync(path.join(functionDir, file), content);
        }
        const handlerUrl = pathToFileURL(path.join(functionDir, `handlers/${name}.mjs`)).href;
        // An event no function accepts: the first invoke reads and validates the shipped config before
        // it rejects the event, so a config the bundle cannot read fails here with ConfigError.
        const script = [
          `const module = await import(${JSON.stringify(handlerUrl)});`,
          `const outcome = await module.handler({ kmsRotatorBundleCheck: 1 }, { awsRequestId: 'bundle-check', invokedFunctionArn: 'arn:aws:lambda:${REGION}:111122223333:function:bundle-check', getRemainingTimeInMillis: () => 60000 }).then(() => 'accepted', (error) => error.name);`,
          'process.stdout.write(`${typeof module.handler} ${outcome}`);',
        ].join(' ');
        const output = await new Promise<string>((resolve, reject) => {
          execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: functionDir, env, timeout: 30_000 }, (error, stdout, stderr) => {
            if (error) reject(new Error(`Loading the bundled ${name} handler failed: ${error.message}\n${stderr}`));
            else resolve(stdout);
          });
        });
        return [name, output];
      }),
    );
    expect(Object.fromEntries(loaded)).toEqual({
      rotate: 'function InvalidRequestError',
      retire: 'function InvalidRetireEventError',
      // The approval function responds to a malformed HTTP request with a 400, and the audit
      // function records an input it rejects; either would be a ConfigError had the config failed.
      approval: 'function accepted',
      audit: 'function accepted',
    });
  }, 60_000);
});
