/**
 * EventBridge schedule expressions (`rate(...)` and `cron(...)`), parsed and evaluated as the
 * Amazon EventBridge User Guide defines them for scheduled rules ("Rate expressions reference" and
 * "Using cron and rate expressions to schedule rules"). All times are UTC, as in EventBridge.
 *
 * The parser accepts only the documented syntax. Quartz extensions that the guide does not list
 * (`LW`, `L-3`, `/` in day-of-week) are rejected, so an expression that passes here has the
 * documented meaning on AWS.
 * NOTE: day-of-week `<day>L` (`6L`, the last Friday of the month) is accepted with its Quartz
 * meaning. The guide only says that `L` there means the last day of the week.
 */

export type RateUnit = 'minute' | 'hour' | 'day';

export interface RateSchedule {
  kind: 'rate';
  expression: string;
  value: number;
  unit: RateUnit;
  intervalMs: number;
}

/** Day-of-month field: every day, listed days, the last day (`L`) or the weekday nearest a day (`nW`). */
export type DayOfMonthSpec =
  | { kind: 'any' }
  | { kind: 'days'; days: number[] }
  | { kind: 'last' }
  | { kind: 'nearestWeekday'; day: number };

/**
 * Day-of-week field, with 1 = Sunday … 7 = Saturday: every day, listed days, the last weekday of
 * its kind in the month (`6L`), or the nth weekday of its kind in the month (`3#2`).
 * A plain `L` means day 7 (Saturday), the last day of the week.
 */
export type DayOfWeekSpec =
  | { kind: 'any' }
  | { kind: 'days'; days: number[] }
  | { kind: 'lastOfMonth'; day: number }
  | { kind: 'nth'; day: number; nth: number };

export interface CronSchedule {
  kind: 'cron';
  expression: string;
  minutes: number[];
  hours: number[];
  dayOfMonth: DayOfMonthSpec;
  months: number[];
  dayOfWeek: DayOfWeekSpec;
  years: number[];
}

export type Schedule = RateSchedule | CronSchedule;

export interface NextFireTimeOptions {
  /**
   * Time the rate schedule started. EventBridge starts a rate schedule when the rule is created,
   * so a deployed rule fires at start + k × interval (k ≥ 1). Without it, `after` is taken as the
   * start and the result is `after` + interval. Cron schedules ignore it.
   */
  rateStart?: Date;
}

const MINUTE_MS = 60_000;
const RATE_UNIT_MS: Record<RateUnit, number> = { minute: MINUTE_MS, hour: 60 * MINUTE_MS, day: 24 * 60 * MINUTE_MS };
const MIN_YEAR = 1970;
const MAX_YEAR = 2199;

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldRule {
  name: string;
  min: number;
  max: number;
  /** Names that stand for min, min + 1, … (JAN = 1, SUN = 1). */
  names?: string[];
  allowStep: boolean;
}

const MINUTES: FieldRule = { name: 'minutes', min: 0, max: 59, allowStep: true };
const HOURS: FieldRule = { name: 'hours', min: 0, max: 23, allowStep: true };
const DAY_OF_MONTH: FieldRule = { name: 'day-of-month', min: 1, max: 31, allowStep: true };
const MONTH: FieldRule = { name: 'month', min: 1, max: 12, names: MONTH_NAMES, allowStep: true };
const DAY_OF_WEEK: FieldRule = { name: 'day-of-week', min: 1, max: 7, names: DAY_NAMES, allowStep: false };
const YEAR: FieldRule = { name: 'year', min: MIN_YEAR, max: MAX_YEAR, allowStep: true };

/** Error for an expression that EventBridge would reject. */
export class ScheduleExpressionError extends Error {
  constructor(expression: string, problem: string) {
    super(`Invalid schedule expression "${expression}": ${problem}`);
    this.name = 'ScheduleExpressionError';
  }
}

/**
 * Parses an EventBridge schedule expression.
 * @throws ScheduleExpressionError naming the expression and what is wrong with it.
 */
export function parseSchedule(expression: string): Schedule {
  const rate = /^rate\((.*)\)$/s.exec(expression);
  if (rate) return parseRate(expression, rate[1] ?? '');

  const cron = /^cron\((.*)\)$/s.exec(expression);
  if (cron) return parseCron(expression, cron[1] ?? '');

  throw new ScheduleExpressionError(expression, 'expected "rate(value unit)" or "cron(minutes hours day-of-month month day-of-week year)"');
}

