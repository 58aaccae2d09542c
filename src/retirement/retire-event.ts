import * as z from 'zod/mini';
import '../validation.js';

/**
 * The event an EventBridge schedule delivers to the retire function. AWS may add fields, so
 * unknown ones are kept, as for the rotate function's scheduled event.
 */
const scheduledEventSchema = z.looseObject({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: z.string().check(z.refine((text) => !Number.isNaN(Date.parse(text)), 'must be an ISO 8601 time such as 2027-01-01T00:00:00Z')),
});

export type RetireScheduledEvent = z.output<typeof scheduledEventSchema>;

/** The retire function's event is not an EventBridge `Scheduled Event`; nothing was read or changed. */
export class InvalidRetireEventError extends Error {
  override readonly name = 'InvalidRetireEventError';
}

/**
 * Validates the retire function's event before any AWS call. The function runs only on its
 * schedule, so it accepts only an EventBridge `Scheduled Event` and throws
 * InvalidRetireEventError naming each invalid field otherwise.
 */
export function parseRetireEvent(event: unknown): RetireScheduledEvent {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new InvalidRetireEventError(
      `Invalid retire event: expected the EventBridge Scheduled Event of settings.retireSchedule, a JSON object with source "aws.events"; received ${describeValue(event)}`,
    );
  }
  const result = scheduledEventSchema.safeParse(event);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.map(String).join('.') || 'event';
    const value = (event as Record<PropertyKey, unknown>)[issue.path[0] ?? ''];
    if (value === undefined) return `field ${field} is missing`;
    if (issue.code === 'invalid_value') return `field ${field} must be ${issue.values.map((allowed) => JSON.stringify(allowed)).join(' or ')}, received ${truncate(JSON.stringify(value))}`;
    if (issue.code === 'invalid_type') return `field ${field} must be of type ${issue.expected}, received ${describeValue(value)}`;
    return `field ${field} ${issue.message}, received ${truncate(JSON.stringify(value))}`;
  });
  throw new InvalidRetireEventError(`Invalid retire event: ${problems.join('; ')}. The retire function runs only on its EventBridge schedule.`);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function truncate(text: string | undefined, max = 80): string {
  if (text === undefined) return 'undefined';
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
