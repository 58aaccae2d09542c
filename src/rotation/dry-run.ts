import type { ManagedAlias, RotationConfig } from '../config/load.js';
import { aliasesInRegion } from '../config/load.js';
import { describeAliasTarget } from './alias-target.js';
import type { RotationDeps } from './deps.js';
import { describeAwsError } from './errors.js';
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
}

/** Returns what a sweep would do now for each alias of the Region. Reads only; changes nothing. */
export async function planSweep(deps: RotationDeps, config: RotationConfig): Promise<DryRunResult> {
  const now = deps.clock.now();
  const globalPause = await deps.table.getGlobalPause(deps.region);
  const aliases: AliasPlan[] = [];
  for (const managed of aliasesInRegion(config, deps.region)) {
    aliases.push(await planAlias(deps, managed, now, globalPause !== undefined));
  }
  return { dryRun: true, at: now.toISOString(), aliases };
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
