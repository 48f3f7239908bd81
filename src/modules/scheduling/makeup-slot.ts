import { DateTime } from 'luxon';

export interface DailyWindow {
  timeZone: string;
  /** "HH:mm" local; a window may cross midnight (22:00–07:00). */
  start: string;
  end: string;
}

export interface SlotSearch {
  /** Nothing earlier than this instant. */
  notBefore: Date;
  /** Nothing starting later than this instant. */
  notAfter: Date;
  durationMinutes: number;
  /** The child's other scheduled calls. */
  busy: Array<{ startsAt: Date; endsAt: Date }>;
  /** Hours when the household is awake for a call, in its own zone. */
  household: DailyWindow;
  /** Each adult's quiet hours, in the adult's own zone. */
  quiet: DailyWindow[];
}

const STEP_MINUTES = 15;

const minuteOfDay = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
};

/** Whether a local minute of the day falls in [start, end), where the window may wrap past midnight. */
export function inWindow(instant: Date, window: DailyWindow): boolean {
  const local = DateTime.fromJSDate(instant, { zone: window.timeZone });
  const minute = local.hour * 60 + local.minute;
  const start = minuteOfDay(window.start);
  const end = minuteOfDay(window.end);
  return start <= end ? minute >= start && minute < end : minute >= start || minute < end;
}

/**
 * The earliest slot on a quarter-hour that fits: inside the household's waking hours from start to
 * end, outside every adult's quiet hours, and clear of the child's other calls. Undefined when none
 * fits in the search range.
 */
export function findMakeupSlot(search: SlotSearch): Date | undefined {
  const stepMs = STEP_MINUTES * 60_000;
  const durationMs = search.durationMinutes * 60_000;
  let start = Math.ceil(search.notBefore.getTime() / stepMs) * stepMs;
  for (; start <= search.notAfter.getTime(); start += stepMs) {
    const end = start + durationMs;
    if (search.busy.some((b) => b.startsAt.getTime() < end && b.endsAt.getTime() > start)) continue;
    // check the slot's every quarter and its last minute against the daily windows
    const probes: Date[] = [];
    for (let t = start; t < end; t += stepMs) probes.push(new Date(t));
    probes.push(new Date(end - 60_000));
    if (!probes.every((p) => inWindow(p, search.household))) continue;
    if (search.quiet.some((q) => probes.some((p) => inWindow(p, q)))) continue;
    return new Date(start);
  }
  return undefined;
}
