import { describe, expect, it } from 'vitest';

import { nextFireTime, parseSchedule, ScheduleExpressionError, type CronSchedule, type Schedule } from '../src/schedule.js';

const utc = (iso: string): Date => new Date(iso);

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

function parseCron(expression: string): CronSchedule {
  const schedule = parseSchedule(expression);
  if (schedule.kind !== 'cron') throw new Error(`${expression} parsed as ${schedule.kind}, expected cron`);
  return schedule;
}

function next(expression: string, after: string): string {
  return nextFireTime(parseSchedule(expression), utc(after)).toISOString();
}

describe('parseSchedule accepts', () => {
  // The first seven are the examples of the EventBridge User Guide.
  it.each([
    'cron(0 10 * * ? *)',
    'cron(15 12 * * ? *)',
    'cron(0 18 ? * MON-FRI *)',
    'cron(0 8 1 * ? *)',
    'cron(0/15 * * * ? *)',
    'cron(0/10 * ? * MON-FRI *)',
    'cron(0/5 8-17 ? * MON-FRI *)',
    'cron(0 9 ? * 2#1 *)',
    'cron(0 0 L * ? *)',
    'cron(0 0 15W * ? *)',
    'cron(0 18 ? * 6L *)',
    'cron(0 0 ? * L *)',
    'cron(0 0 1 JAN,jul ? 2026-2030/2)',
    'cron(*/30 */6 1-10/3 */2 ? *)',
    'rate(1 minute)',
    'rate(5 minutes)',
    'rate(1 hour)',
    'rate(12 hours)',
    'rate(1 day)',
    'rate(30 days)',
  ])('%s', (expression) => {
    expect(parseSchedule(expression).expression).toBe(expression);
  });
});

describe('parseSchedule fields', () => {
  it('rate value, unit and interval', () => {
    expect(parseSchedule('rate(5 minutes)')).toEqual({
      kind: 'rate',
      expression: 'rate(5 minutes)',
      value: 5,
      unit: 'minute',
      intervalMs: 300_000,
    });
  });

  it('cron steps, ranges and names', () => {
    const schedule = parseSchedule('cron(0/10 8-10 ? JAN/5 MON-FRI 2026,2028)');
    expect(schedule).toEqual({
      kind: 'cron',
      expression: 'cron(0/10 8-10 ? JAN/5 MON-FRI 2026,2028)',
      minutes: [0, 10, 20, 30, 40, 50],
      hours: [8, 9, 10],
      dayOfMonth: { kind: 'any' },
      months: [1, 6, 11],
      dayOfWeek: { kind: 'days', days: [2, 3, 4, 5, 6] },
      years: [2026, 2028],
    } satisfies Schedule);
  });

  it('cron L, W and # forms', () => {
    expect(parseCron('cron(0 0 L * ? *)').dayOfMonth).toEqual({ kind: 'last' });
    expect(parseCron('cron(0 0 3W * ? *)').dayOfMonth).toEqual({ kind: 'nearestWeekday', day: 3 });
    expect(parseCron('cron(0 0 ? * FRIL *)').dayOfWeek).toEqual({ kind: 'lastOfMonth', day: 6 });
    expect(parseCron('cron(0 0 ? * 3#2 *)').dayOfWeek).toEqual({ kind: 'nth', day: 3, nth: 2 });
    expect(parseCron('cron(0 0 ? * L *)').dayOfWeek).toEqual({ kind: 'days', days: [7] });
  });
});