function parseRate(expression: string, body: string): RateSchedule {
  const parts = body.split(' ');
  if (parts.length !== 2) {
    throw new ScheduleExpressionError(expression, 'a rate expression has two fields, "value unit", separated by one space');
  }
  const [valueText = '', unitText = ''] = parts;

  if (!/^[1-9][0-9]*$/.test(valueText)) {
    throw new ScheduleExpressionError(expression, `rate value "${valueText}" must be a positive integer`);
  }
  const value = Number(valueText);
  if (!Number.isSafeInteger(value)) {
    throw new ScheduleExpressionError(expression, `rate value "${valueText}" is too large`);
  }

  const singular = unitText.replace(/s$/, '');
  if (singular !== 'minute' && singular !== 'hour' && singular !== 'day') {
    throw new ScheduleExpressionError(expression, `rate unit "${unitText}" must be one of minute, minutes, hour, hours, day, days`);
  }
  const plural = unitText !== singular;
  if (value === 1 && plural) {
    throw new ScheduleExpressionError(expression, `a rate value of 1 takes the singular unit "${singular}", not "${unitText}"`);
  }
  if (value > 1 && !plural) {
    throw new ScheduleExpressionError(expression, `a rate value greater than 1 takes the plural unit "${singular}s", not "${unitText}"`);
  }

  return { kind: 'rate', expression, value, unit: singular, intervalMs: value * RATE_UNIT_MS[singular] };
}

function parseCron(expression: string, body: string): CronSchedule {
  const fields = body.trim().split(/\s+/);
  if (body.trim() === '' || fields.length !== 6) {
    throw new ScheduleExpressionError(
      expression,
      `a cron expression has six fields (minutes hours day-of-month month day-of-week year), found ${body.trim() === '' ? 0 : fields.length}`,
    );
  }
  const [minutesText, hoursText, dayOfMonthText, monthText, dayOfWeekText, yearText] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];

  // EventBridge requires "?" in exactly one of the two day fields.
  const dayOfMonthIsAny = dayOfMonthText === '?';
  const dayOfWeekIsAny = dayOfWeekText === '?';
  if (dayOfMonthIsAny && dayOfWeekIsAny) {
    throw new ScheduleExpressionError(expression, 'only one of day-of-month and day-of-week may be "?"');
  }
  if (!dayOfMonthIsAny && !dayOfWeekIsAny) {
    throw new ScheduleExpressionError(
      expression,
      `day-of-month "${dayOfMonthText}" and day-of-week "${dayOfWeekText}" cannot both be set: use "?" in one of them`,
    );
  }

  return {
    kind: 'cron',
    expression,
    minutes: parseValueField(expression, minutesText, MINUTES),
    hours: parseValueField(expression, hoursText, HOURS),
    dayOfMonth: dayOfMonthIsAny ? { kind: 'any' } : parseDayOfMonth(expression, dayOfMonthText),
    months: parseValueField(expression, monthText, MONTH),
    dayOfWeek: dayOfWeekIsAny ? { kind: 'any' } : parseDayOfWeek(expression, dayOfWeekText),
    years: parseValueField(expression, yearText, YEAR),
  };
}

function parseDayOfMonth(expression: string, text: string): DayOfMonthSpec {
  if (text === '*') return { kind: 'any' };
  if (text === 'L') return { kind: 'last' };

  const weekday = /^([0-9]+)W$/.exec(text);
  if (weekday) {
    return { kind: 'nearestWeekday', day: parseNumber(expression, weekday[1] ?? '', DAY_OF_MONTH) };
  }
  if (/[LW]/.test(text)) {
    throw new ScheduleExpressionError(expression, `day-of-month "${text}": "L" and "W" are allowed only as "L" or "<day>W", alone in the field`);
  }
  return { kind: 'days', days: parseValueField(expression, text, DAY_OF_MONTH) };
}

