import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { DataSource } from 'typeorm';
import { Actor } from '../../common/actor';
import { Clock } from '../../common/clock';
import { AccessService } from '../access/access.service';

export interface PeriodSummary {
  callsCompleted: number;
  callsMissed: number;
  minutesTalked: number;
}

export interface ConnectionSummary {
  childId: string;
  lastContactAt: string | null;
  last7Days: PeriodSummary;
  last30Days: PeriodSummary;
  /** Consecutive weeks (household time, Monday first) with at least one completed call. */
  weeklyStreak: number;
}

/**
 * How connected a child is: what protects left-behind children is regular contact, so the family
 * sees it plainly. Contact is a completed call, or a message between the child and its parents (one
 * the child sent, or one a parent sent to a conversation the child is in).
 */
@Injectable()
export class ConnectionSummaryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly access: AccessService,
    private readonly clock: Clock,
  ) {}

  async forChild(actor: Actor, childId: string): Promise<ConnectionSummary> {
    await this.access.requireChildFamilyAdult(actor, childId);
    return this.compute(childId);
  }

  async compute(childId: string): Promise<ConnectionSummary> {
    const now = this.clock.now();
    const [[figures], completed] = await Promise.all([
      this.dataSource.query(
        // last contact: the newest of the last completed call and, per conversation of the child, its
        // newest message from the child or a parent (read backwards along the seq index);
        // the household's zone: its latest call's, or the child's own before it has any;
        // the calls of the last 7 and 30 days (24-hour days)
        `SELECT greatest(
                  (SELECT max(completed_at) FROM call_occurrences WHERE child_id = $1 AND state = 'completed'),
                  (SELECT max(latest.created_at)
                     FROM conversation_members cm
                     CROSS JOIN LATERAL (
                       SELECT m.created_at FROM messages m
                        WHERE m.conversation_id = cm.conversation_id AND m.kind <> 'system'
                          AND (m.sender_id = $1 OR m.sender_id IN (SELECT fm.user_id FROM children c JOIN family_members fm ON fm.family_id = c.family_id
                                                                      WHERE c.user_id = $1 AND fm.role = 'parent'))
                        ORDER BY m.seq DESC LIMIT 1) latest
                    WHERE cm.user_id = $1)) AS at,
                coalesce((SELECT time_zone FROM call_occurrences WHERE child_id = $1 ORDER BY starts_at DESC LIMIT 1),
                         (SELECT time_zone FROM users WHERE id = $1)) AS tz,
                p.*
           FROM (SELECT count(*) FILTER (WHERE state = 'completed' AND starts_at >= $2::timestamptz - interval '168 hours')::int AS completed7,
                        count(*) FILTER (WHERE state = 'missed' AND starts_at >= $2::timestamptz - interval '168 hours')::int AS missed7,
                        coalesce(sum(talked_seconds) FILTER (WHERE state = 'completed' AND starts_at >= $2::timestamptz - interval '168 hours'), 0)::int AS seconds7,
                        count(*) FILTER (WHERE state = 'completed')::int AS completed30,
                        count(*) FILTER (WHERE state = 'missed')::int AS missed30,
                        coalesce(sum(talked_seconds) FILTER (WHERE state = 'completed'), 0)::int AS seconds30
                   FROM call_occurrences
                  WHERE child_id = $1 AND starts_at >= $2::timestamptz - interval '720 hours' AND starts_at < $2) p`,
        [childId, now],
      ),
      this.dataSource.query(
        `SELECT starts_at FROM call_occurrences WHERE child_id = $1 AND state = 'completed' AND starts_at < $2 ORDER BY starts_at DESC LIMIT 520`,
        [childId, now],
      ),
    ]);
    const period = (callsCompleted: number, callsMissed: number, seconds: number): PeriodSummary => ({ callsCompleted, callsMissed, minutesTalked: Math.round(seconds / 60) });
    return {
      childId,
      lastContactAt: figures.at ? new Date(figures.at).toISOString() : null,
      last7Days: period(figures.completed7, figures.missed7, figures.seconds7),
      last30Days: period(figures.completed30, figures.missed30, figures.seconds30),
      weeklyStreak: weeklyStreak(
        completed.map((r: { starts_at: Date }) => new Date(r.starts_at)),
        now,
        figures.tz as string,
      ),
    };
  }
}

/**
 * Counts back week by week from the current one: the current week counts if it already has a call,
 * and does not break the streak if it has none yet.
 */
export function weeklyStreak(completedStarts: Date[], now: Date, timeZone: string): number {
  const weekOf = (d: Date) => DateTime.fromJSDate(d, { zone: timeZone }).startOf('week').toISODate()!;
  const weeks = new Set(completedStarts.map(weekOf));
  let cursor = DateTime.fromJSDate(now, { zone: timeZone }).startOf('week');
  if (!weeks.has(cursor.toISODate()!)) cursor = cursor.minus({ weeks: 1 });
  let streak = 0;
  while (weeks.has(cursor.toISODate()!)) {
    streak += 1;
    cursor = cursor.minus({ weeks: 1 });
  }
  return streak;
}
