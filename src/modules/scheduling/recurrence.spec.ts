import { DateTime } from 'luxon';
import { addDays, dayOfWeek, expand, firstOverlap, localDateOf, resolveLocal, WeeklyRule } from './recurrence';

const iso = (d: Date) => d.toISOString();

describe('luxon on its own (why resolveLocal does not just call it)', () => {
  it('moves a spring-forward gap time forward by the gap', () => {
    const t = DateTime.fromISO('2026-03-08T02:30', { zone: 'America/New_York' });
    expect(t.toISO()).toBe('2026-03-08T03:30:00.000-04:00');
  });

  it('resolves a fall-back time to the LATER instant, which calendars do not do', () => {
    const t = DateTime.fromISO('2026-11-01T01:30', { zone: 'America/New_York' });
    expect(t.toUTC().toISO()).toBe('2026-11-01T06:30:00.000Z');
  });
});

describe('resolveLocal: wall-clock time in a zone to an instant, as calendars do', () => {
  it('an ordinary time is read with the offset of the day', () => {
    expect(iso(resolveLocal('2026-07-05', '19:30', 'America/New_York'))).toBe('2026-07-05T23:30:00.000Z');
    expect(iso(resolveLocal('2026-01-04', '19:30', 'America/New_York'))).toBe('2026-01-05T00:30:00.000Z');
  });

  it('America/New_York spring forward: 02:30 does not exist and becomes 03:30 EDT', () => {
    const t = resolveLocal('2026-03-08', '02:30', 'America/New_York');
    expect(iso(t)).toBe('2026-03-08T07:30:00.000Z');
    expect(DateTime.fromJSDate(t, { zone: 'America/New_York' }).toISO()).toBe('2026-03-08T03:30:00.000-04:00');
  });

  it('America/New_York fall back: 01:30 happens twice and the first (EDT, 05:30Z) is taken', () => {
    const t = resolveLocal('2026-11-01', '01:30', 'America/New_York');
    expect(iso(t)).toBe('2026-11-01T05:30:00.000Z');
    expect(DateTime.fromJSDate(t, { zone: 'America/New_York' }).toISO()).toBe('2026-11-01T01:30:00.000-04:00');
  });

  it('America/New_York: the edges of both transitions', () => {
    expect(iso(resolveLocal('2026-03-08', '01:59', 'America/New_York'))).toBe('2026-03-08T06:59:00.000Z');
    expect(iso(resolveLocal('2026-03-08', '02:00', 'America/New_York'))).toBe('2026-03-08T07:00:00.000Z');
    expect(iso(resolveLocal('2026-03-08', '03:00', 'America/New_York'))).toBe('2026-03-08T07:00:00.000Z');
    expect(iso(resolveLocal('2026-11-01', '00:59', 'America/New_York'))).toBe('2026-11-01T04:59:00.000Z');
    expect(iso(resolveLocal('2026-11-01', '01:00', 'America/New_York'))).toBe('2026-11-01T05:00:00.000Z');
    expect(iso(resolveLocal('2026-11-01', '02:00', 'America/New_York'))).toBe('2026-11-01T07:00:00.000Z');
  });

  it('Europe/Berlin 2026-03-29: 02:30 does not exist and becomes 03:30 CEST', () => {
    const t = resolveLocal('2026-03-29', '02:30', 'Europe/Berlin');
    expect(iso(t)).toBe('2026-03-29T01:30:00.000Z');
    expect(DateTime.fromJSDate(t, { zone: 'Europe/Berlin' }).toFormat('HH:mm ZZ')).toBe('03:30 +02:00');
  });

  it('Europe/Berlin 2026-10-25: 02:30 happens twice and the first (CEST, 00:30Z) is taken', () => {
    const t = resolveLocal('2026-10-25', '02:30', 'Europe/Berlin');
    expect(iso(t)).toBe('2026-10-25T00:30:00.000Z');
    expect(DateTime.fromJSDate(t, { zone: 'Europe/Berlin' }).toFormat('HH:mm ZZ')).toBe('02:30 +02:00');
  });

  it('a zone with a half-hour shift (Australia/Lord_Howe) moves a gap time by 30 minutes only', () => {
    // 2026-10-04 02:00 +10:30 → 02:30 +11:00
    expect(DateTime.fromJSDate(resolveLocal('2026-10-04', '02:15', 'Australia/Lord_Howe'), { zone: 'Australia/Lord_Howe' }).toISO()).toBe(
      '2026-10-04T02:45:00.000+11:00',
    );
    // 2026-04-05 02:00 +11:00 → 01:30 +10:30: 01:45 happens twice, the first is at +11:00
    expect(DateTime.fromJSDate(resolveLocal('2026-04-05', '01:45', 'Australia/Lord_Howe'), { zone: 'Australia/Lord_Howe' }).toISO()).toBe(
      '2026-04-05T01:45:00.000+11:00',
    );
  });

  it('refuses what is not a date, a time or a zone', () => {
    expect(() => resolveLocal('2026-13-01x', '10:00', 'Asia/Shanghai')).toThrow(RangeError);
    expect(() => resolveLocal('2026-01-01', '24:00', 'Asia/Shanghai')).toThrow(RangeError);
    expect(() => resolveLocal('2026-01-01', '10:00', 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('calendar helpers', () => {
  it('dayOfWeek counts 0 = Sunday', () => {
    expect(dayOfWeek('2026-03-08')).toBe(0);
    expect(dayOfWeek('2026-03-14')).toBe(6);
  });

  it('addDays crosses months and years', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });

  it('localDateOf reads the date in the zone, not in UTC', () => {
    expect(localDateOf(new Date('2026-03-07T17:00:00Z'), 'Asia/Shanghai')).toBe('2026-03-08');
    expect(localDateOf(new Date('2026-03-07T17:00:00Z'), 'America/New_York')).toBe('2026-03-07');
  });
});

describe('expand: a weekly plan into instants', () => {
  const newYork: WeeklyRule = { daysOfWeek: [0], startTime: '02:30', durationMinutes: 30, timeZone: 'America/New_York', startsOn: '2026-01-01' };

  it('America/New_York across both transitions keeps the wall-clock time, with the calendar rules on the odd days', () => {
    const spring = expand(newYork, new Date('2026-03-01T00:00:00Z'), new Date('2026-03-16T00:00:00Z'));
    expect(spring.map((s) => [s.localDate, iso(s.startsAt)])).toEqual([
      ['2026-03-01', '2026-03-01T07:30:00.000Z'], // EST
      ['2026-03-08', '2026-03-08T07:30:00.000Z'], // 02:30 does not exist: 03:30 EDT
      ['2026-03-15', '2026-03-15T06:30:00.000Z'], // EDT
    ]);
    const fall = expand({ ...newYork, startTime: '01:30' }, new Date('2026-10-25T00:00:00Z'), new Date('2026-11-09T00:00:00Z'));
    expect(fall.map((s) => [s.localDate, iso(s.startsAt)])).toEqual([
      ['2026-10-25', '2026-10-25T05:30:00.000Z'], // EDT
      ['2026-11-01', '2026-11-01T05:30:00.000Z'], // twice: the first, EDT
      ['2026-11-08', '2026-11-08T06:30:00.000Z'], // EST
    ]);
  });

  it('Europe/Berlin across both 2026 transitions', () => {
    const rule: WeeklyRule = { daysOfWeek: [0], startTime: '02:30', durationMinutes: 20, timeZone: 'Europe/Berlin', startsOn: '2026-03-01' };
    const slots = expand(rule, new Date('2026-03-20T00:00:00Z'), new Date('2026-11-02T00:00:00Z'));
    const byDate = Object.fromEntries(slots.map((s) => [s.localDate, iso(s.startsAt)]));
    expect(byDate['2026-03-22']).toBe('2026-03-22T01:30:00.000Z'); // CET
    expect(byDate['2026-03-29']).toBe('2026-03-29T01:30:00.000Z'); // gap: 03:30 CEST
    expect(byDate['2026-04-05']).toBe('2026-04-05T00:30:00.000Z'); // CEST
    expect(byDate['2026-10-25']).toBe('2026-10-25T00:30:00.000Z'); // twice: the first, CEST
    expect(byDate['2026-11-01']).toBe('2026-11-01T01:30:00.000Z'); // CET
    expect(slots).toHaveLength(33);
    expect(slots.every((s) => s.endsAt.getTime() - s.startsAt.getTime() === 20 * 60_000)).toBe(true);
  });

  it('Asia/Shanghai (no DST) seen from Europe/Berlin: fixed UTC instant, Berlin wall time shifts by an hour', () => {
    const rule: WeeklyRule = { daysOfWeek: [0, 3], startTime: '19:30', durationMinutes: 30, timeZone: 'Asia/Shanghai', startsOn: '2026-03-01' };
    const slots = expand(rule, new Date('2026-03-20T00:00:00Z'), new Date('2026-04-06T00:00:00Z'));
    expect(slots.map((s) => [s.localDate, iso(s.startsAt)])).toEqual([
      ['2026-03-22', '2026-03-22T11:30:00.000Z'],
      ['2026-03-25', '2026-03-25T11:30:00.000Z'],
      ['2026-03-29', '2026-03-29T11:30:00.000Z'],
      ['2026-04-01', '2026-04-01T11:30:00.000Z'],
      ['2026-04-05', '2026-04-05T11:30:00.000Z'],
    ]);
    const berlin = slots.map((s) => DateTime.fromJSDate(s.startsAt, { zone: 'Europe/Berlin' }).toFormat('ccc HH:mm'));
    expect(berlin).toEqual(['Sun 12:30', 'Wed 12:30', 'Sun 13:30', 'Wed 13:30', 'Sun 13:30']);
  });

  it('a late-evening household time is a different UTC date, and the local date is the household one', () => {
    const rule: WeeklyRule = { daysOfWeek: [1], startTime: '07:00', durationMinutes: 15, timeZone: 'Asia/Shanghai', startsOn: '2026-01-01' };
    const [slot] = expand(rule, new Date('2026-03-01T00:00:00Z'), new Date('2026-03-03T00:00:00Z'));
    expect(slot.localDate).toBe('2026-03-02'); // a Monday in Shanghai
    expect(iso(slot.startsAt)).toBe('2026-03-01T23:00:00.000Z'); // still Sunday in UTC
  });

  it('honours startsOn, the window edges (from inclusive, to exclusive) and a not-before date', () => {
    const rule: WeeklyRule = { daysOfWeek: [0, 1, 2, 3, 4, 5, 6], startTime: '12:00', durationMinutes: 30, timeZone: 'UTC', startsOn: '2026-05-03' };
    const dates = (from: string, to: string, notBefore?: string) =>
      expand(rule, new Date(from), new Date(to), { notBeforeLocalDate: notBefore }).map((s) => s.localDate);
    expect(dates('2026-05-01T00:00:00Z', '2026-05-05T00:00:00Z')).toEqual(['2026-05-03', '2026-05-04']);
    expect(dates('2026-05-04T12:00:00Z', '2026-05-06T12:00:00Z')).toEqual(['2026-05-04', '2026-05-05']);
    expect(dates('2026-05-04T00:00:00Z', '2026-05-08T00:00:00Z', '2026-05-06')).toEqual(['2026-05-06', '2026-05-07']);
    expect(dates('2026-05-08T00:00:00Z', '2026-05-04T00:00:00Z')).toEqual([]);
  });

  it('eight weeks of a three-day plan are 24 calls', () => {
    const rule: WeeklyRule = { daysOfWeek: [1, 3, 5], startTime: '20:00', durationMinutes: 30, timeZone: 'Asia/Shanghai', startsOn: '2026-01-01' };
    const from = new Date('2026-06-01T00:00:00Z');
    expect(expand(rule, from, new Date(from.getTime() + 56 * 24 * 3600_000))).toHaveLength(24);
  });
});

describe('firstOverlap', () => {
  const plan = (over: Partial<WeeklyRule>): WeeklyRule => ({
    daysOfWeek: [0],
    startTime: '19:30',
    durationMinutes: 30,
    timeZone: 'Asia/Shanghai',
    startsOn: '2026-01-01',
    ...over,
  });
  const from = new Date('2026-06-01T00:00:00Z');
  const to = new Date('2026-07-27T00:00:00Z');
  const clash = (a: WeeklyRule, b: WeeklyRule) => firstOverlap(expand(a, from, to), expand(b, from, to));

  it('finds plans that share a moment, and not ones that only touch', () => {
    // the first Sunday of the range, 19:30 and 19:45 in Shanghai
    expect(clash(plan({}), plan({ startTime: '19:45' }))).toMatchObject([
      { startsAt: new Date('2026-06-07T11:30:00Z'), endsAt: new Date('2026-06-07T12:00:00Z') },
      { startsAt: new Date('2026-06-07T11:45:00Z'), endsAt: new Date('2026-06-07T12:15:00Z') },
    ]);
    expect(clash(plan({}), plan({ startTime: '20:00' }))).toBeUndefined();
    expect(clash(plan({}), plan({ startTime: '19:00' }))).toBeUndefined();
    expect(clash(plan({}), plan({ daysOfWeek: [1] }))).toBeUndefined();
  });

  it('compares instants, so plans kept in different zones are compared correctly', () => {
    // 19:30 in Shanghai is 13:30 in Berlin during summer time
    expect(clash(plan({}), plan({ timeZone: 'Europe/Berlin', startTime: '13:40' }))).toMatchObject([
      { startsAt: new Date('2026-06-07T11:30:00Z') },
      { startsAt: new Date('2026-06-07T11:40:00Z'), endsAt: new Date('2026-06-07T12:10:00Z') },
    ]);
    expect(clash(plan({}), plan({ timeZone: 'Europe/Berlin', startTime: '19:30' }))).toBeUndefined();
  });
});
