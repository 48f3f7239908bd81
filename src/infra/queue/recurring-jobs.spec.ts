import { defaultRepeatStrategy } from 'bullmq';
import { JobName, recurringJobs } from './job-catalogue';

describe('recurring maintenance jobs', () => {
  // calls start on the minute, so a popular time's reminders all fall due at second 0
  it('run at second 30, never when a burst of reminders falls due', () => {
    const runs = (pattern: string, tz: string, from: number, count: number) => {
      const times: number[] = [];
      for (let at = from; times.length < count; at = times[times.length - 1]) times.push(defaultRepeatStrategy(at, { pattern, tz }) as number);
      return times;
    };
    for (const [job, { pattern, tz }] of Object.entries(recurringJobs)) {
      for (const at of runs(pattern, tz, Date.parse('2026-11-29T11:14:59.500Z'), 8)) {
        expect({ job, second: new Date(at).getUTCSeconds() }).toEqual({ job, second: 30 });
      }
    }
  });

  it('keep their cadence: the reconciler and missed calls every minute, the horizon every 15 minutes, digests hourly', () => {
    const gaps = (job: JobName) => {
      const { pattern, tz } = recurringJobs[job]!;
      const first = defaultRepeatStrategy(Date.parse('2026-11-29T11:14:59.500Z'), { pattern, tz }) as number;
      return (defaultRepeatStrategy(first, { pattern, tz }) as number) - first;
    };
    expect(gaps(JobName.ReconcileReminders)).toBe(60_000);
    expect(gaps(JobName.MarkMissedCalls)).toBe(60_000);
    expect(gaps(JobName.ExtendHorizon)).toBe(15 * 60_000);
    expect(gaps(JobName.SendWeeklyDigests)).toBe(3600_000);
  });
});
