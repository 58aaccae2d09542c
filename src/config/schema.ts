import * as z from 'zod/mini';
import '../validation.js';

/**
 * Minimum settings.quotaShare. At 0.01, CreateKey and UpdateAlias run one call every 20 s, so a
 * 900 s run still rotates about 40 aliases. A smaller share could not finish a rotation in time.
 */
export const MIN_QUOTA_SHARE = 0.01;
import { parseSchedule, ScheduleExpressionError } from '../schedule.js';
import { MS_PER_DAY, parseDuration, type DurationUnit } from './duration.js';

/**
 * Schema of `rotation.config.yml`. Every default lives here and nowhere else;
 * docs/configuration.md describes each field.
 */

const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$/;
/** ARN patterns of people: IAM users and roles, where `*` matches any run of characters. */
const PRINCIPAL_PATTERN = /^arn:aws[a-z-]*:(iam|sts)::([0-9]{12}|\*):[A-Za-z0-9+=,.@_/*-]+$/;

const aliasName = z.string().check(
  z.maxLength(256, 'must be at most 256 characters'),
  z.regex(ALIAS_NAME, 'must start with alias/ followed by letters, digits, /, _ or -'),
  z.refine((name) => !name.startsWith('alias/aws/'), 'names an AWS managed key (alias/aws/...), which kms-rotator never touches'),
);

const region = z.string().check(z.regex(REGION, 'must be a Region code such as us-east-1'));

/** A duration in the given units, between `min` and `max` inclusive. */
function duration(options: { units?: DurationUnit[]; min?: [number, string]; max?: [number, string] } = {}) {
  const units = options.units ?? ['m', 'h', 'd'];
  const example = units.includes('d') ? '30d' : '5m';
  return z.string().check(
    z.superRefine((text, context) => {
      const ms = parseDuration(text, units);
      if (ms === undefined) {
        context.addIssue({ code: 'custom', message: `must be a whole number followed by ${listUnits(units)}, such as ${example}` });
      } else if (options.min && ms < options.min[0]) {
        context.addIssue({ code: 'custom', message: `must be at least ${options.min[1]}` });
      } else if (options.max && ms > options.max[0]) {
        context.addIssue({ code: 'custom', message: `must be at most ${options.max[1]}` });
      }
    }),
  );
}

/** An EventBridge schedule expression, checked as EventBridge checks it at deploy time. */
/** Words a list of units as "h or d" or "m, h or d". */
function listUnits(units: DurationUnit[]): string {
  return units.length === 1 ? (units[0] as string) : `${units.slice(0, -1).join(', ')} or ${units.at(-1)}`;
}

const scheduleExpression = z.string().check(
  z.superRefine((expression, context) => {
    try {
      parseSchedule(expression);
    } catch (error) {
      const problem = error instanceof ScheduleExpressionError ? error.message.replace(/^Invalid schedule expression "[^"]*": /, '') : String(error);
      context.addIssue({ code: 'custom', message: `is not a valid EventBridge schedule: ${problem}` });
    }
  }),
);
const principalPatterns = z.array(z.string().check(z.regex(PRINCIPAL_PATTERN, 'must be an IAM or STS ARN pattern such as arn:aws:iam::111122223333:role/KeyAdmins')));

export const retireSchema = z.strictObject({
  graceBeforeDisable: z._default(duration({ units: ['h', 'd'] }), '30d'),
  quietPeriod: z._default(duration({ units: ['h', 'd'], max: [90 * MS_PER_DAY, '90d, because CloudTrail LookupEvents reaches back 90 days'] }), '30d'),
  disabledBeforeDeletion: z._default(duration({ units: ['h', 'd'] }), '30d'),
  allowDeletion: z._default(z.boolean(), false),
  pendingWindow: z._default(duration({ units: ['d'], min: [7 * MS_PER_DAY, '7d'], max: [30 * MS_PER_DAY, '30d'] }), '30d'),
  publicKeyWithdrawn: z._default(z.boolean(), false),
  approvers: z._default(principalPatterns, []),
  requiredApprovals: z._default(z.number().check(z.int(), z.gte(1), z.lte(10)), 1),
});

export const aliasConfigSchema = z
  .strictObject({
    alias: aliasName,
    /** For a multi-Region alias the first Region is the primary key's, the others its replicas'. */
    regions: z.array(region).check(z.minLength(1, 'must list at least one Region')),
    period: duration({ units: ['h', 'd'] }),
    strategy: z._default(z.enum(['alias', 'native']), 'alias'),
    multiRegion: z._default(z.boolean(), false),
    /** Absent means 24h for asymmetric and HMAC keys and 0h for symmetric keys. */
    overlap: z.optional(duration({ units: ['h', 'd'], max: [30 * MS_PER_DAY, '30d'] })),
    retire: z._default(retireSchema, () => retireSchema.parse({})),
  })
  .check(
    z.superRefine((entry, context) => {
      const periodMs = parseDuration(entry.period, ['h', 'd']);
      if (periodMs === undefined) return;
      if (entry.strategy === 'alias' && periodMs < MS_PER_DAY) {
        context.addIssue({ code: 'custom', path: ['period'], message: 'must be at least 1d (24h) for the alias strategy' });
      }
      if (entry.strategy === 'native' && (periodMs % MS_PER_DAY !== 0 || periodMs < 90 * MS_PER_DAY || periodMs > 2560 * MS_PER_DAY)) {
        context.addIssue({ code: 'custom', path: ['period'], message: 'must be whole days from 90d to 2560d for the native strategy, as KMS allows' });
      }
      if (entry.strategy === 'native' && entry.multiRegion) {
        context.addIssue({ code: 'custom', path: ['multiRegion'], message: 'must be false for the native strategy; KMS rotates multi-Region keys natively from the primary' });
      }
      if (new Set(entry.regions).size !== entry.regions.length) {
        context.addIssue({ code: 'custom', path: ['regions'], message: 'lists a Region twice' });
      }
      if (entry.multiRegion && entry.regions.length < 2) {
        context.addIssue({ code: 'custom', path: ['regions'], message: 'must list the primary Region then at least one replica Region for a multi-Region alias' });
      }
    }),
  );

export const settingsSchema = z.strictObject({
  sweepSchedule: z._default(scheduleExpression, 'rate(1 hour)'),
  retireSchedule: z._default(scheduleExpression, 'rate(1 day)'),
  maxRotationsPerRun: z._default(z.number().check(z.int(), z.gte(1), z.lte(1000)), 20),
  forceCooldown: z._default(duration(), '1h'),
  dueSoonNotice: z._default(duration({ units: ['h', 'd'] }), '7d'),
  requestExpiry: z._default(duration({ units: ['h', 'd'], min: [3_600_000, '1h'], max: [30 * MS_PER_DAY, '30d'] }), '72h'),
  requestReminder: z._default(duration({ units: ['h', 'd'] }), '24h'),
  quotaShare: z._default(z.number().check(z.gte(MIN_QUOTA_SHARE), z.lte(1)), 0.5),
  cancelDeletionOnUse: z._default(z.boolean(), true),
  approvers: z._default(principalPatterns, []),
  pinnedSessionRoles: z._default(principalPatterns, []),
  audit: z._default(
    z.strictObject({
      repeatWindow: z._default(duration(), '5m'),
      rules: z._default(
        z.record(
          z.string(),
          z.strictObject({
            enabled: z.optional(z.boolean()),
            severity: z.optional(z.enum(['low', 'medium', 'high', 'critical'])),
            threshold: z.optional(z.number().check(z.int(), z.gte(1))),
            window: z.optional(duration()),
          }),
        ),
        {},
      ),
    }),
    () => ({ repeatWindow: '5m', rules: {} }),
  ),
});

export const rotationConfigSchema = z
  .strictObject({
    settings: z._default(settingsSchema, () => settingsSchema.parse({})),
    aliases: z.array(aliasConfigSchema).check(z.minLength(1, 'must list at least one alias')),
  })
  .check(
    z.superRefine((config, context) => {
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
    }),
  );

export type RotationConfigDocument = z.output<typeof rotationConfigSchema>;
