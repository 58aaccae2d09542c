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
  const nearlyOutOfTime = (remainingMs: number) => {
    if (remainingMs >= FAN_OUT_RESERVE_MS) return false;
    deps.logger.warn('Fan-out stopped: the run is nearly out of time; the next sweep takes the remaining aliases', { runId: sweepRunId, sent, remainingMs });
    return true;
  };
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome.outcome !== OUTCOMES.deferred) continue;
    // Checked before and after the pacer's wait, since the wait itself takes time.
    if (nearlyOutOfTime(fanOut.remainingMs())) break;
    await deps.createKeyPacer?.wait();
    const remainingMs = fanOut.remainingMs();
    if (nearlyOutOfTime(remainingMs)) break;
    try {
      await withinMs(fanOut.invoke({ fanOut: true, alias: outcome.alias, sweepRunId }), remainingMs - FAN_OUT_RESERVE_MS);
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

/** Settles as `work` does, or rejects once `ms` have passed, so a stalled invoke cannot hold the sweep. */
async function withinMs(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the invoke did not finish within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
