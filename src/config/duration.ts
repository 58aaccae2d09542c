/** Durations in the config are a whole number followed by a unit: `h` (hours) or `d` (days). */
const DURATION = /^([1-9][0-9]{0,5})([hd])$/;

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

/** Parses `90d` or `36h` into milliseconds; returns undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  return match[2] === 'd' ? value * MS_PER_DAY : value * MS_PER_HOUR;
}

export { MS_PER_DAY, MS_PER_HOUR };