describe('parseSchedule rejects', () => {
  it.each([
    ['every hour', 'expected "rate(value unit)" or "cron(minutes hours day-of-month month day-of-week year)"'],
    ['rate(1 hours)', 'a rate value of 1 takes the singular unit "hour", not "hours"'],
    ['rate(5 hour)', 'a rate value greater than 1 takes the plural unit "hours", not "hour"'],
    ['rate(1 minutes)', 'a rate value of 1 takes the singular unit "minute", not "minutes"'],
    ['rate(2 day)', 'a rate value greater than 1 takes the plural unit "days", not "day"'],
    ['rate(0 minutes)', 'rate value "0" must be a positive integer'],
    ['rate(-5 minutes)', 'rate value "-5" must be a positive integer'],
    ['rate(1.5 hours)', 'rate value "1.5" must be a positive integer'],
    ['rate(2 weeks)', 'rate unit "weeks" must be one of minute, minutes, hour, hours, day, days'],
    ['rate(1 Hour)', 'rate unit "Hour" must be one of minute, minutes, hour, hours, day, days'],
    ['rate(5)', 'a rate expression has two fields, "value unit", separated by one space'],
    ['rate(5  minutes)', 'a rate expression has two fields, "value unit", separated by one space'],
    ['cron(0 10 * * * *)', 'day-of-month "*" and day-of-week "*" cannot both be set: use "?" in one of them'],
    ['cron(0 10 1 * MON *)', 'day-of-month "1" and day-of-week "MON" cannot both be set: use "?" in one of them'],
    ['cron(0 10 ? * ? *)', 'only one of day-of-month and day-of-week may be "?"'],
    ['cron(0 10 * * ?)', 'a cron expression has six fields (minutes hours day-of-month month day-of-week year), found 5'],
    ['cron(0 0 10 * * ? *)', 'a cron expression has six fields (minutes hours day-of-month month day-of-week year), found 7'],
    ['cron()', 'a cron expression has six fields (minutes hours day-of-month month day-of-week year), found 0'],
    ['cron(60 10 * * ? *)', 'minutes value 60 is out of range 0-59'],
    ['cron(0 24 * * ? *)', 'hours value 24 is out of range 0-23'],
    ['cron(0 0 32 * ? *)', 'day-of-month value 32 is out of range 1-31'],
    ['cron(0 0 0 * ? *)', 'day-of-month value 0 is out of range 1-31'],
    ['cron(0 0 * 13 ? *)', 'month value 13 is out of range 1-12'],
    ['cron(0 0 * FOO ? *)', 'month value "FOO" is invalid. Use 1-12 or JAN-DEC'],
    ['cron(0 0 ? * 0 *)', 'day-of-week value 0 is out of range 1-7'],
    ['cron(0 0 ? * 8 *)', 'day-of-week value 8 is out of range 1-7'],
    ['cron(0 0 * * ? 1969)', 'year value 1969 is out of range 1970-2199'],
    ['cron(0 0 * * ? 2200)', 'year value 2200 is out of range 1970-2199'],
    ['cron(0 ? * * ? *)', 'hours cannot be "?", because only day-of-month and day-of-week take "?"'],
    ['cron(5-1 0 * * ? *)', 'minutes range "5-1" starts after it ends'],
    ['cron(0 0 ? * FRI-MON *)', 'day-of-week range "FRI-MON" starts after it ends'],
    ['cron(0/0 0 * * ? *)', 'minutes increment "0" must be an integer from 1 to 60'],
    ['cron(0/1/2 0 * * ? *)', 'minutes "0/1/2" has more than one "/"'],
    ['cron(0,,5 0 * * ? *)', 'minutes "" has an empty list item'],
    ['cron(a 0 * * ? *)', 'minutes value "a" is invalid. Use 0-59'],
    ['cron(0 0 ? * */2 *)', 'day-of-week does not allow "/" increments'],
    ['cron(0 0 LW * ? *)', 'day-of-month "LW": "L" and "W" are allowed only as "L" or "<day>W", alone in the field'],
    ['cron(0 0 L-3 * ? *)', 'day-of-month "L-3": "L" and "W" are allowed only as "L" or "<day>W", alone in the field'],
    ['cron(0 0 1W,15 * ? *)', 'day-of-month "1W,15": "L" and "W" are allowed only as "L" or "<day>W", alone in the field'],
    ['cron(0 0 32W * ? *)', 'day-of-month value 32 is out of range 1-31'],
    ['cron(0 0 ? * 3#1,6#3 *)', 'day-of-week "3#1,6#3": "#" takes the form "<day>#<n>", alone in the field'],
    ['cron(0 0 ? * 3#6 *)', 'day-of-week "3#6": the occurrence after "#" must be 1 to 5'],
    ['cron(0 0 ? * 3#0 *)', 'day-of-week "3#0": the occurrence after "#" must be 1 to 5'],
    ['cron(0 0 ? * 1-3L *)', 'day-of-week "1-3L": "L" is allowed only as "L" or "<day>L", alone in the field'],
    ['cron(0 0 ? * 9L *)', 'day-of-week value 9 is out of range 1-7'],
  ])('%s', (expression, problem) => {
    const error = thrownBy(() => parseSchedule(expression));
    expect(error).toBeInstanceOf(ScheduleExpressionError);
    expect((error as Error).message).toBe(`Invalid schedule expression "${expression}": ${problem}`);
  });
});

