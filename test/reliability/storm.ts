import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { VirtualClock } from '../../local/clock.js';
import { LOCAL_TABLE_NAME, startLocalCloud } from '../../local/cloud.js';
import { startFaultProxy } from '../../local/emulator/faults/index.js';
import { operatorIdentity, toolIdentity } from '../../local/identities.js';
import { parseConfig } from '../../src/config/yaml.js';
import { handleRotateInvoke } from '../../src/rotation/handle-invoke.js';
import type { SweepResult } from '../../src/rotation/sweep.js';
import { StateTable } from '../../src/state/state-table.js';

const START = Date.UTC(2027, 0, 1);
const DAY_MS = 86_400_000;
const SCHEDULED_EVENT = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2027-04-02T00:00:00Z', detail: {} };
/** A run that could not release its lease keeps it for 15 minutes. */
const AFTER_LEASE_MS = 16 * 60_000;

export interface StormOptions {
  aliases: number;
  /** Share of every KMS, EventBridge, STS and DynamoDB call that is throttled, 0 to 1. */
  throttleShare: number;
  seed: number;
  /** SDK attempts per call, first try included, for every client except the single-attempt CreateKey client. */
  maxAttempts: number;
  /**
   * Divides the SDK's standard backoff (a random delay up to min(1 s × 2^retry, 20 s) after a
   * throttle) so that a storm does not cost real minutes; 1 keeps the SDK's real delays.
   */
  backoffDivisor: number;
  /** Sweeps at most, each 16 minutes of virtual time after the last. */
  maxSweeps: number;
  /** Real time (epoch milliseconds) after which no further storm sweep starts. */
  deadline?: number;
}

export interface StormReport {
  options: StormOptions;
  sweeps: number;
  /** Sweeps that threw before changing anything, with the error name. */
  failedInvocations: string[];
  wallMs: number;
  /** Aliases rotated by the sweeps under throttling. */
  rotatedDuringStorm: number;
  /** Aliases rotated in all, the clean sweep after the storm included. */
  rotated: number;
  /** Aliases whose CreateKey outcome was lost, reported by every later sweep and never promoted. */
  lostCreates: number;
  /** Aliases neither rotated nor reported as a lost create when the sweeps ran out. */
  unfinished: string[];
  sdkCalls: number;
  sdkRetries: number;
  /** SDK calls that failed after every attempt. */
  sdkFailures: number;
  throttledKms: number;
  throttledDynamoDb: number;
  /** Violations of the storm's properties, each naming the alias; empty when it passed. */
  violations: string[];
}

type Handler = (args: unknown) => Promise<unknown>;
interface MiddlewareHost {
  middlewareStack: { add(middleware: (next: Handler) => Handler, options: { step: 'initialize'; name: string }): void };
}

/** Counts SDK calls, retries (attempts after the first) and calls that failed after every attempt. */
class RetryCounter {
  calls = 0;
  retries = 0;
  failures = 0;

