import type { ManagedAlias } from '../src/config/load.js';
import type { AliasOutcome } from '../src/rotation/outcome.js';
import type { SampleCheck } from './demo-customer.js';

/** Prints the runner's timeline for people: one line per event worth reading. */
export class Timeline {
  rotations = 0;
  failures = 0;

  header(start: Date, end: Date, schedules: string[], aliases: ManagedAlias[]): void {
    console.log(`kms-rotator local run from ${day(start)} to ${day(end)} (virtual time)`);
    console.log(`rotate schedule (serverless.yml): ${schedules.join(', ')}`);
    for (const managed of aliases) console.log(`managed: ${managed.alias} in ${managed.region}, period ${managed.period}`);
    console.log('');
    console.log(row('date', 'alias', 'event', 'old key', 'new key', 'key age'));
  }

  note(time: Date, text: string): void {
    console.log(`${day(time)}  ${text}`);
  }

  outcome(time: Date, outcome: AliasOutcome): void {
    if (outcome.outcome === 'rotated') {
      this.rotations += 1;
      console.log(row(day(time), outcome.alias, 'rotated', outcome.previousKeyId ?? '', outcome.currentKeyId ?? '', age(outcome.keyAgeDays)));
    } else if (outcome.outcome === 'failed' || outcome.outcome === 'blocked') {
      this.failures += 1;
      console.log(row(day(time), outcome.alias, outcome.outcome, outcome.currentKeyId ?? '', '', ''));
      console.log(`            ${outcome.step ?? ''}: ${outcome.message ?? ''}`);
    }
  }

  sampleCheck(check: SampleCheck): void {
    console.log('');
    if (check.decrypted) {
      console.log(`The sample encrypted before the first rotation still decrypts, with key ${check.decryptedWith} (${check.oldKeyState}).`);
      console.log(`A new encryption through the alias uses key ${check.newestKeyId}, the newest.`);
    } else {
      console.log(`The sample encrypted before the first rotation did NOT decrypt: ${check.error}`);
    }
  }

  summary(): void {
    console.log(`${this.rotations} rotations, ${this.failures} failures.`);
  }
}

function row(...cells: string[]): string {
  const widths = [10, 24, 8, 36, 36, 7];
  return cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ').trimEnd();
}

function day(time: Date): string {
  return time.toISOString().slice(0, 10);
}

function age(days: number | undefined): string {
  return days === undefined ? '' : `${days} d`;
}
