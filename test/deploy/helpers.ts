import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Returns a copy of the process environment without AWS_* variables, so no child finds credentials or a Region. */
export function envWithoutAws(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Runs the osls CLI (`serverless ARGS`) with Node, offline and without AWS credentials. */
export function runServerless(args: string[], cwd: string, timeoutMs: number): Promise<CommandResult> {
  const cli = createRequire(import.meta.url).resolve('osls/bin/serverless.js');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [cli, ...args], { cwd, env: envWithoutAws(), timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`serverless ${args.join(' ')} failed in ${cwd}: ${error.message}\n${stdout}\n${stderr}`));
        return;
      }
      resolve({ stdout, stderr, durationMs: performance.now() - started });
    });
  });
}

/**
 * Reads every file of a zip archive into memory. Supports the stored and deflate methods without
 * ZIP64, which covers the archives serverless-esbuild writes for a Lambda function.
 */
export function readZip(path: string): Map<string, Buffer> {
  const archive = readFileSync(path);
  const endOfDirectory = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endOfDirectory < 0) throw new Error(`${path} is not a zip archive: end of central directory not found`);

  const entryCount = archive.readUInt16LE(endOfDirectory + 10);
  let offset = archive.readUInt32LE(endOfDirectory + 16);
  const files = new Map<string, Buffer>();

  for (let index = 0; index < entryCount; index += 1) {
    if (archive.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${path}: bad central directory entry at byte ${offset}`);
    const method = archive.readUInt16LE(offset + 10);
    const compressedSize = archive.readUInt32LE(offset + 20);
    const nameLength = archive.readUInt16LE(offset + 28);
    const extraLength = archive.readUInt16LE(offset + 30);
    const commentLength = archive.readUInt16LE(offset + 32);
    const localHeader = archive.readUInt32LE(offset + 42);
    const name = archive.toString('utf8', offset + 46, offset + 46 + nameLength);

    const dataStart = localHeader + 30 + archive.readUInt16LE(localHeader + 26) + archive.readUInt16LE(localHeader + 28);
    const data = archive.subarray(dataStart, dataStart + compressedSize);
    if (method === 0) files.set(name, Buffer.from(data));
    else if (method === 8) files.set(name, inflateRawSync(data));
    else throw new Error(`${path}: ${name} uses unsupported compression method ${method}`);

    offset += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

type Json = Record<string, any>;

/** Alias name and Region value that deploy/config-vars.cjs puts in IAM statements when nothing matches. */
export const NO_ALIAS_PLACEHOLDER = 'alias/aws/kms-rotator-no-alias-configured';
export const NO_REPLICA_REGION_PLACEHOLDER = 'kms-rotator-no-replica-region';

/** Returns the `Fn::Sub` ARN of `alias` in `region` ("${AWS::Region}" for the stack's own). */
export function aliasArn(region: string, alias: string): Json {
  return { 'Fn::Sub': `arn:\${AWS::Partition}:kms:${region}:\${AWS::AccountId}:${alias}` };
}

/** Inputs of the rotate role's statements: the stage and the aliases that the stack manages. */
export interface RotateRoleInputs {
  stage: string;
  /** Alias names the stack's Region manages, or the placeholder. */
  aliases: string[];
  /** `{ region, alias }` of each replica-Region alias of the stack's multi-Region aliases. */
  replicaAliases: Array<{ region: string; alias: string }>;
}

/** Returns the rotate role's policy statements, in template order, that serverless.yml must produce. */
export function expectedRotateStatements({ stage, aliases, replicaAliases }: RotateRoleInputs): Json[] {
  const keyArn = { 'Fn::Sub': 'arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*' };
  const managedKeys = { StringEquals: { 'aws:ResourceTag/kms-rotator:managed': 'true' } };
  const functionName = `kms-rotator-${stage}-rotate`;
  const replicaAliasArns =
    replicaAliases.length > 0 ? replicaAliases.map(({ region, alias }) => aliasArn(region, alias)) : [aliasArn('${AWS::Region}', NO_ALIAS_PLACEHOLDER)];
  const replicaRegions = replicaAliases.length > 0 ? [...new Set(replicaAliases.map(({ region }) => region))] : [NO_REPLICA_REGION_PLACEHOLDER];

  return [
    {
      Sid: 'WriteOwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [{ 'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${functionName}:*` }],
    },
    { Sid: 'ListAliases', Effect: 'Allow', Action: 'kms:ListAliases', Resource: '*' },
    {
      Sid: 'ReadKeys',
      Effect: 'Allow',
      Action: ['kms:DescribeKey', 'kms:ListResourceTags', 'kms:GetKeyPolicy', 'kms:ListGrants', 'kms:GetKeyRotationStatus', 'kms:ListKeyRotations'],
      Resource: keyArn,
    },
    {
      Sid: 'AdoptConfiguredKeys',
      Effect: 'Allow',
      Action: 'kms:TagResource',
      Resource: keyArn,
      Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': aliases } },
    },
    {
      Sid: 'CreateManagedKeys',
      Effect: 'Allow',
      Action: ['kms:CreateKey', 'kms:TagResource'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestTag/kms-rotator:managed': 'true' } },
    },
    {
      Sid: 'MoveConfiguredAliases',
      Effect: 'Allow',
      Action: 'kms:UpdateAlias',
      Resource: aliases.map((alias) => aliasArn('${AWS::Region}', alias)),
    },
    { Sid: 'MoveReplicaRegionAliases', Effect: 'Allow', Action: 'kms:UpdateAlias', Resource: replicaAliasArns },
    {
      Sid: 'ReplicateManagedKeys',
      Effect: 'Allow',
      Action: 'kms:ReplicateKey',
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*' },
      Condition: { StringEquals: { 'aws:ResourceTag/kms-rotator:managed': 'true', 'kms:ReplicaRegion': replicaRegions } },
    },
    {
      Sid: 'UseManagedKeys',
      Effect: 'Allow',
      Action: [
        'kms:UpdateAlias',
        'kms:Encrypt',
        'kms:Decrypt',
        'kms:Sign',
        'kms:Verify',
        'kms:GenerateMac',
        'kms:VerifyMac',
        'kms:GetPublicKey',
        'kms:EnableKeyRotation',
        'kms:RotateKeyOnDemand',
      ],
      Resource: keyArn,
      Condition: managedKeys,
    },
    {
      Sid: 'ReadWriteState',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
      Resource: { 'Fn::GetAtt': ['StateTable', 'Arn'] },
    },
    { Sid: 'PublishEvents', Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': ['EventBus', 'Arn'] } },
    {
      Sid: 'InvokeSelf',
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${functionName}` },
    },
  ];
}

/**
 * Creates a temporary service directory with this repository's serverless.yml and deploy/
 * files, package.json, tsconfig.json, the given rotation.config.yml, and links to its node_modules,
 * scripts, src and handlers, so that `serverless print` and `serverless package` there use the
 * real template against another config.
 * @returns the directory; remove it with `rmSync(dir, { recursive: true, force: true })`.
 */
export function makeServiceCopy(prefix: string, rotationConfig: string): string {
  const directory = mkdtempSync(path.join(tmpdir(), prefix));
  mkdirSync(path.join(directory, 'deploy'));
  copyFileSync(path.join(repoRoot, 'serverless.yml'), path.join(directory, 'serverless.yml'));
  for (const file of ['config-vars.cjs', 'config-json.cjs']) copyFileSync(path.join(repoRoot, 'deploy', file), path.join(directory, 'deploy', file));
  // deploy/config-json.cjs runs scripts/check-config.ts, which imports src/; packaging bundles handlers/.
  for (const linked of ['node_modules', 'scripts', 'src', 'handlers']) symlinkSync(path.join(repoRoot, linked), path.join(directory, linked), 'dir');
  for (const file of ['package.json', 'tsconfig.json']) copyFileSync(path.join(repoRoot, file), path.join(directory, file));
  writeFileSync(path.join(directory, 'rotation.config.yml'), rotationConfig);
  return directory;
}

/** Names of the functions in serverless.yml, each with its own role. */
export const FUNCTION_NAMES = ['rotate', 'retire', 'approval', 'audit'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

const MANAGED_KEY_CONDITION = { StringEquals: { 'aws:ResourceTag/kms-rotator:managed': 'true' } };
const KEYS_IN_ANY_REGION = { 'Fn::Sub': 'arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*' };
const KEYS_IN_STACK_REGION = { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*' };
const READ_KEY_ACTIONS = ['kms:DescribeKey', 'kms:ListResourceTags', 'kms:GetKeyPolicy', 'kms:ListGrants', 'kms:GetKeyRotationStatus'];

/** Returns the WriteOwnLogs statement of the function `kms-rotator-<stage>-<name>`. */
function writeOwnLogs(stage: string, name: FunctionName): Json {
  return {
    Sid: 'WriteOwnLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: [{ 'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/kms-rotator-${stage}-${name}:*` }],
  };
}