  attach(client: MiddlewareHost): void {
    client.middlewareStack.add(
      (next) => async (args) => {
        this.calls += 1;
        try {
          const output = (await next(args)) as { output?: { $metadata?: { attempts?: number } } };
          this.retries += Math.max(0, (output.output?.$metadata?.attempts ?? 1) - 1);
          return output;
        } catch (error) {
          this.failures += 1;
          this.retries += Math.max(0, ((error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1) - 1);
          throw error;
        }
      },
      { step: 'initialize', name: 'reliabilityRetryCounter' },
    );
  }
}

/**
 * Rotates `aliases` due aliases while a share of every call is throttled, sweeping again until
 * each alias is rotated or reported or `maxSweeps` ran, then sweeps once without faults, and checks: at most one successor per alias and exactly one
 * for a rotated alias, every alias on its old key or on a successor that passed its self-test, and
 * no key disabled or scheduled for deletion.
 */
export async function runStorm(options: StormOptions): Promise<StormReport> {
  const started = Date.now();
  const clock = new VirtualClock(START);
  const cloud = await startLocalCloud({ clock });
  const proxy = await startFaultProxy({ target: cloud.dynamodb.endpoint });
  const counter = new RetryCounter();
  const clients: Array<{ destroy(): void }> = [];
  try {
    const operator = cloud.clients(operatorIdentity);
    const aliases = Array.from({ length: options.aliases }, (_unused, index) => `alias/storm-${String(index).padStart(4, '0')}`);
    const originalKeys = new Map<string, string>();
    for (const alias of aliases) {
      const key = await operator.kms.send(new CreateKeyCommand({ Description: `key behind ${alias}` }));
      await operator.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyMetadata?.KeyId }));
      originalKeys.set(alias, key.KeyMetadata?.KeyId as string);
    }
    const config = parseConfig(`settings:\n  maxRotationsPerRun: 1000\naliases:\n${aliases.map((alias) => `  - alias: ${alias}\n    regions: [us-east-1]\n    period: 90d\n`).join('')}`);
    clock.set(START + 91 * DAY_MS);

    // One strategy per client, as the SDK makes by default: each keeps its own retry capacity.
    const retryStrategy = () =>
      new ConfiguredRetryStrategy(options.maxAttempts, (attempt) => Math.floor((Math.random() * Math.min(1000 * 2 ** (attempt - 1), 20_000)) / options.backoffDivisor));
    const common = { region: cloud.region, credentials: { accessKeyId: toolIdentity.accessKeyId, secretAccessKey: toolIdentity.secretAccessKey } };
    const kms = new KMSClient({ ...common, endpoint: cloud.emulator.endpoint, retryStrategy: retryStrategy() });
    const kmsSingleAttempt = new KMSClient({ ...common, endpoint: cloud.emulator.endpoint, maxAttempts: 1 });
    const dynamodb = new DynamoDBClient({ ...common, endpoint: proxy.endpoint, retryStrategy: retryStrategy() });
    const eventbridge = new EventBridgeClient({ ...common, endpoint: cloud.emulator.endpoint, retryStrategy: retryStrategy() });
    for (const client of [kms, kmsSingleAttempt, dynamodb, eventbridge]) {
      counter.attach(client as unknown as MiddlewareHost);
      clients.push(client);
    }
    const deps = cloud.rotationDeps({ kms, kmsSingleAttempt, eventbridge, table: new StateTable(dynamodb, LOCAL_TABLE_NAME) });

    const rule = [{ kind: 'throttle' as const, share: options.throttleShare }];
    cloud.emulator.setFaults({ seed: options.seed, rules: rule });
    proxy.setFaults({ seed: options.seed + 1, rules: rule });

    const rotated = new Set<string>();
    const lostCreates = new Set<string>();
    const violations: string[] = [];
    const failedInvocations: string[] = [];
    let sweeps = 0;
    while (sweeps < options.maxSweeps && Date.now() < (options.deadline ?? Infinity) && rotated.size + lostCreates.size < aliases.length) {
      sweeps += 1;
      let result: SweepResult;
      try {
        result = (await handleRotateInvoke(deps, config, SCHEDULED_EVENT)) as SweepResult;
      } catch (error) {
        // The sweep throws, before any change, when its first reads fail after every retry; Lambda
        // retries a failed scheduled invoke, and the next schedule runs anyway.
        failedInvocations.push(`sweep ${sweeps}: ${(error as Error).name}`);
        clock.advance(AFTER_LEASE_MS);
        continue;
      }
      if (result.aliases.length !== aliases.length) violations.push(`sweep ${sweeps} reported ${result.aliases.length} of ${aliases.length} aliases`);
      for (const outcome of result.aliases) {
        if (outcome.outcome === 'rotated') rotated.add(outcome.alias);
        else if (outcome.outcome === 'failed' && /outcome is unknown/.test(outcome.message ?? '')) lostCreates.add(outcome.alias);
        else if (!['failed', 'not-due', 'busy', 'deferred'].includes(outcome.outcome)) violations.push(`${outcome.alias}: unexpected outcome ${outcome.outcome}: ${outcome.message ?? ''}`);
      }
      clock.advance(AFTER_LEASE_MS);
    }

    const stormRotated = rotated.size;
    // The storm passes; one clean sweep must finish every alias, except lost creates, which stay reported.
    cloud.emulator.setFaults({});
    proxy.setFaults({});
    clock.advance(AFTER_LEASE_MS);
    const clean = (await handleRotateInvoke(cloud.rotationDeps(), config, SCHEDULED_EVENT)) as SweepResult;
    for (const outcome of clean.aliases) {
      if (outcome.outcome === 'rotated') rotated.add(outcome.alias);
      else if (outcome.outcome === 'failed' && /outcome is unknown/.test(outcome.message ?? '')) lostCreates.add(outcome.alias);
    }
    const faultStats = { kms: cloud.emulator.calls().filter((call) => call.injectedFault === 'throttle').length, dynamodb: proxy.calls().filter((call) => call.injectedFault === 'throttle').length };
    violations.push(...(await checkStormState(cloud.emulator.calls(), operator.kms, originalKeys, rotated)));

    return {
      options,
      sweeps,
      failedInvocations,
      wallMs: Date.now() - started,
      rotatedDuringStorm: stormRotated,
      rotated: rotated.size,
      lostCreates: lostCreates.size,
      unfinished: aliases.filter((alias) => !rotated.has(alias) && !lostCreates.has(alias)),
      sdkCalls: counter.calls,
      sdkRetries: counter.retries,
      sdkFailures: counter.failures,
      throttledKms: faultStats.kms,
      throttledDynamoDb: faultStats.dynamodb,
      violations,
    };
  } finally {
    clients.forEach((client) => client.destroy());
    await proxy.close();
    await cloud.close();
  }
}

