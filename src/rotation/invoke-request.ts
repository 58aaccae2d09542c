import { z } from 'zod';

/** Longest reason accepted; reasons go to logs, events and the table, never to tags. */
export const MAX_REASON_LENGTH = 1000;

/** The event an EventBridge schedule delivers. AWS may add fields, so unknown ones are kept. */
const scheduledEventSchema = z.looseObject({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: z.string(),
});

/** A person's request to rotate one alias now. Unknown fields are rejected to catch typos. */
const manualRotationSchema = z.strictObject({
  alias: z.string().regex(/^alias\/[a-zA-Z0-9/_-]{1,250}$/, 'must be an alias name such as alias/payments'),
  reason: z
    .string()
    .trim()
    .min(1, 'must say why the alias is rotated now')
    .max(MAX_REASON_LENGTH, `must be at most ${MAX_REASON_LENGTH} characters`),
});

export type InvokeRequest = { kind: 'sweep' } | { kind: 'rotate'; alias: string; reason: string };

/** The invoke event is not one the rotate function accepts; nothing was changed. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
}

/** Validates an invoke event; throws InvalidRequestError naming each bad field. */
export function parseInvokeRequest(event: unknown): InvokeRequest {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new InvalidRequestError(`The event must be a JSON object, such as {"alias": "alias/payments", "reason": "suspected leak"}; received ${describe(event)}`);
  }
  if ('source' in event) {
    const scheduled = scheduledEventSchema.safeParse(event);
    if (!scheduled.success) throw new InvalidRequestError(`Invalid scheduled event: ${formatIssues(event, scheduled.error)}`);
    return { kind: 'sweep' };
  }
  const manual = manualRotationSchema.safeParse(event);
  if (!manual.success) throw new InvalidRequestError(`Invalid rotation request: ${formatIssues(event, manual.error)}`);
  return { kind: 'rotate', alias: manual.data.alias, reason: manual.data.reason };
}

function formatIssues(event: object, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.join(', ')}`;
      const field = issue.path.join('.') || 'event';
      const value = (event as Record<PropertyKey, unknown>)[issue.path[0] ?? ''];
      if (issue.code === 'invalid_type') {
        return value === undefined ? `field ${field} is missing` : `field ${field} must be of type ${issue.expected}, received ${describe(value)}`;
      }
      if (issue.code === 'invalid_value') return `field ${field} must be ${issue.values.map((allowed) => JSON.stringify(allowed)).join(' or ')}`;
      return `field ${field} ${issue.message}`;
    })
    .join('; ');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
