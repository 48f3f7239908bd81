import { IANAZone } from 'luxon';

/**
 * Weekly recurrence in the household's wall-clock time. Pure functions: no clock, no database.
 *
 * A plan says "Sundays at 19:30 in Asia/Shanghai"; each matching local date becomes one instant.
 * Daylight-saving changes do what a calendar does:
 * - a local time that does not exist (the spring-forward gap) moves forward by the length of the gap
 *   (02:30 on the night clocks jump from 02:00 to 03:00 becomes 03:30);
 * - a local time that exists twice (the fall-back overlap) takes the first of the two instants.
 * Luxon already moves a gap forward, but resolves an overlap to the later instant, so the
 * resolution is done here against the zone's offsets (see recurrence.spec.ts).
 */

export interface WeeklyRule {
  /** 0 = Sunday … 6 = Saturday, in the household's zone. */
  daysOfWeek: number[];
  /** "HH:mm" or "HH:mm:ss" (PostgreSQL returns a `time` with seconds). */
  startTime: string;
  durationMinutes: number;
  /** IANA zone of the household. */
  timeZone: string;
  /** "YYYY-MM-DD": no occurrence before this local date. */
  startsOn: string;
}

export interface Slot {
  startsAt: Date;
  endsAt: Date;
  /** The household-local date, "YYYY-MM-DD". */
  localDate: string;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Plans are exchanged as "HH:mm"; PostgreSQL answers "HH:mm:ss". */
export const toHourMinute = (time: string): string => time.slice(0, 5);

function parseTime(time: string): { hour: number; minute: number } {
  const match = TIME.exec(time);
  if (!match) throw new RangeError(`not a time of day: ${time}`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

function parseDate(date: string): { year: number; month: number; day: number } {
  const match = DATE.exec(date);
  if (!match) throw new RangeError(`not a date: ${date}`);
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
}

function zoneOf(timeZone: string): IANAZone {
  const zone = IANAZone.create(timeZone);
  if (!zone.isValid) throw new RangeError(`not an IANA time zone: ${timeZone}`);
  return zone;
}

/**
 * The instant at which the wall clock of `timeZone` shows `localDate` `time`, with the calendar rules
 * above. Offsets are looked up a day either side, which covers every zone's transitions (none has
 * two within a day).
 */
export function resolveLocal(localDate: string, time: string, timeZone: string): Date {
  const zone = zoneOf(timeZone);
  const { year, month, day } = parseDate(localDate);
  const { hour, minute } = parseTime(time);
  return new Date(resolveWall(zone, Date.UTC(year, month - 1, day, hour, minute)));
}

/**
 * A zone's offset (minutes) at an instant, memoised: Intl is slow (~10 µs a call) and the horizon
 * job resolves the same popular times (Sunday 19:30 in Asia/Shanghai) for thousands of plans.
 */
const offsetMemo = new Map<string, Map<number, number>>();
function offsetAt(zone: IANAZone, instant: number): number {
  let memo = offsetMemo.get(zone.name);
  if (!memo) offsetMemo.set(zone.name, (memo = new Map()));
  let offset = memo.get(instant);
  if (offset === undefined) {
    if (memo.size >= 100_000) memo.clear();
    offset = zone.offset(instant);
    memo.set(instant, offset);
  }
  return offset;
}

/** `wall` is the local date and time written as if it were UTC, in ms. */
function resolveWall(zone: IANAZone, wall: number): number {
  const before = offsetAt(zone, wall - DAY);
  const after = offsetAt(zone, wall + DAY);
  // no transition within a day either side (nearly always): one reading only
  if (before === after) return wall - before * MINUTE;
  const candidates = [before, after]
    .map((offset) => wall - offset * MINUTE)
    .filter((instant) => instant + offsetAt(zone, instant) * MINUTE === wall);
  if (candidates.length > 0) return Math.min(...candidates);
  // the wall time falls in a gap: read it with the offset in force before the jump, which lands
  // exactly the gap's length later on the new wall clock
  return wall - before * MINUTE;
}

/** The local date ("YYYY-MM-DD") of an instant in a zone. */
export function localDateOf(instant: Date, timeZone: string): string {
  const ts = instant.getTime();
  return new Date(ts + offsetAt(zoneOf(timeZone), ts) * MINUTE).toISOString().slice(0, 10);
}

/** Today's date in a zone. */
export const todayIn = (now: Date, timeZone: string): string => localDateOf(now, timeZone);

/** 0 = Sunday … 6 = Saturday, for a "YYYY-MM-DD" date. */
export function dayOfWeek(localDate: string): number {
  const { year, month, day } = parseDate(localDate);
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** "YYYY-MM-DD" plus n days (calendar arithmetic, no zone involved). */
export function addDays(localDate: string, days: number): string {
  const { year, month, day } = parseDate(localDate);
  return new Date(Date.UTC(year, month - 1, day) + days * DAY).toISOString().slice(0, 10);
}

/**
 * Every occurrence of the rule whose start lies in [from, to), in time order. Local dates are walked
 * with plain calendar arithmetic; only matching days are resolved against the zone.
 */
export function expand(rule: WeeklyRule, from: Date, to: Date, options: { notBeforeLocalDate?: string } = {}): Slot[] {
  if (to.getTime() <= from.getTime()) return [];
  const zone = zoneOf(rule.timeZone);
  const { hour, minute } = parseTime(rule.startTime);
  const days = new Set(rule.daysOfWeek);
  const durationMs = rule.durationMinutes * MINUTE;
  // a day either side: the zone's date at `from` may differ from the date the start time falls on
  let date = addDays(localDateOf(from, rule.timeZone), -1);
  const lastDate = addDays(localDateOf(to, rule.timeZone), 1);
  const notBefore = [rule.startsOn, options.notBeforeLocalDate ?? ''].sort().at(-1)!;
  if (date < notBefore) date = notBefore;
  const slots: Slot[] = [];
  const first = parseDate(date);
  const last = parseDate(lastDate);
  const lastDay = Date.UTC(last.year, last.month - 1, last.day);
  // whole days as numbers: the string form is built only for the days that match
  for (let day = Date.UTC(first.year, first.month - 1, first.day); day <= lastDay; day += DAY) {
    const wall = day + (hour * 60 + minute) * MINUTE;
    if (!days.has(new Date(day).getUTCDay())) continue;
    const startsAt = resolveWall(zone, wall);
    if (startsAt < from.getTime() || startsAt >= to.getTime()) continue;
    slots.push({ startsAt: new Date(startsAt), endsAt: new Date(startsAt + durationMs), localDate: new Date(day).toISOString().slice(0, 10) });
  }
  return slots;
}

/** Two half-open spans [start, end) share a moment. */
export const spansOverlap = (a: { startsAt: Date; endsAt: Date }, b: { startsAt: Date; endsAt: Date }): boolean =>
  a.startsAt.getTime() < b.endsAt.getTime() && b.startsAt.getTime() < a.endsAt.getTime();

/** The first pair of slots (one from each list) that share a moment, if any. Both lists in time order. */
export function firstOverlap(a: Slot[], b: Slot[]): [Slot, Slot] | undefined {
  let j = 0;
  for (const slot of a) {
    while (j < b.length && b[j].endsAt.getTime() <= slot.startsAt.getTime()) j++;
    for (let k = j; k < b.length && b[k].startsAt.getTime() < slot.endsAt.getTime(); k++) {
      if (spansOverlap(slot, b[k])) return [slot, b[k]];
    }
  }
  return undefined;
}
