import * as z from 'zod/mini';
import '../validation.js';

/** Longest reason accepted; reasons go to logs, events and the table, never to tags. */
export const MAX_REASON_LENGTH = 1000;

/** The event an EventBridge schedule delivers. AWS may add fields, so unknown ones are kept. */
const scheduledEventSchema = z.looseObject({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: z.string(),
});

const aliasName = z.string().check(z.regex(/^alias\/[a-zA-Z0-9/_-]{1,250}$/, 'must be an alias name such as alias/payments'));
const reason = z.string().check(z.trim(), z.minLength(1, 'must say why'), z.maxLength(MAX_REASON_LENGTH, `must be at most ${MAX_REASON_LENGTH} characters`));
/** The presigned sts:GetCallerIdentity request of the person asking; checked by the identity module. */
const identityProof = z.unknown();
const requestId = z.string().check(z.regex(/^[A-Za-z0-9-]{8,64}$/, 'must be 8 to 64 letters, digits or hyphens, unique per request'));

const personFields = { requestId: z.optional(requestId), identityProof: z.optional(identityProof) };

const rotateSchema = z.strictObject({
  alias: aliasName,
  reason,
  force: z.optional(z.literal(true)),
  skipOverlap: z.optional(z.literal(true)),
  ...personFields,
});
const rollbackSchema = z.strictObject({ alias: aliasName, reason, rollback: z.literal(true), ...personFields });
const pauseSchema = z.strictObject({ alias: z.optional(aliasName), reason, pause: z.literal(true), ...personFields });
const resumeSchema = z.strictObject({ alias: z.optional(aliasName), reason: z.optional(reason), resume: z.literal(true), ...personFields });
const abandonCreateSchema = z.strictObject({ alias: aliasName, reason, abandonCreate: z.literal(true), ...personFields });
const dryRunSchema = z.strictObject({ dryRun: z.literal(true) });
/** A sweep's hand-over of one due alias; it carries no reason and no identity, like the schedule. */
const fanOutSchema = z.strictObject({
  fanOut: z.literal(true),
  alias: aliasName,
  sweepRunId: z.string().check(z.regex(/^[A-Za-z0-9-]{8,64}$/, 'must be the run id of the sweep, 8 to 64 letters, digits or hyphens')),
});

interface PersonRequest {
  requestId?: string;
  identityProof?: unknown;
}

export type InvokeRequest =
  | { kind: 'sweep' }
  | { kind: 'dry-run' }
  | { kind: 'fan-out'; alias: string; sweepRunId: string }
  | ({ kind: 'rotate'; alias: string; reason: string; force: boolean; skipOverlap: boolean } & PersonRequest)
  | ({ kind: 'rollback'; alias: string; reason: string } & PersonRequest)
  | ({ kind: 'abandon-create'; alias: string; reason: string } & PersonRequest)
  | ({ kind: 'pause' | 'resume'; alias?: string; reason?: string } & PersonRequest);

/** A request from a person, as opposed to the schedule's sweep, a dry run or a sweep's hand-over. */
export type PersonInvokeRequest = Exclude<InvokeRequest, { kind: 'sweep' | 'dry-run' | 'fan-out' }>;

/** The invoke event is not one the rotate function accepts; nothing was changed. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
}

const ACTIONS = ['rollback', 'pause', 'resume', 'abandonCreate', 'dryRun', 'fanOut'] as const;

/** Validates an invoke event; throws InvalidRequestError naming each bad field. */
export function parseInvokeRequest(event: unknown): InvokeRequest {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new InvalidRequestError(`The event must be a JSON object, such as {"alias": "alias/payments", "reason": "suspected leak"}; received ${describe(event)}`);
  }
  if ('source' in event) {
    // A schedule's event names no alias and no action, so a request that also carries `source` is
    // rejected rather than run as a sweep.
    const requestFields = [...ACTIONS, 'alias', 'reason', 'force', 'skipOverlap', 'sweepRunId'].filter((field) => field in event);
    if (requestFields.length > 0) {
      throw new InvalidRequestError(`Invalid request: a scheduled event (with source) carries no ${requestFields.join(', ')}; send a person's request without source`);
    }
    parse(scheduledEventSchema, event, 'scheduled event');
    return { kind: 'sweep' };
  }

  const actions = ACTIONS.filter((action) => action in event);
  if (actions.length > 1) throw new InvalidRequestError(`Invalid request: give one of ${ACTIONS.join(', ')}, not ${actions.join(' and ')}`);
  switch (actions[0]) {
    case 'dryRun':
      parse(dryRunSchema, event, 'dry run request');
      return { kind: 'dry-run' };
    case 'fanOut': {
      const { fanOut: _fanOut, ...request } = parse(fanOutSchema, event, 'fan-out request');
      return { kind: 'fan-out', ...request };
    }
    case 'rollback': {
      const { rollback: _rollback, ...request } = parse(rollbackSchema, event, 'rollback request');
      return { kind: 'rollback', ...request };
    }
    case 'abandonCreate': {
      const { abandonCreate: _abandonCreate, ...request } = parse(abandonCreateSchema, event, 'abandonCreate request');
      return { kind: 'abandon-create', ...request };
    }
    case 'pause': {
      const { pause: _pause, ...request } = parse(pauseSchema, event, 'pause request');
      return { kind: 'pause', ...request };
    }
    case 'resume': {
      const { resume: _resume, ...request } = parse(resumeSchema, event, 'resume request');
      return { kind: 'resume', ...request };
    }
    default: {
      const { force, skipOverlap, ...request } = parse(rotateSchema, event, 'rotation request');
      return { kind: 'rotate', ...request, force: force === true, skipOverlap: skipOverlap === true };
    }
  }
}

function parse<T extends z.ZodMiniType>(schema: T, event: object, name: string): z.output<T> {
  const result = schema.safeParse(event);
  if (!result.success) throw new InvalidRequestError(`Invalid ${name}: ${formatIssues(event, result.error)}`);
  return result.data;
}

function formatIssues(event: object, error: z.core.$ZodError): string {
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
