import type { ManagedAlias } from '../config/load.js';
import { publishEvent } from '../events/publish.js';
import type { RotationDeps } from './deps.js';
import { RotationBlockedError, describeAwsError, type RotationStepName } from './errors.js';
import { OUTCOMES, type AliasOutcome } from './outcome.js';

/**
 * Logs one line per alias decision and returns the outcome. A `not-due` alias, which most of a
 * sweep's aliases are, logs at debug level; the sweep's summary line counts them.
 */
export function report(deps: RotationDeps, outcome: AliasOutcome): AliasOutcome {
  let level: 'error' | 'warn' | 'info' | 'debug' = 'info';
  if (outcome.outcome === OUTCOMES.failed) level = 'error';
  else if (outcome.outcome === OUTCOMES.blocked) level = 'warn';
  else if (outcome.outcome === OUTCOMES.notDue) level = 'debug';
  // Powertools reserves the key `message` for the log line itself, so the outcome's goes under `detail`.
  const { message, ...fields } = outcome;
  deps.logger[level]('Alias checked', message === undefined ? fields : { ...fields, detail: message });
  return outcome;
}

/**
 * Turns an error into a `failed` or `blocked` outcome and announces it. `Rotation Failed` goes out
 * every time; `Rotation Blocked` only when the key or the reason changed since the last one.
 */
export async function failed(
  deps: RotationDeps,
  managed: ManagedAlias,
  step: RotationStepName,
  error: unknown,
  keyId?: string,
): Promise<AliasOutcome> {
  const blocked = error instanceof RotationBlockedError;
  const message = error instanceof Error ? error.message : String(error);
  const outcome: AliasOutcome = {
    alias: managed.alias,
    region: managed.region,
    outcome: blocked ? OUTCOMES.blocked : OUTCOMES.failed,
    step,
    message,
  };
  if (keyId) outcome.currentKeyId = keyId;
  if (!blocked && isTransient(error)) outcome.transient = true;

  try {
    const detail = { version: 1, alias: managed.alias, region: managed.region, keyId, step, error: message };
    if (!blocked) {
      await publishEvent(deps.eventbridge, deps.busName, 'Rotation Failed', detail);
    } else if (await deps.table.recordBlocked(managed.region, managed.alias, { keyId: keyId ?? '', reason: message, since: deps.clock.now().toISOString() })) {
      await publishEvent(deps.eventbridge, deps.busName, 'Rotation Blocked', detail);
    }
  } catch (publishError) {
    deps.logger.error('Could not announce the rotation failure', { alias: managed.alias, region: managed.region, error: describeAwsError(publishError) });
  }
  return report(deps, outcome);
}

export function days(ageMs: number): number {
  return Math.floor(ageMs / 86_400_000);
}

/**
 * Publishes the event of a change that is already made and recorded. A failure to publish must not
 * turn the change into a failure, or a person would ask for it again. The failure is logged, and
 * the returned note explains it in the outcome's message. Returns undefined when the event went out.
 */
export async function announceMadeChange(
  deps: RotationDeps,
  ids: { alias: string; region: string },
  detailType: string,
  publish: () => Promise<void>,
): Promise<string | undefined> {
  try {
    await publish();
    return undefined;
  } catch (error) {
    deps.logger.error('Could not publish the event of a change that was made', { ...ids, detailType, error: describeAwsError(error) });
    return `The change was made, but the ${detailType} event could not be published: ${describeAwsError(error)}. Do not ask for the change again.`;
  }
}

const TRANSIENT_ERROR_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'KMSInternalException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'TimeoutError',
]);

/**
 * True when the error, or the AWS error it wraps, is one that a later attempt may not meet:
 * throttling, a server fault, a timeout or a dropped connection.
 */
export function isTransient(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    const fault = current as { $fault?: string; $retryable?: unknown; code?: string };
    if (TRANSIENT_ERROR_NAMES.has(current.name) || fault.$fault === 'server' || fault.$retryable) return true;
    if (fault.code === 'ECONNRESET' || fault.code === 'ECONNREFUSED' || fault.code === 'EPIPE') return true;
  }
  return false;
}

/** True when KMS refused a call because of a request quota. */
export function isThrottling(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current.name === 'ThrottlingException') return true;
  }
  return false;
}
