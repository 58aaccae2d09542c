/**
 * Returns a pseudo-random generator of numbers in [0, 1) seeded with `seed` (mulberry32), so that
 * a run that failed can be replayed with the same decisions by passing the seed it printed.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Returns a fresh 32-bit seed for a run that was given none. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 4_294_967_296);
}