function parseDayOfWeek(expression: string, text: string): DayOfWeekSpec {
  if (text === '*') return { kind: 'any' };
  if (text === 'L') return { kind: 'days', days: [7] };

  const last = /^([0-9A-Za-z]+)L$/.exec(text);
  if (last) {
    return { kind: 'lastOfMonth', day: parseNumber(expression, last[1] ?? '', DAY_OF_WEEK) };
  }

  if (text.includes('#')) {
    const nth = /^([0-9A-Za-z]+)#([0-9]+)$/.exec(text);
    if (!nth) {
      throw new ScheduleExpressionError(expression, `day-of-week "${text}": "#" takes the form "<day>#<n>", alone in the field`);
    }
    const n = Number(nth[2]);
    if (n < 1 || n > 5) {
      throw new ScheduleExpressionError(expression, `day-of-week "${text}": the occurrence after "#" must be 1 to 5`);
    }
    return { kind: 'nth', day: parseNumber(expression, nth[1] ?? '', DAY_OF_WEEK), nth: n };
  }

  if (text.includes('L')) {
    throw new ScheduleExpressionError(expression, `day-of-week "${text}": "L" is allowed only as "L" or "<day>L", alone in the field`);
  }
  return { kind: 'days', days: parseValueField(expression, text, DAY_OF_WEEK) };
}

