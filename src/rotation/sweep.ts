import { randomUUID } from 'node:crypto';
import { aliasesInRegion, type RotationConfig } from '../config/load.js';
import type { RotationDeps } from './deps.js';
import { OUTCOMES, type AliasOutcome } from './outcome.js';
import { rotateNative } from './native.js';
import { rotateAlias } from './rotate-alias.js';

export interface SweepResult {
  runId: string;
  startedAt: string;
  aliases: AliasOutcome[];
}

/**
 * Checks every alias the config assigns to this Region and rotates the due ones, creating at most
 * `maxRotationsPerRun` keys. One alias failing never stops the others. The Region's pause switch
 * holds every alias.
 */
export async function sweep(
  deps: RotationDeps,
  config: RotationConfig,
  runId: string = randomUUID(),
): Promise<SweepResult> {
  const startedAt = deps.clock.now().toISOString();
  const managedAliases = aliasesInRegion(config, deps.region);
  const globalPause = await deps.table.getGlobalPause(deps.region);
  const outcomes: AliasOutcome[] = [];
  let created = 0;

  for (const managed of managedAliases) {
    const aliasRunId = `${runId}:${managed.alias}`;
    let outcome: AliasOutcome;
    if (globalPause) {
      outcome = { alias: managed.alias, region: managed.region, outcome: OUTCOMES.paused, message: `Every alias of ${deps.region} is paused: ${globalPause.reason}` };
    } else {
      const request = { runId: aliasRunId, trigger: 'schedule' as const, mayCreate: created < config.maxRotationsPerRun };
      outcome = managed.strategy === 'native' ? await rotateNative(deps, managed, request) : await rotateAlias(deps, config, managed, request);
    }
    if (outcome.outcome === OUTCOMES.rotated) created += 1;
    outcomes.push(outcome);
  }

  deps.logger.info('Sweep finished', {
    runId,
    checked: outcomes.length,
    rotated: created,
    failed: outcomes.filter((outcome) => outcome.outcome === OUTCOMES.failed).length,
  });
  return { runId, startedAt, aliases: outcomes };
}
