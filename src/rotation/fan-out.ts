import type { RotationDeps } from './deps.js';
import { describeAwsError } from './errors.js';
import { OUTCOMES, type AliasOutcome } from './outcome.js';

/** The event of one fanned-out run: rotate this alias if it is still due, as a sweep would. */
export interface FanOutEvent {
  fanOut: true;
  alias: string;
  /** The sweep that handed the alias over, to find both runs in the logs. */
  sweepRunId: string;
}

/** Starts other runs of the rotate function. In AWS, each is a Lambda invoke with InvocationType `Event`. */
export interface FanOut {
  /** Queues one run for `event` and returns without waiting for it. */
  invoke(event: FanOutEvent): Promise<void>;
  /** Milliseconds left before this run times out. */
  remainingMs(): number;
}

/**
 * Time a sweep keeps for itself after its last fan-out invoke, to log and return its result. An
 * invoke that could only go out later is not sent, and its alias stays deferred.
 */
export const FAN_OUT_RESERVE_MS = 30_000;

export const FANNED_OUT_MESSAGE = 'Due beyond maxRotationsPerRun; handed to its own run of the rotate function';

/**
 * Hands each deferred alias to its own asynchronous run, one invoke per alias. Invokes go out at
 * the CreateKey pacer's rate, because each run creates one key. The sweep's own keys took the
 * slots before them. Stops at the first failed invoke or when the run's time is nearly up, and leaves
 * the rest deferred to the next sweep. Returns how many aliases were handed over.
 */
export async function fanOutDeferred(deps: RotationDeps, outcomes: AliasOutcome[], sweepRunId: string): Promise<number> {
  const fanOut = deps.fanOut;
  if (!fanOut) return 0;
  let sent = 0;
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome.outcome !== OUTCOMES.deferred) continue;
    await deps.createKeyPacer?.wait();
    const remainingMs = fanOut.remainingMs();
    if (remainingMs < FAN_OUT_RESERVE_MS) {
      deps.logger.warn('Fan-out stopped: the run is nearly out of time; the next sweep takes the remaining aliases', { runId: sweepRunId, sent, remainingMs });
      break;
    }
    try {
      await fanOut.invoke({ fanOut: true, alias: outcome.alias, sweepRunId });
    } catch (error) {
      deps.logger.warn('Fan-out stopped: could not invoke the rotate function; the next sweep takes the remaining aliases', {
        runId: sweepRunId,
        alias: outcome.alias,
        sent,
        error: describeAwsError(error),
      });
      break;
    }
    outcomes[index] = { ...outcome, outcome: OUTCOMES.fannedOut, message: FANNED_OUT_MESSAGE };
    sent += 1;
  }
  return sent;
}
