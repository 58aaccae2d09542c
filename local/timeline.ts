import type { ManagedAlias } from '../src/config/load.js';
import type { InvokeResult } from '../src/rotation/handle-invoke.js';
import type { AliasOutcome } from '../src/rotation/outcome.js';
import type { SampleCheck } from './demo-customer.js';

/** Prints the runner's timeline for people: one line per event worth reading. */
export class Timeline {
  rotations = 0;
  failures = 0;
  /** Last message printed per alias for outcomes that repeat every sweep, so each shows once. */
  readonly #lastMessage = new Map<string, string>();

  header(start: Date, end: Date, schedules: Record<string, string[]>, aliases: ManagedAlias[]): void {
    console.log(`kms-rotator local run from ${day(start)} to ${day(end)} (virtual time)`);
    const listed = Object.entries(schedules).map(([name, expressions]) => `${name} ${expressions.join(', ')}`);
    console.log(`schedules (serverless.yml): ${listed.join('; ')}`);
    for (const managed of aliases) {
      const overlap = managed.overlapMs === undefined ? '' : `, overlap ${managed.overlapMs / 3_600_000}h`;
      console.log(`managed: ${managed.alias} in ${managed.region}, ${managed.strategy} strategy, period ${managed.period}${overlap}`);
    }
    console.log('');
    console.log(row('date', 'alias', 'event', 'old key', 'new key', 'key age'));
  }

  note(time: Date, text: string): void {
    console.log(`${day(time)}  ${text}`);
  }

  outcome(time: Date, outcome: AliasOutcome): void {
    switch (outcome.outcome) {
      case 'rotated':
        this.rotations += 1;
        this.#lastMessage.delete(outcome.alias);
        console.log(row(day(time), outcome.alias, 'rotated', outcome.previousKeyId ?? outcome.currentKeyId ?? '', outcome.currentKeyId ?? '', age(outcome.keyAgeDays)));
        return;
      case 'published':
      case 'repaired':
      case 'failed':
      case 'blocked':
        if (this.#lastMessage.get(outcome.alias) === outcome.message) return;
        this.#lastMessage.set(outcome.alias, outcome.message ?? '');
        if (outcome.outcome === 'failed' || outcome.outcome === 'blocked') this.failures += 1;
        console.log(row(day(time), outcome.alias, outcome.outcome, outcome.currentKeyId ?? '', '', ''));
        console.log(`            ${outcome.message ?? ''}`);
        return;
      default:
        return;
    }
  }

  /** Prints what a person asked for and what came of it. */
  personRequest(time: Date, by: string, verb: string, reason: string, result: InvokeResult): void {
    const who = by.replace(/^arn:aws:iam::[0-9]+:user\//, '');
    const alias = 'alias' in result ? result.alias : '';
    const outcome = 'outcome' in result ? result.outcome : 'done';
    if (outcome === 'rotated') this.rotations += 1;
    const keys = 'previousKeyId' in result ? [result.previousKeyId ?? '', result.currentKeyId ?? ''] : ['', ''];
    console.log(row(day(time), alias, outcome, keys[0] ?? '', keys[1] ?? '', ''));
    console.log(`            ${verb} requested by ${who} (identity proven through STS): "${reason}"`);
  }

  /** Prints an event the functions published on the project's bus, when a person would want to read it. */
  busEvent(time: Date, detailType: string, detail: Record<string, unknown>): void {
    const alias = String(detail.alias ?? '');
    const key = String(detail.keyId ?? detail.keyArn ?? '').replace(/^arn:[^:]+:kms:[^:]*:[0-9]*:key\//, '');
    const who = (arn: unknown) => String(arn ?? '').replace(/^arn:aws:(iam|sts)::[0-9]+:(user\/|assumed-role\/)/, '').replace(/\/.*$/, '');
    switch (detailType) {
      case 'Retirement Requested':
        console.log(row(day(time), alias, `${detail.action}-requested`, key, '', ''));
        console.log(`            requested by ${who(detail.requestedBy)}: ${detail.reason ?? ''}`);
        return;
      case 'Approval Recorded':
        console.log(row(day(time), alias, 'approved', key, '', ''));
        console.log(`            approved by ${who(detail.approvedBy)} (identity proven through STS, request signed with SigV4)`);
        return;
      case 'Key Disabled':
        console.log(row(day(time), alias, 'disabled', key, '', ''));
        console.log(`            DisableKey by kms-rotator's approval function, after its checks passed`);
        return;
      case 'Key Deletion Scheduled':
        console.log(row(day(time), alias, 'pending-deletion', key, '', ''));
        console.log(`            ScheduleKeyDeletion by kms-rotator's approval function; deletion on ${String(detail.deletionDate ?? '').slice(0, 10)} unless cancelled`);
        return;
      case 'Retirement Refused':
        console.log(row(day(time), alias, 'refused', key, '', ''));
        console.log(`            check ${detail.check}: ${detail.message}`);
        return;
      case 'Retirement Expired':
      case 'Retirement Withdrawn':
        console.log(row(day(time), alias, detailType === 'Retirement Expired' ? 'expired' : 'withdrawn', key, '', ''));
        return;
      case 'Key Deletion Cancelled':
        console.log(row(day(time), alias, 'deletion-cancelled', String(detail.keyArn ?? '').replace(/^arn:[^:]+:kms:[^:]*:[0-9]*:key\//, ''), '', ''));
        console.log(`            the audit safety net cancelled the deletion: ${detail.reason ?? ''}`);
        return;
      case 'Audit Alert':
        if (detail.severity !== 'critical' && detail.severity !== 'high') return;
        console.log(`${day(time)}  ALERT ${detail.severity} ${detail.ruleId}: ${detail.summary}`);
        return;
      default:
        return;
    }
  }

  /** Prints what happened when a client used an old ciphertext. */
  clientUse(time: Date, alias: string, check: SampleCheck): void {
    const result = check.decrypted ? `decrypted with ${check.decryptedWith}` : `failed: ${check.error}`;
    console.log(`${day(time)}  a client decrypts an old ciphertext of ${alias}: ${result}`);
  }

  sampleCheck(check: SampleCheck): void {
    console.log('');
    if (check.decrypted) {
      const when = this.rotations > 0 ? 'before the first rotation' : 'at the start';
      console.log(`The sample encrypted ${when} still decrypts, with key ${check.decryptedWith} (${check.oldKeyState}).`);
      console.log(`A new encryption through the alias uses key ${check.newestKeyId}, the newest.`);
    } else {
      console.log(`The sample encrypted at the start did NOT decrypt: ${check.error}`);
    }
  }

  summary(): void {
    console.log(`${this.rotations} ${this.rotations === 1 ? 'rotation' : 'rotations'}, ${this.failures} ${this.failures === 1 ? 'failure' : 'failures'}.`);
  }
}

function row(...cells: string[]): string {
  const widths = [10, 20, 18, 36, 36, 7];
  return cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ').trimEnd();
}

function day(time: Date): string {
  return time.toISOString().slice(0, 10);
}

function age(days: number | undefined): string {
  return days === undefined ? '' : `${days} d`;
}