describe('nextFireTime for cron', () => {
  it('is strictly after the given time', () => {
    expect(next('cron(0 10 * * ? *)', '2026-01-31T09:59:30.000Z')).toBe('2026-01-31T10:00:00.000Z');
    expect(next('cron(0 10 * * ? *)', '2026-01-31T10:00:00.000Z')).toBe('2026-02-01T10:00:00.000Z');
  });

  it('steps across hour, day and month ends', () => {
    expect(next('cron(0/15 * * * ? *)', '2026-01-31T23:59:00.000Z')).toBe('2026-02-01T00:00:00.000Z');
    expect(next('cron(1/10 * * * ? *)', '2026-03-02T10:05:00.000Z')).toBe('2026-03-02T10:11:00.000Z');
    expect(next('cron(1/10 * * * ? *)', '2026-03-02T10:51:00.000Z')).toBe('2026-03-02T11:01:00.000Z');
  });

  it('steps across a year end', () => {
    expect(next('cron(30 23 L DEC ? *)', '2026-12-31T23:30:00.000Z')).toBe('2027-12-31T23:30:00.000Z');
    expect(next('cron(0 0 1 JAN ? *)', '2026-12-31T23:59:59.999Z')).toBe('2027-01-01T00:00:00.000Z');
  });

  it('skips weekends for MON-FRI', () => {
    expect(next('cron(15 10 ? * MON-FRI *)', '2026-01-30T10:15:00.000Z')).toBe('2026-02-02T10:15:00.000Z');
  });

  it('L as the last day of the month', () => {
    expect(next('cron(0 0 L * ? *)', '2024-02-01T00:00:00.000Z')).toBe('2024-02-29T00:00:00.000Z');
    expect(next('cron(0 0 L * ? *)', '2025-02-01T00:00:00.000Z')).toBe('2025-02-28T00:00:00.000Z');
    expect(next('cron(0 0 L * ? *)', '2024-02-29T00:00:00.000Z')).toBe('2024-03-31T00:00:00.000Z');
    expect(next('cron(0 0 L * ? *)', '2026-04-15T00:00:00.000Z')).toBe('2026-04-30T00:00:00.000Z');
  });

  it('February 29 only in leap years', () => {
    expect(next('cron(0 0 29 2 ? *)', '2025-01-01T00:00:00.000Z')).toBe('2028-02-29T00:00:00.000Z');
    // 2100 is divisible by 100 but not by 400, so it is not a leap year.
    expect(next('cron(0 0 29 FEB ? *)', '2096-03-01T00:00:00.000Z')).toBe('2104-02-29T00:00:00.000Z');
  });

  it('day 31 skips months of 30 days', () => {
    expect(next('cron(0 0 31 * ? *)', '2026-03-31T00:00:00.000Z')).toBe('2026-05-31T00:00:00.000Z');
  });

  it('W as the nearest weekday', () => {
    // 1 August 2026 is a Saturday: the nearest weekday in the month is Monday the 3rd.
    expect(next('cron(0 12 1W * ? *)', '2026-07-31T00:00:00.000Z')).toBe('2026-08-03T12:00:00.000Z');
    // 1 February 2026 is a Sunday: Monday the 2nd.
    expect(next('cron(0 12 1W * ? *)', '2026-01-31T00:00:00.000Z')).toBe('2026-02-02T12:00:00.000Z');
    // 15 August 2026 is a Saturday: Friday the 14th.
    expect(next('cron(0 12 15W * ? *)', '2026-08-01T00:00:00.000Z')).toBe('2026-08-14T12:00:00.000Z');
    // 15 February 2026 is a Sunday: Monday the 16th.
    expect(next('cron(0 12 15W * ? *)', '2026-02-01T00:00:00.000Z')).toBe('2026-02-16T12:00:00.000Z');
    // 31 May 2026 is a Sunday: Friday the 29th, not Monday 1 June.
    expect(next('cron(0 12 31W * ? *)', '2026-05-01T00:00:00.000Z')).toBe('2026-05-29T12:00:00.000Z');
    // June has no 31st, and 31 July 2026 is a Friday.
    expect(next('cron(0 12 31W * ? *)', '2026-05-30T00:00:00.000Z')).toBe('2026-07-31T12:00:00.000Z');
    // 3 March 2026 is a Tuesday, so 3W is the 3rd itself.
    expect(next('cron(0 12 3W * ? *)', '2026-03-01T00:00:00.000Z')).toBe('2026-03-03T12:00:00.000Z');
  });

  it('# as the nth weekday of the month', () => {
    expect(next('cron(0 9 ? * 3#2 *)', '2026-02-01T00:00:00.000Z')).toBe('2026-02-10T09:00:00.000Z');
    expect(next('cron(0 9 ? * 3#2 *)', '2026-02-10T09:00:00.000Z')).toBe('2026-03-10T09:00:00.000Z');
    // January and February 2026 have four Mondays; March has five.
    expect(next('cron(0 9 ? * 2#5 *)', '2026-01-01T00:00:00.000Z')).toBe('2026-03-30T09:00:00.000Z');
    // 29 February 2024 is the fifth Thursday of that month.
    expect(next('cron(0 9 ? * THU#5 *)', '2024-02-01T00:00:00.000Z')).toBe('2024-02-29T09:00:00.000Z');
  });

  it('L in day-of-week', () => {
    expect(next('cron(0 18 ? * 6L *)', '2026-01-01T00:00:00.000Z')).toBe('2026-01-30T18:00:00.000Z');
    expect(next('cron(0 18 ? * 6L *)', '2026-01-30T18:00:00.000Z')).toBe('2026-02-27T18:00:00.000Z');
    // A plain L is the last day of the week, Saturday. 1 January 2026 is a Thursday.
    expect(next('cron(0 0 ? * L *)', '2026-01-01T00:00:00.000Z')).toBe('2026-01-03T00:00:00.000Z');
  });

  it('day-of-week 1 is Sunday', () => {
    expect(next('cron(0 8 ? * 1 *)', '2026-01-01T00:00:00.000Z')).toBe('2026-01-04T08:00:00.000Z');
    expect(next('cron(0 8 ? * SUN *)', '2026-01-01T00:00:00.000Z')).toBe('2026-01-04T08:00:00.000Z');
  });

  it('year limits the fire times', () => {
    expect(next('cron(0 0 1 JAN ? 2027)', '2026-06-01T00:00:00.000Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(() => next('cron(0 0 1 JAN ? 2027)', '2027-01-01T00:00:00.000Z')).toThrow(
      'Schedule "cron(0 0 1 JAN ? 2027)" has no fire time after 2027-01-01T00:00:00.000Z',
    );
  });
});

describe('nextFireTime for rate', () => {
  const fiveMinutes = parseSchedule('rate(5 minutes)');
  const start = utc('2026-01-01T00:00:00.000Z');

  it('counts intervals from the start', () => {
    expect(nextFireTime(fiveMinutes, utc('2026-01-01T00:07:00.000Z'), { rateStart: start }).toISOString()).toBe(
      '2026-01-01T00:10:00.000Z',
    );
    expect(nextFireTime(fiveMinutes, utc('2026-01-01T00:10:00.000Z'), { rateStart: start }).toISOString()).toBe(
      '2026-01-01T00:15:00.000Z',
    );
  });

  it('first fire is one interval after the start', () => {
    expect(nextFireTime(fiveMinutes, utc('2025-12-31T00:00:00.000Z'), { rateStart: start }).toISOString()).toBe(
      '2026-01-01T00:05:00.000Z',
    );
    expect(nextFireTime(fiveMinutes, start, { rateStart: start }).toISOString()).toBe('2026-01-01T00:05:00.000Z');
  });

  it('without a start adds one interval', () => {
    expect(nextFireTime(fiveMinutes, utc('2026-01-01T00:07:30.000Z')).toISOString()).toBe('2026-01-01T00:12:30.000Z');
  });

  it('days across a leap day', () => {
    const daily = parseSchedule('rate(1 day)');
    const anchor = utc('2024-02-27T06:00:00.000Z');
    expect(nextFireTime(daily, utc('2024-02-28T06:00:00.000Z'), { rateStart: anchor }).toISOString()).toBe(
      '2024-02-29T06:00:00.000Z',
    );
    expect(nextFireTime(daily, utc('2024-02-29T06:00:00.000Z'), { rateStart: anchor }).toISOString()).toBe(
      '2024-03-01T06:00:00.000Z',
    );
  });
});
