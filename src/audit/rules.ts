import type { RotationConfig } from '../config/load.js';
import { parseDuration } from '../config/duration.js';
import { blockedUseReason, failureMeaning } from './classify.js';
import type { AuditRecord } from './record.js';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** Rule ids, as `settings.audit.rules` and `Audit Alert` events name them; docs/audit-rules.md explains each. */
export const RULE_IDS = [
  'deletion-scheduled',
  'key-disabled',
  'key-policy-changed',
  'managed-alias-changed',
  'rotation-disabled',
  'imported-material-deleted',
  'imported-material-expiring',
  'disabled-key-used',
  'pending-deletion-key-used',
  'access-denied-burst',
  'root-call',
  'cross-account-grant',
  'state-table-policy-changed',
  'no-trail-logging',
  'unknown-identity-type',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

export interface RuleSettings {
  enabled: boolean;
  severity: Severity;
  /** Occurrences within `windowMs` that raise the alert; used by access-denied-burst. */
  threshold: number;
  /** Window of access-denied-burst, and how far ahead imported-material-expiring looks. */
  windowMs: number;
}

export interface AuditSettings {
  /** Repeats of one rule's alert for one principal within this window become one alert with a count. */
  repeatWindowMs: number;
  rules: Record<RuleId, RuleSettings>;
  cancelDeletionOnUse: boolean;
}

const DEFAULTS: Record<RuleId, RuleSettings> = {
  'deletion-scheduled': rule('high'),
  'key-disabled': rule('medium'),
  'key-policy-changed': rule('high'),
  'managed-alias-changed': rule('high'),
  'rotation-disabled': rule('medium'),
  'imported-material-deleted': rule('high'),
  'imported-material-expiring': rule('medium', { windowMs: 30 * 86_400_000 }),
  'disabled-key-used': rule('high'),
  'pending-deletion-key-used': rule('critical'),
  'access-denied-burst': rule('high', { threshold: 10, windowMs: 5 * 60_000 }),
  'root-call': rule('critical'),
  'cross-account-grant': rule('high'),
  'state-table-policy-changed': rule('critical'),
  'no-trail-logging': rule('high'),
  'unknown-identity-type': rule('low'),
};

function rule(severity: Severity, overrides: Partial<RuleSettings> = {}): RuleSettings {
  return { enabled: true, severity, threshold: 1, windowMs: 0, ...overrides };
}

/** A rule in `settings.audit.rules` that does not exist. */
export class AuditSettingsError extends Error {
  override readonly name = 'AuditSettingsError';
}

/** Applies `settings.audit` of the config to the rule defaults; throws on a rule id that does not exist. */
export function resolveAuditSettings(config: Pick<RotationConfig, 'audit' | 'cancelDeletionOnUse'>): AuditSettings {
  const unknown = Object.keys(config.audit.rules).filter((id) => !(RULE_IDS as readonly string[]).includes(id));
  if (unknown.length > 0) {
    throw new AuditSettingsError(`settings.audit.rules names unknown rule ${unknown.join(', ')}; the rules are ${RULE_IDS.join(', ')}`);
  }
  const rules = { ...DEFAULTS };
  for (const [id, override] of Object.entries(config.audit.rules) as Array<[RuleId, RotationConfig['audit']['rules'][string]]>) {
    rules[id] = {
      enabled: override.enabled ?? DEFAULTS[id].enabled,
      severity: override.severity ?? DEFAULTS[id].severity,
      threshold: override.threshold ?? DEFAULTS[id].threshold,
      windowMs: override.window === undefined ? DEFAULTS[id].windowMs : (parseDuration(override.window) as number),
    };
  }
  return { repeatWindowMs: parseDuration(config.audit.repeatWindow) as number, rules, cancelDeletionOnUse: config.cancelDeletionOnUse };
}

/** One rule that matched one record. */
export interface Finding {
  ruleId: RuleId;
  severity: Severity;
  /** One sentence for people: what happened, to which key or alias, by whom. */
  summary: string;
}

/** Context that rules need beyond the record. */
export interface RuleContext {
  settings: AuditSettings;
  /** True when the config manages `alias` in `region`. */
  isManagedAlias(alias: string, region: string): boolean;
  /** Name of the state table, whose resource policy guards the tool's state. */
  stateTableName?: string;
  /**
   * Counts an occurrence named `name` at `atMs` in a window of `windowMs`; returns the count in the
   * window, directly when it is known at once (as in a replay) or as a promise.
   */
  countInWindow(name: string, atMs: number, windowMs: number): number | Promise<number>;
}

type Matcher = (record: AuditRecord, context: RuleContext, settings: RuleSettings) => string | undefined | Promise<string | undefined>;

const by = (record: AuditRecord) => record.principal.arn ?? record.principal.id;
const subject = (record: AuditRecord) => record.keyArn ?? record.alias ?? 'an unnamed key';
const kmsSuccess = (record: AuditRecord, operation: string) =>
  record.eventSource === 'kms.amazonaws.com' && record.operation === operation && record.result === 'success';

const MATCHERS: Record<Exclude<RuleId, 'no-trail-logging'>, Matcher> = {
  'deletion-scheduled': (record) =>
    kmsSuccess(record, 'ScheduleKeyDeletion') && !record.madeByTool
      ? `${by(record)} scheduled the deletion of ${subject(record)} (pending window ${String(record.request?.pendingWindowInDays ?? 30)} days)`
      : undefined,
  'key-disabled': (record) => (kmsSuccess(record, 'DisableKey') && !record.madeByTool ? `${by(record)} disabled ${subject(record)}` : undefined),
  'key-policy-changed': (record) =>
    kmsSuccess(record, 'PutKeyPolicy') && !record.madeByTool ? `${by(record)} replaced the key policy of ${subject(record)}` : undefined,
  'managed-alias-changed': (record, context) => {
    if (!(kmsSuccess(record, 'UpdateAlias') || kmsSuccess(record, 'DeleteAlias')) || record.madeByTool || !record.alias) return undefined;
    if (!context.isManagedAlias(record.alias, record.region)) return undefined;
    return record.operation === 'DeleteAlias'
      ? `${by(record)} deleted the managed alias ${record.alias}`
      : `${by(record)} pointed the managed alias ${record.alias} at ${record.keyArn ?? 'another key'}`;
  },
  'rotation-disabled': (record) => (kmsSuccess(record, 'DisableKeyRotation') ? `${by(record)} disabled automatic rotation of ${subject(record)}` : undefined),
  'imported-material-deleted': (record) => {
    if (kmsSuccess(record, 'DeleteImportedKeyMaterial')) return `${by(record)} deleted the imported key material of ${subject(record)}`;
    if (kmsSuccess(record, 'DeleteExpiredKeyMaterial') || record.operation === 'KMS Imported Key Material Expiration') {
      return `KMS deleted the expired imported key material of ${subject(record)}; the key is unusable until material is imported again`;
    }
    return undefined;
  },
  'imported-material-expiring': (record, _context, settings) => {
    if (!kmsSuccess(record, 'ImportKeyMaterial') || record.request?.expirationModel === 'KEY_MATERIAL_DOES_NOT_EXPIRE') return undefined;
    const validTo = parseValidTo(record.request?.validTo);
    if (validTo === undefined) return undefined;
    const remainingMs = validTo - Date.parse(record.time);
    if (remainingMs > settings.windowMs) return undefined;
    return `The key material ${by(record)} imported into ${subject(record)} expires at ${new Date(validTo).toISOString()}, in ${Math.max(0, Math.floor(remainingMs / 86_400_000))} days`;
  },
  'disabled-key-used': (record) =>
    blockedUseReason(record) === 'disabled' ? `${by(record)} called ${record.operation} with the disabled key ${subject(record)}` : undefined,
  'pending-deletion-key-used': (record) =>
    blockedUseReason(record) === 'pending-deletion' ? `${by(record)} called ${record.operation} with ${subject(record)}, which is pending deletion` : undefined,
  'access-denied-burst': (record, context, settings) => {
    if (record.madeByTool || failureMeaning(record) !== 'access-denied') return undefined;
    const summarize = (count: number) =>
      count < settings.threshold
        ? undefined
        : `${by(record)} was denied ${count} KMS calls within ${Math.round(settings.windowMs / 60_000)} minutes (threshold ${settings.threshold}); the latest was ${record.operation}`;
    const count = context.countInWindow(`access-denied-burst#${record.principal.id}`, Date.parse(record.time), settings.windowMs);
    return typeof count === 'number' ? summarize(count) : count.then(summarize);
  },
  'root-call': (record) => (record.principal.type === 'Root' && record.eventSource === 'kms.amazonaws.com' ? `The root user of ${record.account} called ${record.operation}` : undefined),
  'cross-account-grant': (record) => {
    if (!kmsSuccess(record, 'CreateGrant')) return undefined;
    const grantee = record.request?.granteePrincipal;
    const granteeAccount = typeof grantee === 'string' ? accountOf(grantee) : undefined;
    if (granteeAccount === undefined || granteeAccount === record.account) return undefined;
    return `${by(record)} granted ${String(grantee)} of account ${granteeAccount} the use of ${subject(record)}`;
  },
  'state-table-policy-changed': (record, context) => {
    if (record.eventSource !== 'dynamodb.amazonaws.com' || record.result !== 'success' || !context.stateTableName) return undefined;
    const resourceArn = record.request?.resourceArn;
    if (typeof resourceArn !== 'string' || !isTableOrChild(resourceArn, context.stateTableName)) return undefined;
    return `${by(record)} called ${record.operation} on the state table's resource policy (${resourceArn})`;
  },
  'unknown-identity-type': (record) =>
    record.principal.knownType ? undefined : `${by(record)} called ${record.operation} with the userIdentity type ${record.principal.type}, which this version does not know`,
};

const MATCHER_ENTRIES = Object.entries(MATCHERS) as Array<[RuleId, Matcher]>;

/** Runs every enabled rule on one record; returns the findings in the order of RULE_IDS. */
export async function evaluateRules(record: AuditRecord, context: RuleContext): Promise<Finding[]> {
  return evaluateRulesInline(record, context);
}

/**
 * Runs every enabled rule on one record, as evaluateRules does, but returns the findings directly
 * when no rule returned a promise. Rules run one after another in the same order either way.
 */
export function evaluateRulesInline(record: AuditRecord, context: RuleContext): Finding[] | Promise<Finding[]> {
  const findings: Finding[] = [];
  for (let index = 0; index < MATCHER_ENTRIES.length; index += 1) {
    const [ruleId, matcher] = MATCHER_ENTRIES[index] as [RuleId, Matcher];
    const settings = context.settings.rules[ruleId];
    if (!settings.enabled) continue;
    const summary = matcher(record, context, settings);
    if (summary instanceof Promise) return finishRules(record, context, findings, index, summary);
    if (summary !== undefined) findings.push({ ruleId, severity: settings.severity, summary });
  }
  return findings;
}

/** Waits for the rule at `index`, then runs the rules after it, awaiting each. */
async function finishRules(record: AuditRecord, context: RuleContext, findings: Finding[], index: number, pending: Promise<string | undefined>): Promise<Finding[]> {
  for (let at = index; at < MATCHER_ENTRIES.length; at += 1) {
    const [ruleId, matcher] = MATCHER_ENTRIES[at] as [RuleId, Matcher];
    const settings = context.settings.rules[ruleId];
    if (at !== index && !settings.enabled) continue;
    const summary = at === index ? await pending : await matcher(record, context, settings);
    if (summary !== undefined) findings.push({ ruleId, severity: settings.severity, summary });
  }
  return findings;
}

/** Returns the account of an ARN or a bare account id; undefined for a service principal or an opaque id. */
export function accountOf(principal: string): string | undefined {
  if (/^\d{12}$/.test(principal)) return principal;
  return /^arn:aws[a-z-]*:[a-z0-9-]+::(\d{12}):/.exec(principal)?.[1];
}

function isTableOrChild(resourceArn: string, tableName: string): boolean {
  const marker = `:table/${tableName}`;
  const at = resourceArn.indexOf(marker);
  if (at < 0) return false;
  const rest = resourceArn.slice(at + marker.length);
  return rest === '' || rest.startsWith('/');
}

/**
 * Parses ImportKeyMaterial's `validTo`. CloudTrail has written it as ISO 8601 and as
 * "Jan 1, 2021 8:00:00 PM"; a time without a zone is read as UTC.
 */
function parseValidTo(value: unknown): number | undefined {
  if (typeof value === 'number') return value > 1e11 ? value : value * 1000;
  if (typeof value !== 'string') return undefined;
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)$/i.test(value.trim());
  const parsed = Date.parse(hasZone || /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : `${value} UTC`);
  return Number.isNaN(parsed) ? undefined : parsed;
}
