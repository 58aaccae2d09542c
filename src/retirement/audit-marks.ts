import type { KeyMarks } from '../audit/marks.js';
import type { AuditMarks } from './deps.js';

/** Reads the audit function's marks for the retirement checks. */
export function auditMarksFrom(marks: KeyMarks): AuditMarks {
  return {
    async listBlockedUses(keyArn, since) {
      const uses = await marks.listBlockedUses(keyArn, since.toISOString());
      return uses.map((use) => ({ keyArn: use.keyArn, principal: use.principal, operation: use.operation, time: use.at, errorCode: use.errorCode, id: use.eventId }));
    },
    hasUnclearedDeletionMark: (keyArn) => marks.hasUnclearedDeletionMark(keyArn),
  };
}
