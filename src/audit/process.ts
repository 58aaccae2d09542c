import { publishEvent } from '../events/publish.js';
import { describeAwsError } from '../rotation/errors.js';
import { blockedUseReason } from './classify.js';
import type { AuditDeps } from './deps.js';
import { toolRoleMatcher, type Principal } from './principal.js';
import { toAuditRecord, type AuditRecord } from './record.js';
import { evaluateRules, type AuditSettings, type Finding, type RuleContext } from './rules.js';
import { cancelDeletionOnUse, type SafetyNetResult } from './safety-net.js';
import { parseAuditInput } from './schemas.js';

/** One published `Audit Alert`. */
export interface AuditAlert {
  version: 1;
  ruleId: Finding['ruleId'];
  severity: Finding['severity'];
  summary: string;
  /** Occurrences this alert stands for: this one plus those folded into it since the last alert of the rule for the principal. */
  count: number;
  record?: AuditRecord;
  region: string;
  safetyNet?: SafetyNetResult;
}

export type AuditOutcome =
  | { status: 'invalid' | 'ignored'; reason: string }
  | { status: 'duplicate'; eventId: string }
  | { status: 'audited'; record: AuditRecord; findings: Finding[]; alerts: AuditAlert[]; safetyNet?: SafetyNetResult };

/** Counts rejected inputs and logs each distinct reason once per container. */
export class RejectionLog {
  readonly counts = { invalid: 0, ignored: 0 };
  readonly #seen = new Set<string>();

