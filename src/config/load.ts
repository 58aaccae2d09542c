import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { parseDuration } from './duration.js';
import { rotationConfigSchema } from './schema.js';

/** One managed alias in one Region, with durations in milliseconds. */
export interface ManagedAlias {
  alias: string;
  region: string;
  periodMs: number;
  /** The period as written in the config, for messages. */
  period: string;
}

export interface RotationConfig {
  sweepSchedule: string;
  maxRotationsPerRun: number;
  aliases: ManagedAlias[];
}

/** A config file that cannot be read or does not pass validation. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and validates a config file; throws ConfigError naming each invalid field and value. */
export function loadConfigFile(path: string): RotationConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the rotation config ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseConfig(text, path);
}

/** Validates config text; `source` names the file in messages. */
export function parseConfig(text: string, source = 'rotation.config.yml'): RotationConfig {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${source} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }

  const result = rotationConfigSchema.safeParse(document);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => describeIssue(document, issue));
    throw new ConfigError(`${source} is invalid:\n${lines.map((line) => `  - ${line}`).join('\n')}`);
  }

  const { settings, aliases } = result.data;
  return {
    sweepSchedule: settings.sweepSchedule,
    maxRotationsPerRun: settings.maxRotationsPerRun,
    aliases: aliases.flatMap((entry) =>
      entry.regions.map((entryRegion) => ({
        alias: entry.alias,
        region: entryRegion,
        period: entry.period,
        periodMs: parseDuration(entry.period) as number,
      })),
    ),
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
    const bound = issue.code === 'too_small' ? `at least ${issue.minimum}` : `at most ${issue.maximum}`;
    parts.push(`value ${JSON.stringify(value)} must be ${bound}`);
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