/** Returns the statements that every role ends with: the state table and the project's bus. */
function stateAndBusStatements(): Json[] {
  return [
    {
      Sid: 'ReadWriteState',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
      Resource: { 'Fn::GetAtt': ['StateTable', 'Arn'] },
    },
    { Sid: 'PublishEvents', Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': ['EventBus', 'Arn'] } },
  ];
}

/** Returns the retire role's policy statements, in template order. */
export function expectedRetireStatements(stage: string): Json[] {
  return [
    writeOwnLogs(stage, 'retire'),
    { Sid: 'ListAliases', Effect: 'Allow', Action: 'kms:ListAliases', Resource: '*' },
    { Sid: 'ReadKeys', Effect: 'Allow', Action: READ_KEY_ACTIONS, Resource: KEYS_IN_ANY_REGION },
    { Sid: 'ReadKeyUsage', Effect: 'Allow', Action: 'kms:GetKeyLastUsage', Resource: KEYS_IN_ANY_REGION },
    { Sid: 'LookupKeyEvents', Effect: 'Allow', Action: 'cloudtrail:LookupEvents', Resource: '*' },
    ...stateAndBusStatements(),
  ];
}

/** Returns the approval role's policy statements, in template order. */
export function expectedApprovalStatements(stage: string): Json[] {
  return [
    writeOwnLogs(stage, 'approval'),
    { Sid: 'ListAliases', Effect: 'Allow', Action: 'kms:ListAliases', Resource: '*' },
    { Sid: 'ReadKeys', Effect: 'Allow', Action: READ_KEY_ACTIONS, Resource: KEYS_IN_ANY_REGION },
    { Sid: 'ReadKeyUsage', Effect: 'Allow', Action: 'kms:GetKeyLastUsage', Resource: KEYS_IN_ANY_REGION },
    { Sid: 'LookupKeyEvents', Effect: 'Allow', Action: 'cloudtrail:LookupEvents', Resource: '*' },
    {
      Sid: 'RetireManagedKeys',
      Effect: 'Allow',
      Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
      Resource: KEYS_IN_ANY_REGION,
      Condition: MANAGED_KEY_CONDITION,
    },
    ...stateAndBusStatements(),
    {
      Sid: 'InvokeSelf',
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:kms-rotator-${stage}-approval` },
    },
  ];
}

/** Returns the audit role's policy statements, in template order. */
export function expectedAuditStatements(stage: string): Json[] {
  return [
    writeOwnLogs(stage, 'audit'),
    { Sid: 'ListAliases', Effect: 'Allow', Action: 'kms:ListAliases', Resource: '*' },
    { Sid: 'ReadKeys', Effect: 'Allow', Action: READ_KEY_ACTIONS, Resource: KEYS_IN_STACK_REGION },
    {
      Sid: 'CancelDeletionOfManagedKeys',
      Effect: 'Allow',
      Action: 'kms:CancelKeyDeletion',
      Resource: KEYS_IN_STACK_REGION,
      Condition: MANAGED_KEY_CONDITION,
    },
    { Sid: 'CheckTrails', Effect: 'Allow', Action: ['cloudtrail:DescribeTrails', 'cloudtrail:GetTrailStatus'], Resource: '*' },
    { Sid: 'SendFailedEvents', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['AuditFailedEventsQueue', 'Arn'] } },
    ...stateAndBusStatements(),
  ];
}

/**
 * Returns whether `value` matches an IAM string pattern (`StringLike`), in which `*` matches any
 * run of characters and `?` matches one character.
 */
export function matchesIamPattern(pattern: string, value: string): boolean {
  const expression = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${expression}$`).test(value);
}
