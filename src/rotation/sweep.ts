import { randomUUID } from 'node:crypto';
import { aliasesInRegion, type RotationConfig } from '../config/load.js';
import type { RotationDeps } from './deps.js';
import { OUTCOMES, type AliasOutcome } from './outcome.js';
import { rotateAlias } from './rotate-alias.js';

export interface SweepResult {
  runId: string;
  startedAt: string;
  aliases: AliasOutcome[];
}

/**
 * Checks every alias the config assigns to this Region and rotates the due ones, creating at most
 * `maxRotationsPerRun` keys. One alias failing never stops the others.
 */
export async function sweep(deps: RotationDeps, config: RotationConfig, runId: string = randomUUID()): Promise<SweepResult> {
  const startedAt = deps.clock.now().toISOString();
  const outcomes: AliasOutcome[] = [];
  let created = 0;

  for (const managed of aliasesInRegion(config, deps.region)) {
    const outcome = await rotateAlias(deps, managed, {
      runId: `${runId}:${managed.alias}`,
      trigger: 'schedule',
      mayCreate: created < config.maxRotationsPerRun,
    });
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
