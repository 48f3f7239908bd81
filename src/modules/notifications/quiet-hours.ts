import { DateTime, IANAZone } from 'luxon';

/** A daily window in the user's own wall-clock time, "HH:mm"; `end` before `start` spans midnight. */
export interface QuietHours {
  start: string;
  end: string;
}

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?$/;
const DAY_MS = 24 * 3600_000;

/** Minutes after local midnight of "HH:mm" (a PostgreSQL `time` such as "22:00:00" is read the same way). */
export function minutesOf(time: string): number {
  const match = HH_MM.exec(time);
  if (!match) throw new RangeError(`not a time of day: ${time}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** "22:00:00" → "22:00", the form the API speaks. */
export const toHhMm = (time: string): string => {
  const minutes = minutesOf(time);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
};

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/**
 * Every instant a wall-clock time happens in `zone`, earliest first: two in the hour repeated when
 * clocks go back; one otherwise, and for a time that does not exist (the hour skipped when clocks go
 * forward) the one a calendar would use, moved forward by the size of the gap.
 */
export function wallTimeInstants(wall: WallTime, zone: string): Date[] {
  const tz = IANAZone.create(zone);
  if (!tz.isValid) throw new RangeError(`unknown time zone ${zone}`);
  const naive = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  // the offsets in force around that day are the only ones the wall time can have
  const offsets = new Set([tz.offset(naive - DAY_MS / 2), tz.offset(naive), tz.offset(naive + DAY_MS / 2)]);
  const matches = [...offsets]
    .map((offsetMinutes) => naive - offsetMinutes * 60_000)
    .filter((ts) => {
      const local = DateTime.fromMillis(ts, { zone: tz });
      return local.year === wall.year && local.month === wall.month && local.day === wall.day && local.hour === wall.hour && local.minute === wall.minute;
    });
  if (matches.length > 0) return matches.sort((a, b) => a - b).map((ts) => new Date(ts));
  // in a gap: luxon keeps the wall time and applies the offset from before the change, i.e. later by the gap
  return [DateTime.fromObject(wall, { zone: tz }).toJSDate()];
}

/** The instant a wall-clock time happens, as calendars resolve it: a skipped time moves forward, a repeated one takes the first. */
export const wallTimeToInstant = (wall: WallTime, zone: string): Date => wallTimeInstants(wall, zone)[0];

/**
 * When the quiet hours that contain `at` end, or null when `at` is outside them (or there are none).
 * Compared in the user's own wall-clock time, so "22:00–07:00" means what the user's clock shows,
 * whatever daylight-saving does to the length of that night. Start is inside the window, end is not.
 */
export function quietHoursEnd(at: Date, quiet: QuietHours | null | undefined, timeZone: string): Date | null {
  if (!quiet) return null;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  return start === end ? null : windowEnd(at, start, end, timeZone);
}

/** quietHoursEnd for a window already read as minutes after local midnight (start ≠ end). */
function windowEnd(at: Date, start: number, end: number, timeZone: string): Date | null {
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  if (!local.isValid) throw new RangeError(`unknown time zone ${timeZone}`);
  const now = local.hour * 60 + local.minute + (local.second * 1000 + local.millisecond) / 60_000;
  const spansMidnight = end < start;
  const inside = spansMidnight ? now >= start || now < end : now >= start && now < end;
  if (!inside) return null;
  // evening part of a window that spans midnight: it ends tomorrow morning
  const endDay = spansMidnight && now >= start ? local.plus({ days: 1 }) : local;
  const candidates = wallTimeInstants({ year: endDay.year, month: endDay.month, day: endDay.day, hour: Math.floor(end / 60), minute: end % 60 }, timeZone);
  // the first time the clock shows the end; in the repeated hour, the first one may already be behind us
  const until = candidates.find((instant) => instant.getTime() > at.getTime()) ?? null;
  // a day whose whole time outside the window lies in the skipped hour (02:01–02:00 when 02:00–03:00
  // is skipped): the clock jumps past the end and the next start at once, so the window goes on to
  // its next end
  return until && (windowEnd(until, start, end, timeZone) ?? until);
}
