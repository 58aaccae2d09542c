import { readFileSync } from 'node:fs';
import type * as z from 'zod/mini';
import { MS_PER_DAY, parseDuration } from './duration.js';
import { rotationConfigSchema, type RotationConfigDocument } from './schema.js';
import '../validation.js';

export interface RetireSettings {
  graceBeforeDisableMs: number;
  quietPeriodMs: number;
  disabledBeforeDeletionMs: number;
  allowDeletion: boolean;
  pendingWindowInDays: number;
  publicKeyWithdrawn: boolean;
  /** ARN patterns of this alias's approvers, settings.approvers included. */
  approvers: string[];
  requiredApprovals: number;
}

/**
 * One alias as the stack of one Region manages it, with durations in milliseconds. A multi-Region
 * alias appears once, in its primary Region, with the replica Regions beside it.
 */
export interface ManagedAlias {
  alias: string;
  region: string;
  strategy: 'alias' | 'native';
  periodMs: number;
  /** The period as written in the config, for messages. */
  period: string;
  multiRegion: boolean;
  /** Replica Regions of a multi-Region alias; empty otherwise. */
  replicaRegions: string[];
  /** Undefined: 24 hours for asymmetric and HMAC keys, none for symmetric keys. */
  overlapMs?: number;
  retire: RetireSettings;
}

export interface RotationSettings {
  sweepSchedule: string;
  retireSchedule: string;
  maxRotationsPerRun: number;
  forceCooldownMs: number;
  dueSoonNoticeMs: number;
  requestExpiryMs: number;
  requestReminderMs: number;
  quotaShare: number;
  cancelDeletionOnUse: boolean;
  approvers: string[];
  pinnedSessionRoles: string[];
  audit: RotationConfigDocument['settings']['audit'];
}

export interface RotationConfig extends RotationSettings {
  aliases: ManagedAlias[];
}

/** A config file that cannot be read or does not pass validation. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads the JSON copy of the config that `serverless package` writes beside each function (see
 * deploy/config-json.cjs), and validates it. The functions read JSON, so that no YAML parser goes
 * into their bundles. Throws ConfigError naming each invalid field and value.
 */
export function loadDeployedConfig(path: string): RotationConfig {
  const text = readConfigText(path);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON (the functions read the JSON copy of rotation.config.yml that serverless package writes): ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseConfigDocument(document, path);
}

/** Reads a config file as text; throws ConfigError when it cannot. */
export function readConfigText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the rotation config ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Validates a parsed config document; `source` names the file in messages. */
export function parseConfigDocument(document: unknown, source: string): RotationConfig {
  if (document === null || document === undefined) {
    throw new ConfigError(`${source} is empty; it needs at least an aliases list, as docs/configuration.md shows`);
  }
  const result = rotationConfigSchema.safeParse(document);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => describeIssue(document, issue));
    throw new ConfigError(`${source} is invalid:\n${lines.map((line) => `  - ${line}`).join('\n')}`);
  }

  return toRotationConfig(result.data);
}

function toRotationConfig({ settings, aliases }: RotationConfigDocument): RotationConfig {
  const ms = (text: string) => parseDuration(text) as number;
  return {
    sweepSchedule: settings.sweepSchedule,
    retireSchedule: settings.retireSchedule,
    maxRotationsPerRun: settings.maxRotationsPerRun,
    forceCooldownMs: ms(settings.forceCooldown),
    dueSoonNoticeMs: ms(settings.dueSoonNotice),
    requestExpiryMs: ms(settings.requestExpiry),
    requestReminderMs: ms(settings.requestReminder),
    quotaShare: settings.quotaShare,
    cancelDeletionOnUse: settings.cancelDeletionOnUse,
    approvers: settings.approvers,
    pinnedSessionRoles: settings.pinnedSessionRoles,
    audit: settings.audit,
    aliases: aliases.flatMap((entry) => {
      const managedRegions = entry.multiRegion ? entry.regions.slice(0, 1) : entry.regions;
      return managedRegions.map((entryRegion) => ({
        alias: entry.alias,
        region: entryRegion,
        strategy: entry.strategy,
        period: entry.period,
        periodMs: ms(entry.period),
        multiRegion: entry.multiRegion,
        replicaRegions: entry.multiRegion ? entry.regions.slice(1) : [],
        overlapMs: entry.overlap === undefined ? undefined : ms(entry.overlap),
        retire: {
          graceBeforeDisableMs: ms(entry.retire.graceBeforeDisable),
          quietPeriodMs: ms(entry.retire.quietPeriod),
          disabledBeforeDeletionMs: ms(entry.retire.disabledBeforeDeletion),
          allowDeletion: entry.retire.allowDeletion,
          pendingWindowInDays: ms(entry.retire.pendingWindow) / MS_PER_DAY,
          publicKeyWithdrawn: entry.retire.publicKeyWithdrawn,
          approvers: [...new Set([...settings.approvers, ...entry.retire.approvers])],
          requiredApprovals: entry.retire.requiredApprovals,
        },
      }));
    }),
  };
}

/** Returns the aliases that the stack of one Region manages. */
export function aliasesInRegion(config: RotationConfig, region: string): ManagedAlias[] {
  return config.aliases.filter((entry) => entry.region === region);
}

/** Words one zod issue as "alias alias/x: field period: value "9x" must be ...". */
function describeIssue(document: unknown, issue: z.core.$ZodIssue): string {
  const path = issue.path;
  const parts: string[] = [];

  if (path[0] === 'aliases' && typeof path[1] === 'number') {
    const entry = (document as { aliases?: Array<{ alias?: unknown }> }).aliases?.[path[1]];
    const name = typeof entry?.alias === 'string' ? entry.alias : `#${path[1] + 1}`;
    parts.push(`alias ${name}`);
    if (path.length > 2) parts.push(`field ${path.slice(2).join('.')}`);
  } else if (path.length > 0) {
    parts.push(`field ${path.join('.')}`);
  }

  if (issue.code === 'unrecognized_keys') {
    parts.push(`unknown field ${issue.keys.join(', ')}; remove it or check its spelling`);
    return parts.join(': ');
  }

  const value = valueAt(document, path);
  if (issue.code === 'invalid_type') {
    parts.push(value === undefined ? 'missing; it is required' : `value ${JSON.stringify(value)} must be of type ${issue.expected}`);
    return parts.join(': ');
  }
  if ((issue.code === 'too_small' || issue.code === 'too_big') && issue.origin === 'number') {
    const bound =
      issue.code === 'too_small'
        ? `${issue.inclusive === false ? 'more than' : 'at least'} ${issue.minimum}`
        : `${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum}`;
    parts.push(`value ${JSON.stringify(value)} must be ${bound}`);
    return parts.join(': ');
  }
  if (issue.code === 'invalid_value') {
    parts.push(`value ${JSON.stringify(value)} must be one of ${issue.values.map((allowed) => JSON.stringify(allowed)).join(', ')}`);
    return parts.join(': ');
  }
  const shown = value === undefined ? 'missing' : `value ${JSON.stringify(value)}`;
  parts.push(`${shown} ${issue.message}`);
  return parts.join(': ');
}

function valueAt(document: unknown, path: PropertyKey[]): unknown {
  let current = document;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
