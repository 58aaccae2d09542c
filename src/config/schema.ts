import { z } from 'zod';
import { MS_PER_DAY, parseDuration } from './duration.js';

/**
 * Schema of `rotation.config.yml`. Every default lives here and nowhere else;
 * docs/configuration.md describes each field.
 */

const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$/;

const aliasName = z
  .string()
  .max(256, 'must be at most 256 characters')
  .regex(ALIAS_NAME, 'must start with alias/ followed by letters, digits, /, _ or -')
  .refine((name) => !name.startsWith('alias/aws/'), 'names an AWS managed key (alias/aws/...), which kms-rotator never touches');

const region = z.string().regex(REGION, 'must be a Region code such as us-east-1');

const period = z.string().superRefine((text, context) => {
  const periodMs = parseDuration(text);
  if (periodMs === undefined) {
    context.addIssue({ code: 'custom', message: 'must be a whole number followed by h or d, such as 90d' });
  } else if (periodMs < MS_PER_DAY) {
    context.addIssue({ code: 'custom', message: 'must be at least 1d (24h) for the alias strategy' });
  }
});

const scheduleExpression = z.string().regex(/^(rate|cron)\(.+\)$/, 'must be an EventBridge rate() or cron() expression');

export const aliasConfigSchema = z.strictObject({
  alias: aliasName,
  regions: z.array(region).min(1, 'must list at least one Region'),
  period,
});

export const settingsSchema = z.strictObject({
  sweepSchedule: scheduleExpression.default('rate(1 hour)'),
  maxRotationsPerRun: z.number().int().min(1).max(1000).default(20),
});

export const rotationConfigSchema = z
  .strictObject({
    settings: settingsSchema.default({ sweepSchedule: 'rate(1 hour)', maxRotationsPerRun: 20 }),
    aliases: z.array(aliasConfigSchema).min(1, 'must list at least one alias'),
  })
  .superRefine((config, context) => {
    const seen = new Set<string>();
    config.aliases.forEach((entry, index) => {
      for (const entryRegion of entry.regions) {
        const key = `${entryRegion} ${entry.alias}`;
        if (seen.has(key)) {
          context.addIssue({
            code: 'custom',
            path: ['aliases', index, 'regions'],
            message: `lists ${entryRegion} for an alias already configured in that Region`,
          });
        }
        seen.add(key);
      }
    });
  });

export type AliasConfigInput = z.input<typeof aliasConfigSchema>;
export type RotationConfigInput = z.input<typeof rotationConfigSchema>;