type Calls = ReturnType<Awaited<ReturnType<typeof startLocalCloud>>['emulator']['calls']>;

async function checkStormState(calls: Calls, kms: KMSClient, originalKeys: Map<string, string>, rotated: Set<string>): Promise<string[]> {
  const violations: string[] = [];
  const succeeded = calls.filter((call) => !call.errorCode && call.injectedFault === undefined);
  const destructive = succeeded.filter((call) => ['DisableKey', 'ScheduleKeyDeletion', 'DeleteAlias'].includes(call.operation));
  if (destructive.length > 0) violations.push(`${destructive.length} DisableKey, ScheduleKeyDeletion or DeleteAlias calls succeeded`);

  const created = new Map<string, number>();
  for (const call of succeeded.filter((entry) => entry.operation === 'CreateKey' && entry.principalArn === toolIdentity.arn)) {
    const tags = (call.request.Tags ?? []) as Array<{ TagKey: string; TagValue: string }>;
    const alias = tags.find((tag) => tag.TagKey === 'kms-rotator:alias')?.TagValue ?? '(untagged)';
    created.set(alias, (created.get(alias) ?? 0) + 1);
  }
  const testedKeys = new Set(succeeded.filter((call) => call.operation === 'Decrypt').map((call) => String(call.request.KeyId ?? '')));

  for (const [alias, originalKeyId] of originalKeys) {
    const successors = created.get(alias) ?? 0;
    if (successors > 1) violations.push(`${alias}: ${successors} successors created`);
    if (rotated.has(alias) && successors !== 1) violations.push(`${alias}: rotated with ${successors} successors created`);
    const target = (await kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata;
    if (target?.KeyState !== 'Enabled') violations.push(`${alias}: targets a key in state ${target?.KeyState}`);
    if (target?.KeyId === originalKeyId) {
      if (rotated.has(alias)) violations.push(`${alias}: reported rotated but still targets its original key`);
      continue;
    }
    if (![...testedKeys].some((keyId) => keyId.endsWith(target?.KeyId ?? '?'))) violations.push(`${alias}: targets ${target?.KeyId}, which never passed a self-test`);
    const [oldPolicy, newPolicy] = await Promise.all([originalKeyId, target?.KeyId].map(async (keyId) => (await kms.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy));
    if (oldPolicy !== newPolicy) violations.push(`${alias}: the successor's key policy differs from its predecessor's`);
    const old = (await kms.send(new DescribeKeyCommand({ KeyId: originalKeyId }))).KeyMetadata;
    if (old?.KeyState !== 'Enabled') violations.push(`${alias}: the old key ${originalKeyId} is ${old?.KeyState}`);
  }
  const strays = [...created.keys()].filter((alias) => !originalKeys.has(alias));
  if (strays.length > 0) violations.push(`successors created for unknown aliases: ${strays.join(', ')}`);
  return violations;
}