/** Parses a field made of "*", values, ranges "a-b", steps "a/n", "*\/n", "a-b/n" and lists of these. */
function parseValueField(expression: string, text: string, rule: FieldRule): number[] {
  if (text === '?') {
    throw new ScheduleExpressionError(expression, `${rule.name} cannot be "?", because only day-of-month and day-of-week take "?"`);
  }
  const values = new Set<number>();
  for (const item of text.split(',')) {
    for (const value of parseListItem(expression, item, rule)) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function parseListItem(expression: string, item: string, rule: FieldRule): number[] {
  if (item === '') {
    throw new ScheduleExpressionError(expression, `${rule.name} "${item}" has an empty list item`);
  }

  const [rangeText = '', stepText, ...extra] = item.split('/');
  if (extra.length > 0) {
    throw new ScheduleExpressionError(expression, `${rule.name} "${item}" has more than one "/"`);
  }

  let step = 1;
  if (stepText !== undefined) {
    if (!rule.allowStep) {
      throw new ScheduleExpressionError(expression, `${rule.name} does not allow "/" increments`);
    }
    if (!/^[0-9]+$/.test(stepText) || Number(stepText) < 1 || Number(stepText) > rule.max - rule.min + 1) {
      throw new ScheduleExpressionError(
        expression,
        `${rule.name} increment "${stepText}" must be an integer from 1 to ${rule.max - rule.min + 1}`,
      );
    }
    step = Number(stepText);
  }

  let start: number;
  let end: number;
  if (rangeText === '*') {
    start = rule.min;
    end = rule.max;
  } else if (rangeText.includes('-')) {
    const [startText = '', endText = '', ...more] = rangeText.split('-');
    if (more.length > 0) {
      throw new ScheduleExpressionError(expression, `${rule.name} range "${rangeText}" has more than one "-"`);
    }
    start = parseNumber(expression, startText, rule);
    end = parseNumber(expression, endText, rule);
    // NOTE: Quartz accepts wrapping ranges such as FRI-MON, but the EventBridge guide does not say
    // whether EventBridge does, so they are rejected here.
    if (start > end) {
      throw new ScheduleExpressionError(expression, `${rule.name} range "${rangeText}" starts after it ends`);
    }
  } else {
    start = parseNumber(expression, rangeText, rule);
    // "a/n" runs from a to the end of the field, and a single value stays a single value.
    end = stepText === undefined ? start : rule.max;
  }

  const values: number[] = [];
  for (let value = start; value <= end; value += step) values.push(value);
  return values;
}

function parseNumber(expression: string, text: string, rule: FieldRule): number {
  const nameIndex = rule.names?.indexOf(text.toUpperCase()) ?? -1;
  if (nameIndex >= 0) return rule.min + nameIndex;

  if (!/^[0-9]+$/.test(text)) {
    const expected = rule.names ? `${rule.min}-${rule.max} or ${rule.names[0]}-${rule.names[rule.names.length - 1]}` : `${rule.min}-${rule.max}`;
    throw new ScheduleExpressionError(expression, `${rule.name} value "${text}" is invalid. Use ${expected}`);
  }
  const value = Number(text);
  if (value < rule.min || value > rule.max) {
    throw new ScheduleExpressionError(expression, `${rule.name} value ${value} is out of range ${rule.min}-${rule.max}`);
  }
  return value;
}

/**
 * Returns the first time the schedule fires strictly after `after`, in UTC, at a whole minute
 * for cron schedules.
 * @throws Error when a cron schedule has no fire time after `after` (its years have passed).
 */
export function nextFireTime(schedule: Schedule, after: Date, options: NextFireTimeOptions = {}): Date {
  if (schedule.kind === 'rate') return nextRateFireTime(schedule, after, options.rateStart ?? after);
  return nextCronFireTime(schedule, after);
}

function nextRateFireTime(schedule: RateSchedule, after: Date, start: Date): Date {
  const elapsed = after.getTime() - start.getTime();
  const intervals = elapsed < 0 ? 1 : Math.floor(elapsed / schedule.intervalMs) + 1;
  return new Date(start.getTime() + intervals * schedule.intervalMs);
}

function nextCronFireTime(schedule: CronSchedule, after: Date): Date {
  // The first whole minute strictly after `after`.
  const first = new Date((Math.floor(after.getTime() / MINUTE_MS) + 1) * MINUTE_MS);
  const firstYear = first.getUTCFullYear();
  const firstMonth = first.getUTCMonth() + 1;
  const firstDay = first.getUTCDate();
  const firstHour = first.getUTCHours();
  const firstMinute = first.getUTCMinutes();

  for (const year of schedule.years) {
    if (year < firstYear) continue;
    for (const month of schedule.months) {
      const sameMonth = year === firstYear && month === firstMonth;
      if (year === firstYear && month < firstMonth) continue;

      for (const day of matchingDays(schedule, year, month)) {
        const sameDay = sameMonth && day === firstDay;
        if (sameMonth && day < firstDay) continue;

        for (const hour of schedule.hours) {
          const sameHour = sameDay && hour === firstHour;
          if (sameDay && hour < firstHour) continue;

          for (const minute of schedule.minutes) {
            if (sameHour && minute < firstMinute) continue;
            return new Date(Date.UTC(year, month - 1, day, hour, minute));
          }
        }
      }
    }
  }
  throw new Error(`Schedule "${schedule.expression}" has no fire time after ${after.toISOString()}`);
}

/** Returns the days of `month` (1-12) in `year` that match both day fields, in ascending order. */
function matchingDays(schedule: CronSchedule, year: number, month: number): number[] {
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const days: number[] = [];
  for (let day = 1; day <= daysInMonth; day += 1) {
    if (dayOfMonthMatches(schedule.dayOfMonth, year, month, day, daysInMonth) && dayOfWeekMatches(schedule.dayOfWeek, year, month, day, daysInMonth)) {
      days.push(day);
    }
  }
  return days;
}

/** Day of the week as EventBridge numbers it: 1 = Sunday … 7 = Saturday. */
function weekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

function dayOfMonthMatches(spec: DayOfMonthSpec, year: number, month: number, day: number, daysInMonth: number): boolean {
  switch (spec.kind) {
    case 'any':
      return true;
    case 'days':
      return spec.days.includes(day);
    case 'last':
      return day === daysInMonth;
    case 'nearestWeekday':
      return nearestWeekday(year, month, spec.day, daysInMonth) === day;
  }
}

/**
 * Returns the weekday (Monday to Friday) nearest to `target` without leaving the month, or
 * undefined when the month has no day `target`. So 1W on a Saturday the 1st is Monday the 3rd,
 * and 31W on a Sunday the 31st is Friday the 29th.
 */
function nearestWeekday(year: number, month: number, target: number, daysInMonth: number): number | undefined {
  // NOTE: the EventBridge guide does not say what "31W" does in a month of 30 days. Here it does
  // not fire in such a month.
  if (target > daysInMonth) return undefined;
  const dayOfWeek = weekday(year, month, target);
  if (dayOfWeek === 7) return target === 1 ? target + 2 : target - 1;
  if (dayOfWeek === 1) return target === daysInMonth ? target - 2 : target + 1;
  return target;
}

function dayOfWeekMatches(spec: DayOfWeekSpec, year: number, month: number, day: number, daysInMonth: number): boolean {
  switch (spec.kind) {
    case 'any':
      return true;
    case 'days':
      return spec.days.includes(weekday(year, month, day));
    case 'lastOfMonth':
      return weekday(year, month, day) === spec.day && day + 7 > daysInMonth;
    case 'nth':
      return weekday(year, month, day) === spec.day && Math.ceil(day / 7) === spec.nth;
  }
}
