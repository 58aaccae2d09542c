/** Source of the current time, injected so that local runs can use a virtual clock. */
export interface Clock {
  now(): Date;
}

/** The wall clock, used in Lambda. */
export const systemClock: Clock = { now: () => new Date() };
