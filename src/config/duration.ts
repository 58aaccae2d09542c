/** Durations in the config are a whole number followed by a unit: `m` (minutes), `h` (hours) or `d` (days). */
const DURATION = /^(0|[1-9][0-9]{0,6})([mhd])$/;

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

const UNIT_MS = { m: MS_PER_MINUTE, h: MS_PER_HOUR, d: MS_PER_DAY } as const;
export type DurationUnit = keyof typeof UNIT_MS;

/** Parses `90d`, `36h` or `5m` into milliseconds; returns undefined for anything else or a unit not in `units`. */
export function parseDuration(text: string, units: readonly DurationUnit[] = ['m', 'h', 'd']): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const unit = match[2] as DurationUnit;
  if (!units.includes(unit)) return undefined;
  return Number(match[1]) * UNIT_MS[unit];
}

export { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE };
