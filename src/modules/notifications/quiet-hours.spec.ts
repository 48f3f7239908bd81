import fc from 'fast-check';
import { minutesOf, quietHoursEnd, toHhMm, wallTimeToInstant } from './quiet-hours';

const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;
const night = { start: '22:00', end: '07:00' };

describe('quiet hours', () => {
  describe('a window within one day', () => {
    const lunch = { start: '12:00', end: '14:00' };
    it('holds a message from the start (inclusive) until the end (exclusive)', () => {
      expect(iso(quietHoursEnd(at('2026-01-15T04:00:00+08:00'), lunch, 'Asia/Shanghai'))).toBeNull();
      expect(iso(quietHoursEnd(at('2026-01-15T12:00:00+08:00'), lunch, 'Asia/Shanghai'))).toBe('2026-01-15T06:00:00.000Z');
      expect(iso(quietHoursEnd(at('2026-01-15T13:59:59+08:00'), lunch, 'Asia/Shanghai'))).toBe('2026-01-15T06:00:00.000Z');
      expect(iso(quietHoursEnd(at('2026-01-15T14:00:00+08:00'), lunch, 'Asia/Shanghai'))).toBeNull();
    });
  });

  describe('a window across midnight (22:00–07:00)', () => {
    it('in the evening part, ends tomorrow morning', () => {
      expect(iso(quietHoursEnd(at('2026-01-15T22:00:00+08:00'), night, 'Asia/Shanghai'))).toBe('2026-01-15T23:00:00.000Z');
      expect(iso(quietHoursEnd(at('2026-01-15T23:30:00+08:00'), night, 'Asia/Shanghai'))).toBe('2026-01-15T23:00:00.000Z');
    });
    it('in the morning part, ends this morning', () => {
      expect(iso(quietHoursEnd(at('2026-01-16T00:00:00+08:00'), night, 'Asia/Shanghai'))).toBe('2026-01-15T23:00:00.000Z');
      expect(iso(quietHoursEnd(at('2026-01-16T06:59:00+08:00'), night, 'Asia/Shanghai'))).toBe('2026-01-15T23:00:00.000Z');
    });
    it('lets through what comes just before or at the end', () => {
      expect(quietHoursEnd(at('2026-01-15T21:59:59+08:00'), night, 'Asia/Shanghai')).toBeNull();
      expect(quietHoursEnd(at('2026-01-16T07:00:00+08:00'), night, 'Asia/Shanghai')).toBeNull();
      expect(quietHoursEnd(at('2026-01-16T12:00:00+08:00'), night, 'Asia/Shanghai')).toBeNull();
    });
    it('reads the window in the user zone, not the server zone or UTC', () => {
      // 03:00 UTC is 11:00 in Shanghai (awake) and 22:00 the evening before in New York (asleep)
      const instant = at('2026-01-15T03:00:00Z');
      expect(quietHoursEnd(instant, night, 'Asia/Shanghai')).toBeNull();
      expect(iso(quietHoursEnd(instant, night, 'America/New_York'))).toBe('2026-01-15T12:00:00.000Z');
    });
  });

  describe('daylight saving (Europe/Berlin, 2026-03-29 and 2026-10-25)', () => {
    it('a night that loses an hour ends at 07:00 summer time, 7 hours later', () => {
      const start = at('2026-03-28T23:00:00+01:00');
      const end = quietHoursEnd(start, night, 'Europe/Berlin')!;
      expect(end.toISOString()).toBe('2026-03-29T05:00:00.000Z');
      expect(end.getTime() - start.getTime()).toBe(7 * 3600_000);
    });
    it('a night that gains an hour ends at 07:00 winter time, 9 hours later', () => {
      const start = at('2026-10-24T23:00:00+02:00');
      const end = quietHoursEnd(start, night, 'Europe/Berlin')!;
      expect(end.toISOString()).toBe('2026-10-25T06:00:00.000Z');
      expect(end.getTime() - start.getTime()).toBe(9 * 3600_000);
    });
    it('inside the night, after the clocks changed', () => {
      expect(iso(quietHoursEnd(at('2026-03-29T03:30:00+02:00'), night, 'Europe/Berlin'))).toBe('2026-03-29T05:00:00.000Z');
      expect(iso(quietHoursEnd(at('2026-10-25T02:30:00+01:00'), night, 'Europe/Berlin'))).toBe('2026-10-25T06:00:00.000Z');
    });
    it('an end in the skipped hour moves forward by the gap (02:30 → 03:30 summer time)', () => {
      const window = { start: '23:00', end: '02:30' };
      expect(iso(quietHoursEnd(at('2026-03-28T23:30:00+01:00'), window, 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
      // 01:59 winter time is still inside; the very next minute the clock shows 03:00, past the end
      expect(iso(quietHoursEnd(at('2026-03-29T01:59:00+01:00'), window, 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
      expect(quietHoursEnd(at('2026-03-29T03:00:00+02:00'), window, 'Europe/Berlin')).toBeNull();
    });
    it('an end in the repeated hour is the first 02:30, or the second one when the clock is back inside', () => {
      const window = { start: '23:00', end: '02:30' };
      expect(iso(quietHoursEnd(at('2026-10-24T23:30:00+02:00'), window, 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
      expect(quietHoursEnd(at('2026-10-25T02:45:00+02:00'), window, 'Europe/Berlin')).toBeNull();
      // the clock goes back and shows 02:10 again: inside the window on the wall, until the second 02:30
      expect(iso(quietHoursEnd(at('2026-10-25T02:10:00+01:00'), window, 'Europe/Berlin'))).toBe('2026-10-25T01:30:00.000Z');
    });
    it('a window that starts in the skipped hour is entered when the clock jumps past its start', () => {
      const window = { start: '02:15', end: '06:00' };
      expect(quietHoursEnd(at('2026-03-29T01:59:00+01:00'), window, 'Europe/Berlin')).toBeNull();
      expect(iso(quietHoursEnd(at('2026-03-29T03:00:00+02:00'), window, 'Europe/Berlin'))).toBe('2026-03-29T04:00:00.000Z');
    });
    it('a day whose only time outside the window is skipped stays quiet until the next end', () => {
      // 02:01–02:00 leaves one minute outside, 02:00–02:01, which 2028-03-26 does not have: the clock
      // jumps from 02:00 winter time (the end) to 03:00 summer time, past the next start
      const window = { start: '02:01', end: '02:00' };
      expect(iso(quietHoursEnd(at('2028-03-25T02:01:00+01:00'), window, 'Europe/Berlin'))).toBe('2028-03-27T00:00:00.000Z');
      expect(iso(quietHoursEnd(at('2028-03-26T03:00:00+02:00'), window, 'Europe/Berlin'))).toBe('2028-03-27T00:00:00.000Z');
      // the day after has its minute
      expect(quietHoursEnd(at('2028-03-27T02:00:30+02:00'), window, 'Europe/Berlin')).toBeNull();
    });
    it('a southern-hemisphere zone whose clocks change at midnight', () => {
      // America/Santiago: 2026-09-06 00:00 does not exist (clocks go from 24:00 to 01:00)
      expect(iso(quietHoursEnd(at('2026-09-05T22:30:00-04:00'), { start: '22:00', end: '00:30' }, 'America/Santiago'))).toBe('2026-09-06T04:30:00.000Z');
    });
  });

  it('no window, or an empty one, holds nothing', () => {
    expect(quietHoursEnd(at('2026-01-15T23:00:00+08:00'), null, 'Asia/Shanghai')).toBeNull();
    expect(quietHoursEnd(at('2026-01-15T23:00:00+08:00'), { start: '23:00', end: '23:00' }, 'Asia/Shanghai')).toBeNull();
  });

  it('reads PostgreSQL times and writes HH:mm', () => {
    expect(minutesOf('22:00:00')).toBe(22 * 60);
    expect(minutesOf('07:05')).toBe(7 * 60 + 5);
    expect(toHhMm('07:05:00')).toBe('07:05');
    expect(() => minutesOf('24:00')).toThrow(RangeError);
    expect(() => minutesOf('7:00')).toThrow(RangeError);
  });

  it('resolves a wall time that happens twice to the first instant', () => {
    expect(wallTimeToInstant({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, 'Europe/Berlin').toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(wallTimeToInstant({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, 'Europe/Berlin').toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });

  it('always answers a later instant, outside the window, within a day and an hour (or the quiet minutes all the way to it)', () => {
    const zones = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'America/Santiago', 'Australia/Lord_Howe', 'Asia/Kolkata'];
    const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2028-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom(...zones),
        hhmm,
        hhmm,
        (instant, zone, start, end) => {
          const until = quietHoursEnd(instant, { start, end }, zone);
          if (!until) return;
          expect(until.getTime()).toBeGreaterThan(instant.getTime());
          expect(quietHoursEnd(until, { start, end }, zone)).toBeNull();
          if (until.getTime() - instant.getTime() <= 25 * 3600_000) return;
          // longer only when a day's time outside the window was skipped: then every minute up to the end is quiet
          for (let t = instant.getTime(); t < until.getTime(); t += 60_000) expect(quietHoursEnd(new Date(t), { start, end }, zone)).not.toBeNull();
        },
      ),
      { numRuns: 2000 },
    );
  });
});
