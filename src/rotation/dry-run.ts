import type { ManagedAlias, RotationConfig } from '../config/load.js';
import { aliasesInRegion } from '../config/load.js';
import { describeAliasTarget } from './alias-target.js';
import type { RotationDeps } from './deps.js';
import { describeAwsError } from './errors.js';
import { findOrphanKeys, type OrphanKey } from './orphans.js';
import { isDue, keyAgeMs, msUntilDue } from './plan.js';
import { days } from './report.js';

export type PlannedAction = 'rotate' | 'wait' | 'resume' | 'paused' | 'blocked' | 'error';

export interface AliasPlan {
  alias: string;
  region: string;
  strategy: ManagedAlias['strategy'];
  period: string;
  currentKeyId?: string;
  keyAgeDays?: number;
  /** When the current key comes due, jitter included. */
  dueAt?: string;
  action: PlannedAction;
  message?: string;
}

export interface DryRunResult {
  dryRun: true;
  at: string;
  aliases: AliasPlan[];
  /** Keys tagged for a managed alias that the table does not record: reported, never used. */
  orphanKeys: OrphanKey[];
}

/** Returns what a sweep would do now for each alias of the Region. Reads only; changes nothing. */
export async function planSweep(deps: RotationDeps, config: RotationConfig): Promise<DryRunResult> {
  const now = deps.clock.now();
  const globalPause = await deps.table.getGlobalPause(deps.region);
  const aliases: AliasPlan[] = [];
  const managedAliases = aliasesInRegion(config, deps.region);
  for (const managed of managedAliases) {
    aliases.push(await planAlias(deps, managed, now, globalPause !== undefined));
  }
  const orphanKeys = await findOrphanKeys(deps.kms, deps.table, deps.region, managedAliases);
  for (const orphan of orphanKeys) {
    deps.logger.warn('A key carries the tool tags of a managed alias but is not one of its recorded keys; it is never used', { ...orphan });
  }
  return { dryRun: true, at: now.toISOString(), aliases, orphanKeys };
}

async function planAlias(deps: RotationDeps, managed: ManagedAlias, now: Date, globallyPaused: boolean): Promise<AliasPlan> {
  const base = { alias: managed.alias, region: managed.region, strategy: managed.strategy, period: managed.period };
  try {
    const target = await describeAliasTarget(deps.kms, managed.alias, managed.region);
    const item = await deps.table.getAlias(managed.region, managed.alias);
    const ageMs = keyAgeMs(target, item, now);
    const dueAt = new Date(now.getTime() + msUntilDue(ageMs, managed)).toISOString();
    const known = { ...base, currentKeyId: target.KeyId, keyAgeDays: days(ageMs), dueAt };

    if (target.KeyState !== 'Enabled') return { ...known, action: 'blocked', message: `The key is ${target.KeyState}` };
    if (globallyPaused || item?.paused) return { ...known, action: 'paused', message: item?.paused?.reason ?? 'Every alias of the Region is paused' };
    if (item?.rotation) return { ...known, action: 'resume', message: `A rotation is in flight at step ${item.rotation.step}` };
    if (managed.strategy === 'native') return { ...known, action: 'wait', message: 'KMS rotates this key natively; the sweep checks its rotation settings' };
    return { ...known, action: isDue(ageMs, managed) ? 'rotate' : 'wait' };
  } catch (error) {
    return { ...base, action: 'error', message: describeAwsError(error) };
  }
}
