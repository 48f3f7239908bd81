import { weeklyStreak } from './connection-summary.service';

const zone = 'Asia/Shanghai';
// Sunday 2026-11-29 19:30 Shanghai is 11:30Z; weeks start on Monday
const sunday = (weeksAgo: number) => new Date(Date.UTC(2026, 10, 29 - 7 * weeksAgo, 11, 30));

describe('weekly streak', () => {
  it('counts consecutive weeks with a completed call', () => {
    expect(weeklyStreak([sunday(0), sunday(1), sunday(2), sunday(4)], new Date('2026-11-29T13:00:00Z'), zone)).toBe(3);
  });

  it('does not break on a current week that has no call yet', () => {
    const mondayMorning = new Date('2026-11-30T01:00:00Z'); // Monday 09:00 in Shanghai
    expect(weeklyStreak([sunday(0), sunday(1)], mondayMorning, zone)).toBe(2);
  });

  it('is zero without calls, or after a whole week without one', () => {
    expect(weeklyStreak([], new Date('2026-11-29T13:00:00Z'), zone)).toBe(0);
    expect(weeklyStreak([sunday(2)], new Date('2026-11-29T13:00:00Z'), zone)).toBe(0);
  });

  it('uses the household’s week, not UTC’s', () => {
    // Monday 00:30 in Shanghai is still Sunday in UTC: it belongs to the new week
    const earlyMonday = new Date('2026-11-29T16:30:00Z');
    expect(weeklyStreak([earlyMonday], new Date('2026-11-30T02:00:00Z'), zone)).toBe(1);
  });
});