  /** Returns true the first time `reason` is seen. */
  note(kind: 'invalid' | 'ignored', reason: string): boolean {
    this.counts[kind] += 1;
    if (this.#seen.has(reason)) return false;
    this.#seen.add(reason);
    return true;
  }
}

/** What one container of the audit function keeps between invocations. */
export interface AuditRuntime {
  deps: AuditDeps;
  settings: AuditSettings;
  /** True when the config manages `alias` in `region`. */
  isManagedAlias(alias: string, region: string): boolean;
  rejections: RejectionLog;
}

/**
 * Audits one event: validates it, logs its audit record, runs the rules, the safety net and the
 * blocked-use marks, and publishes alerts. An invalid or non-KMS event is counted and returns its
 * reason. Throws only when AWS calls fail, after releasing the event's claim, so that Lambda's
 * retry handles the event again.
 */
export async function handleAuditEvent(runtime: AuditRuntime, event: unknown): Promise<AuditOutcome> {
  const { deps } = runtime;
  const parsed = parseAuditInput(event);
  if ('rejected' in parsed) {
    if (runtime.rejections.note(parsed.rejected, parsed.reason)) {
      deps.logger[parsed.rejected === 'invalid' ? 'error' : 'info'](parsed.rejected === 'invalid' ? 'Invalid audit event skipped' : 'Non-KMS event skipped', {
        reason: parsed.reason,
        invalidSoFar: runtime.rejections.counts.invalid,
        ignoredSoFar: runtime.rejections.counts.ignored,
      });
    }
    return { status: parsed.rejected, reason: parsed.reason };
  }

  const isTool = toolRoleMatcher(deps.stage);
  const record = toAuditRecord(parsed, (principal: Principal, accountId: string) => isTool(principal, accountId));
  deps.logger.info('KMS audit record', { auditRecord: record });

  const findings = await evaluateRules(record, ruleContext(runtime));
  const blocked = blockedUseReason(record);
  const isServiceEvent = parsed.shape === 'kms-service-event' || record.eventType === 'AwsServiceEvent';
  if (findings.length === 0 && !blocked && !isServiceEvent) return { status: 'audited', record, findings, alerts: [] };

  // KMS service events may arrive twice, and Lambda retries a failed event: act once per event id.
  if (!(await deps.store.claimEvent(record.eventId, deps.clock.now().getTime()))) {
    deps.logger.info('Duplicate event skipped', { eventId: record.eventId, operation: record.operation });
    return { status: 'duplicate', eventId: record.eventId };
  }
  try {
    return await act(runtime, record, findings, blocked);
  } catch (error) {
    await deps.store.releaseEvent(record.eventId).catch((releaseError: unknown) => {
      deps.logger.error('Could not release the claim of a failed event; a retry will skip it', { eventId: record.eventId, error: describeAwsError(releaseError) });
    });
    throw error;
  }
}

async function act(runtime: AuditRuntime, record: AuditRecord, findings: Finding[], blocked: 'pending-deletion' | 'disabled' | undefined): Promise<AuditOutcome> {
  const { deps } = runtime;
  if (blocked && record.keyArn) {
    await deps.marks.recordBlockedUse({
      keyArn: record.keyArn,
      at: record.time,
      eventId: record.eventId,
      operation: record.operation,
      principal: record.principal.arn ?? record.principal.id,
      reason: blocked,
      errorCode: record.error?.code ?? 'Unknown',
    });
  }

  let safetyNet: SafetyNetResult | undefined;
  if (findings.some((finding) => finding.ruleId === 'pending-deletion-key-used')) {
    safetyNet = await cancelDeletionOnUse(deps, record, runtime.settings.cancelDeletionOnUse);
  }

  const alerts: AuditAlert[] = [];
  for (const finding of findings) {
    const withSafetyNet = finding.ruleId === 'pending-deletion-key-used' ? safetyNet : undefined;
    const count = await deps.store.foldRepeat(`${finding.ruleId}#${record.principal.id}`, Date.parse(record.time), runtime.settings.repeatWindowMs);
    // A cancelled deletion is always announced: it changed a key.
    if (count === undefined && withSafetyNet?.action !== 'cancelled') continue;
    const alert: AuditAlert = { version: 1, ruleId: finding.ruleId, severity: finding.severity, summary: finding.summary, count: count ?? 1, record, region: record.region };
    if (withSafetyNet) alert.safetyNet = withSafetyNet;
    await publishAlert(deps, alert);
    alerts.push(alert);
  }
  return { status: 'audited', record, findings, alerts, ...(safetyNet ? { safetyNet } : {}) };
}

/** Publishes one `Audit Alert` and logs it at a level that matches its severity. */
export async function publishAlert(deps: AuditDeps, alert: AuditAlert): Promise<void> {
  await publishEvent(deps.eventbridge, deps.busName, 'Audit Alert', { ...alert }, alert.record?.keyArn ? [alert.record.keyArn] : []);
  const level = alert.severity === 'critical' || alert.severity === 'high' ? 'error' : 'warn';
  deps.logger[level]('Audit alert', { ruleId: alert.ruleId, severity: alert.severity, summary: alert.summary, count: alert.count, eventId: alert.record?.eventId });
}

function ruleContext(runtime: AuditRuntime): RuleContext {
  return {
    settings: runtime.settings,
    isManagedAlias: runtime.isManagedAlias,
    stateTableName: runtime.deps.stateTableName,
    countInWindow: (name, atMs, windowMs) => runtime.deps.store.countInWindow(name, atMs, windowMs),
  };
}

/**
 * Audits a batch; an event whose AWS calls fail is logged and counted, and the batch goes on.
 * Returns the outcomes in order, with `failed` for the events that threw.
 */
export async function handleAuditBatch(runtime: AuditRuntime, events: unknown[]): Promise<Array<AuditOutcome | { status: 'failed'; error: string }>> {
  const outcomes: Array<AuditOutcome | { status: 'failed'; error: string }> = [];
  for (const event of events) {
    try {
      outcomes.push(await handleAuditEvent(runtime, event));
    } catch (error) {
      const description = describeAwsError(error);
      runtime.deps.logger.error('Could not audit an event of a batch', { error: description });
      outcomes.push({ status: 'failed', error: description });
    }
  }
  return outcomes;
}
