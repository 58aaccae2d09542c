import { randomUUID } from 'node:crypto';
import { aliasesInRegion, type RotationConfig } from '../config/load.js';
import type { RotationDeps } from './deps.js';
import { OUTCOMES, type AliasOutcome } from './outcome.js';
import { rotateNative } from './native.js';
import type { PauseRecord } from '../state/records.js';
import { BulkReads } from './bulk-reads.js';
import { describeAwsError } from './errors.js';
import { fanOutDeferred } from './fan-out.js';
import { rotateAlias } from './rotate-alias.js';

export interface SweepResult {
  runId: string;
  startedAt: string;
  aliases: AliasOutcome[];
}

/**
 * Checks every alias the config assigns to this Region and rotates the due ones, creating at most
 * `maxRotationsPerRun` keys; with `deps.fanOut`, each due alias beyond that gets its own run. One
 * alias failing never stops the others. The Region's pause switch holds every alias.
 */
export async function sweep(
  deps: RotationDeps,
  config: RotationConfig,
  runId: string = randomUUID(),
): Promise<SweepResult> {
  const startedAt = deps.clock.now().toISOString();
  const managedAliases = aliasesInRegion(config, deps.region);
  let globalPause: PauseRecord | undefined;
  // The reads go on while the loop below plans each alias whose target and item are in.
  const bulkReads = new BulkReads(deps, managedAliases.map((managed) => managed.alias), runId);
  try {
    globalPause = await bulkReads.globalPause;
  } catch {
    // BulkReads logged the error. Each alias is then planned on its own, two calls per alias
    // instead of two per hundred, once the pause switch is read.
    await bulkReads.stop();
    try {
      globalPause = await deps.table.getGlobalPause(deps.region);
    } catch (pauseError) {
      // Without the pause switch no alias may rotate: a person may have paused them all.
      const message = `Could not read the pause switch of ${deps.region}, so no alias was rotated: ${describeAwsError(pauseError)}`;
      deps.logger.error('Sweep stopped before any alias', { runId, region: deps.region, error: describeAwsError(pauseError) });
      return { runId, startedAt, aliases: managedAliases.map((managed) => ({ alias: managed.alias, region: managed.region, outcome: OUTCOMES.failed, step: 'plan', message })) };
    }
  }
  // A paused Region needs no alias target or item.
  if (globalPause) await bulkReads.stop();
  const outcomes: AliasOutcome[] = [];
  let created = 0;
  let createThrottled = false;
  // One request shape for both passes: it counts keys against the cap and stops creating after a throttle.
  const requestFor = (runIdOfAlias: string) => ({
    runId: runIdOfAlias,
    trigger: 'schedule' as const,
    mayCreate: created < config.maxRotationsPerRun && !createThrottled,
    deferReason: createThrottled ? 'KMS throttled CreateKey in this run; the next sweep rotates the alias' : undefined,
    onKeyCreated: () => {
      created += 1;
    },
    onCreateThrottled: () => {
      createThrottled = true;
    },
  });

  for (const managed of managedAliases) {
    const aliasRunId = `${runId}:${managed.alias}`;
    let outcome: AliasOutcome;
    if (globalPause) {
      outcome = { alias: managed.alias, region: managed.region, outcome: OUTCOMES.paused, message: `Every alias of ${deps.region} is paused: ${globalPause.reason}` };
    } else {
      const request = requestFor(aliasRunId);
      const prefetched = await bulkReads.prefetched(managed.alias);
      outcome = managed.strategy === 'native' ? await rotateNative(deps, managed, request, prefetched) : await rotateAlias(deps, config, managed, request, prefetched);
    }
    outcomes.push(outcome);
  }

  // Every step resumes from its record, so a second pass over the failed aliases is safe. It runs
  // last, when the SDK's retry budget has had the rest of the sweep to refill.
  let retried = 0;
  if (!globalPause) {
    for (const [index, outcome] of outcomes.entries()) {
      const managed = managedAliases[index];
      // Only transient failures are worth a second pass, and never a create, whose outcome may be unknown.
      if (outcome.outcome !== OUTCOMES.failed || !outcome.transient || outcome.step === 'create' || !managed) continue;
      retried += 1;
      const request = requestFor(`${runId}:${managed.alias}:retry`);
      outcomes[index] = managed.strategy === 'native' ? await rotateNative(deps, managed, request) : await rotateAlias(deps, config, managed, request);
    }
  }

  // A throttled CreateKey means the quota is spent, so the other runs would only be throttled too.
  const fannedOut = createThrottled ? 0 : await fanOutDeferred(deps, outcomes, runId);

  const counts: Partial<Record<AliasOutcome['outcome'], number>> = {};
  for (const { outcome } of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  deps.logger.info('Sweep finished', {
    runId,
    checked: outcomes.length,
    retriedAliases: retried,
    keysCreated: created,
    fannedOut,
    rotated: counts.rotated ?? 0,
    failed: counts.failed ?? 0,
    // Aliases by outcome, the not-due ones included, whose own lines are at debug level.
    outcomes: counts,
  });
  return { runId, startedAt, aliases: outcomes };
}
