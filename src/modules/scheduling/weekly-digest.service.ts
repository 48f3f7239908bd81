import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { DataSource } from 'typeorm';
import { Clock } from '../../common/clock';
import { Transactions } from '../../database/transaction';
import { NotificationChannel } from '../notifications/notification.entity';
import { NotificationsService } from '../notifications/notifications.service';
import { NotificationKind, resolveLocale } from '../notifications/templates';
import { ConnectionSummaryService } from './connection-summary.service';

/** Sunday evening, in each parent's own time zone. */
const DIGEST_WEEKDAY = 7;
const DIGEST_HOUR = 20;

/**
 * Each parent gets a short summary of the week for each child. The job runs hourly; a parent is due
 * in the hour when it is Sunday 20:00 where they live, and at most once in six days.
 */
@Injectable()
export class WeeklyDigestService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly summaries: ConnectionSummaryService,
    private readonly notifications: NotificationsService,
    private readonly clock: Clock,
  ) {}

  async sendDue(): Promise<number> {
    const now = this.clock.now();
    const pairs: { parent_id: string; child_id: string; child_name: string; locale: string; time_zone: string }[] = await this.dataSource.query(
      `SELECT DISTINCT m.user_id AS parent_id, c.user_id AS child_id, cu.display_name AS child_name, pu.locale, pu.time_zone
         FROM family_members m
         JOIN children c ON c.family_id = m.family_id
         JOIN users cu ON cu.id = c.user_id
         JOIN users pu ON pu.id = m.user_id
        WHERE m.role = 'parent'
          AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = m.user_id AND n.kind = $1
                             AND n.params->>'childName' = cu.display_name AND n.created_at > $2)`,
      [NotificationKind.WeeklyDigest, new Date(now.getTime() - 6 * 86_400_000)],
    );
    const due = pairs.filter((p) => {
      const local = DateTime.fromJSDate(now, { zone: p.time_zone });
      return local.weekday === DIGEST_WEEKDAY && local.hour === DIGEST_HOUR;
    });
    for (const pair of due) {
      const summary = await this.summaries.compute(pair.child_id);
      await this.transactions.run((em) =>
        this.notifications.notify(em, {
          userId: pair.parent_id,
          kind: NotificationKind.WeeklyDigest,
          params: {
            childName: pair.child_name,
            completed: summary.last7Days.callsCompleted,
            missed: summary.last7Days.callsMissed,
            minutes: summary.last7Days.minutesTalked,
            streak: summary.weeklyStreak,
          },
          locale: resolveLocale(pair.locale),
          channel: NotificationChannel.Socket,
        }),
      );
    }
    return due.length;
  }
}
