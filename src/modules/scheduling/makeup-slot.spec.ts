import { findMakeupSlot, inWindow } from './makeup-slot';

const household = { timeZone: 'Asia/Shanghai', start: '08:00', end: '21:00' };

describe('make-up slot', () => {
  it('windows may cross midnight', () => {
    const night = { timeZone: 'Asia/Shanghai', start: '22:00', end: '07:00' };
    expect(inWindow(new Date('2026-11-23T15:30:00Z'), night)).toBe(true); // 23:30 local
    expect(inWindow(new Date('2026-11-23T22:30:00Z'), night)).toBe(true); // 06:30 local
    expect(inWindow(new Date('2026-11-24T00:00:00Z'), night)).toBe(false); // 08:00 local
  });

  it('takes the next quarter-hour in waking hours', () => {
    // missed at 19:30-20:00 local Sunday; now 20:05 local → next fitting start is 20:15 (ends 20:45 < 21:00)
    const slot = findMakeupSlot({
      notBefore: new Date('2026-11-29T12:05:00Z'),
      notAfter: new Date('2026-12-01T12:05:00Z'),
      durationMinutes: 30,
      busy: [],
      household,
      quiet: [],
    });
    expect(slot?.toISOString()).toBe('2026-11-29T12:15:00.000Z');
  });

  it('skips the night, other calls and every adult’s quiet hours in their own zone', () => {
    const slot = findMakeupSlot({
      notBefore: new Date('2026-11-29T12:50:00Z'), // 20:50 Shanghai: too late for 30 min before 21:00
      notAfter: new Date('2026-12-01T12:50:00Z'),
      durationMinutes: 30,
      busy: [{ startsAt: new Date('2026-11-30T00:00:00Z'), endsAt: new Date('2026-11-30T01:00:00Z') }], // 08:00-09:00 Monday
      household,
      // the parent in Berlin sleeps 23:00-07:00 Berlin = 06:00-14:00 Shanghai
      quiet: [{ timeZone: 'Europe/Berlin', start: '23:00', end: '07:00' }],
    });
    expect(slot?.toISOString()).toBe('2026-11-30T06:00:00.000Z'); // 14:00 Shanghai, 07:00 Berlin
  });

  it('finds nothing when nothing fits', () => {
    expect(
      findMakeupSlot({
        notBefore: new Date('2026-11-29T12:15:00Z'), // 20:15 local: an hour would end after 21:00
        notAfter: new Date('2026-11-29T12:30:00Z'),
        durationMinutes: 60,
        busy: [],
        household,
        quiet: [],
      }),
    ).toBeUndefined();
  });
});
