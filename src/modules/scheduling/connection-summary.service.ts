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
    const period = async (days: number): Promise<PeriodSummary> => {
      const [row] = await this.dataSource.query(
        `SELECT count(*) FILTER (WHERE state = 'completed')::int AS completed,
                count(*) FILTER (WHERE state = 'missed')::int AS missed,
                coalesce(sum(talked_seconds) FILTER (WHERE state = 'completed'), 0)::int AS seconds
           FROM call_occurrences WHERE child_id = $1 AND starts_at >= $2 AND starts_at < $3`,
        [childId, new Date(now.getTime() - days * 86_400_000), now],
      );
      return { callsCompleted: row.completed, callsMissed: row.missed, minutesTalked: Math.round(row.seconds / 60) };
    };
    const [[last], completed, [zone]] = await Promise.all([
      // the newest of the last completed call and, per conversation of the child, its newest message
      // from the child or a parent (read backwards along the seq index)
      this.dataSource.query(
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
                    WHERE cm.user_id = $1)) AS at`,
        [childId],
      ),
      this.dataSource.query(
        `SELECT starts_at FROM call_occurrences WHERE child_id = $1 AND state = 'completed' AND starts_at < $2 ORDER BY starts_at DESC LIMIT 520`,
        [childId, now],
      ),
      // the household's zone: its latest call's, or the child's own before it has any
      this.dataSource.query(
        `SELECT coalesce((SELECT time_zone FROM call_occurrences WHERE child_id = $1 ORDER BY starts_at DESC LIMIT 1), u.time_zone) AS tz FROM users u WHERE u.id = $1`,
        [childId],
      ),
    ]);
    return {
      childId,
      lastContactAt: last?.at ? new Date(last.at).toISOString() : null,
      last7Days: await period(7),
      last30Days: await period(30),
      weeklyStreak: weeklyStreak(
        completed.map((r: { starts_at: Date }) => new Date(r.starts_at)),
        now,
        zone.tz as string,
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
