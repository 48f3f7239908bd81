import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../../common/actor';
import { Clock } from '../../common/clock';
import { notFound } from '../../common/errors';
import { updateReturning } from '../../database/sql';
import { JobName, queueOf } from '../../infra/queue/job-catalogue';
import { Transactions } from '../../database/transaction';
import { AccessService } from '../access/access.service';
import { NotificationChannel } from '../notifications/notification.entity';
import { NotificationsService } from '../notifications/notifications.service';
import { NotificationKind, resolveLocale } from '../notifications/templates';
import { OccurrenceState } from './call-occurrence.entity';
import { ReminderState } from './reminder.entity';
import { formatLead, formatStart } from './reminder-text';

/** Minutes before a call; used when a user has no preferences row (the column default says the same). */
export const DEFAULT_REMINDER_OFFSETS = [1440, 15];
/** Reminders this close to the call (and the "starting now" nudge) pass through quiet hours. */
const URGENT_WITHIN_MINUTES = 60;

/** BullMQ ids may not contain ':'; the version makes a moved call's reminders new jobs. */
export const reminderJobId = (r: { occurrenceId: string; offsetMinutes: number; userId: string; occurrenceVersion: number }) =>
  `rem-${r.occurrenceId}-${r.offsetMinutes}-${r.userId}-v${r.occurrenceVersion}`;

export interface ReminderView {
  id: string;
  userId: string;
  offsetMinutes: number;
  dueAt: string;
  state: ReminderState;
  sentAt: string | null;
}

export enum ReminderOutcome {
  Sent = 'sent',
  Skipped = 'skipped',
}

/**
 * Reminder intent lives in PostgreSQL (guarantee 4): one row per (occurrence, adult, offset, version),
 * a delayed BullMQ job per row through the outbox, and a compare-and-set of the row's state that
 * makes "once" hold whatever BullMQ redelivers.
 */
@Injectable()
export class RemindersService {
  private readonly logger = new Logger(RemindersService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly notifications: NotificationsService,
    private readonly access: AccessService,
    private readonly clock: Clock,
  ) {}

  /**
   * Creates the reminders of scheduled occurrences for their parent and every guardian, at each
   * adult's offsets plus the "starting now" nudge, and enqueues their jobs, in the caller's transaction.
   * One statement, so a horizon of thousands of calls costs one round trip. A reminder whose moment
   * has already passed is recorded as skipped: it is never sent late.
   */
  async planFor(em: EntityManager, occurrenceIds: string[]): Promise<void> {
    if (occurrenceIds.length === 0) return;
    await em.query(
      `WITH occ AS (
         SELECT id, starts_at, version, family_id, parent_id FROM call_occurrences
          WHERE id = ANY($1::uuid[]) AND state = 'scheduled'
       ), recipients AS (
         SELECT occ.id AS occurrence_id, occ.starts_at, occ.version, adult.user_id
           FROM occ CROSS JOIN LATERAL (
             SELECT occ.parent_id AS user_id
             UNION
             SELECT m.user_id FROM family_members m WHERE m.family_id = occ.family_id AND m.role = 'guardian'
           ) adult
       ), planned AS (
         SELECT DISTINCT ON (r.occurrence_id, r.user_id, o.minutes)
                r.occurrence_id, r.user_id, o.minutes, r.version, r.starts_at - make_interval(mins => o.minutes) AS due_at
           FROM recipients r
           LEFT JOIN notification_preferences p ON p.user_id = r.user_id
           CROSS JOIN LATERAL unnest(array_append(coalesce(p.reminder_offsets, $3::int[]), 0)) AS o(minutes)
       ), inserted AS (
         INSERT INTO reminders (occurrence_id, user_id, offset_minutes, occurrence_version, due_at, state)
         SELECT occurrence_id, user_id, minutes, version, due_at, CASE WHEN due_at < $2 THEN 'skipped' ELSE 'scheduled' END
           FROM planned
         ON CONFLICT ON CONSTRAINT reminders_once_key DO NOTHING
         RETURNING id, occurrence_id, user_id, offset_minutes, occurrence_version, due_at, state
       )
       INSERT INTO outbox (queue, job_name, payload, job_id, run_at)
       SELECT $4, $5, json_build_object('reminderId', id),
              'rem-' || occurrence_id || '-' || offset_minutes || '-' || user_id || '-v' || occurrence_version, due_at
         FROM inserted WHERE state = 'scheduled'`,
      [occurrenceIds, this.clock.now(), DEFAULT_REMINDER_OFFSETS, queueOf[JobName.SendReminder], JobName.SendReminder],
    );
  }

  /** The occurrences changed or left 'scheduled': their pending reminders will send nothing. */
  async supersede(em: EntityManager, occurrenceIds: string[]): Promise<void> {
    if (occurrenceIds.length === 0) return;
    await em.query(`UPDATE reminders SET state = 'skipped' WHERE occurrence_id = ANY($1::uuid[]) AND state = 'scheduled'`, [occurrenceIds]);
  }

  /**
   * The job: re-read the reminder and its call; send only if both are still as planned and the call
   * has not begun (the nudge: not ended). The sent-row and the notification commit together, so a
   * retry, a second worker or a worker killed mid-job can never send twice or lose the reminder.
   */
  async send(reminderId: string): Promise<ReminderOutcome> {
    const now = this.clock.now();
    return this.transactions.run(async (em) => {
      const [row] = await em.query(
        `SELECT r.id, r.user_id, r.offset_minutes, r.occurrence_version, r.state,
                o.state AS occurrence_state, o.version, o.starts_at, o.ends_at, o.parent_id,
                child.display_name AS child_name, parent.display_name AS parent_name,
                recipient.locale, recipient.time_zone
           FROM reminders r
           JOIN call_occurrences o ON o.id = r.occurrence_id
           JOIN users child ON child.id = o.child_id
           JOIN users parent ON parent.id = o.parent_id
           JOIN users recipient ON recipient.id = r.user_id
          WHERE r.id = $1`,
        [reminderId],
      );
      if (!row || row.state !== ReminderState.Scheduled) return ReminderOutcome.Skipped;
      const offset: number = row.offset_minutes;
      const stillRelevant = offset === 0 ? now < new Date(row.ends_at) : now < new Date(row.starts_at);
      const unchanged = row.occurrence_state === OccurrenceState.Scheduled && row.version === row.occurrence_version;
      const next = unchanged && stillRelevant ? ReminderState.Sent : ReminderState.Skipped;
      const [won] = await updateReturning(em, `UPDATE reminders SET state = $2, sent_at = $3 WHERE id = $1 AND state = 'scheduled' RETURNING id`, [
        reminderId,
        next,
        next === ReminderState.Sent ? now : null,
      ]);
      if (!won || next === ReminderState.Skipped) return ReminderOutcome.Skipped;

      const locale = resolveLocale(row.locale);
      const names = { childName: row.child_name as string, parentName: row.parent_name as string };
      const notificationId = await this.notifications.notify(em, {
        userId: row.user_id,
        kind: offset === 0 ? NotificationKind.CallStarting : NotificationKind.CallReminder,
        params: offset === 0 ? names : { ...names, time: formatStart(new Date(row.starts_at), row.time_zone, locale), lead: formatLead(offset, locale) },
        locale,
        channel: NotificationChannel.Socket,
        urgent: offset <= URGENT_WITHIN_MINUTES,
      });
      await em.query(`UPDATE reminders SET notification_id = $2 WHERE id = $1`, [reminderId, notificationId]);
      return ReminderOutcome.Sent;
    });
  }

  /**
   * Re-enqueues reminders whose jobs Redis lost (a flush, a failover): every scheduled reminder of the
   * next day whose job is missing is written to the outbox again under its deterministic id. Lost ones
   * whose moment has passed are sent now if the call has not begun, since the job re-checks that.
   */
  async reconcile(jobExists: (jobIds: string[]) => Promise<boolean[]>): Promise<number> {
    const rows: { id: string; occurrence_id: string; user_id: string; offset_minutes: number; occurrence_version: number; due_at: Date }[] =
      await this.dataSource.query(
        `SELECT id, occurrence_id, user_id, offset_minutes, occurrence_version, due_at FROM reminders
          WHERE state = 'scheduled' AND due_at < $1 ORDER BY due_at LIMIT 20000`,
        [new Date(this.clock.now().getTime() + 25 * 3600_000)],
      );
    if (rows.length === 0) return 0;
    const ids = rows.map((r) =>
      reminderJobId({ occurrenceId: r.occurrence_id, offsetMinutes: r.offset_minutes, userId: r.user_id, occurrenceVersion: r.occurrence_version }),
    );
    const exists = await jobExists(ids);
    const lost = rows.map((r, i) => ({ row: r, jobId: ids[i] })).filter((_, i) => !exists[i]);
    if (lost.length === 0) return 0;
    await this.dataSource.query(
      `INSERT INTO outbox (queue, job_name, payload, job_id, run_at)
       SELECT $1, $2, json_build_object('reminderId', l.id), l.job_id, l.due_at
         FROM unnest($3::uuid[], $4::text[], $5::timestamptz[]) AS l(id, job_id, due_at)`,
      [queueOf[JobName.SendReminder], JobName.SendReminder, lost.map((l) => l.row.id), lost.map((l) => l.jobId), lost.map((l) => l.row.due_at)],
    );
    this.logger.warn({ count: lost.length }, 'reminder jobs were missing from the queue; re-enqueued');
    return lost.length;
  }

  /** Every reminder of one call, for its family's adults to see. */
  async forOccurrence(actor: Actor, occurrenceId: string): Promise<ReminderView[]> {
    const [occurrence] = await this.dataSource.query(`SELECT child_id FROM call_occurrences WHERE id = $1`, [occurrenceId]);
    if (!occurrence) throw notFound('Call');
    await this.access.requireChildFamilyAdult(actor, occurrence.child_id);
    const rows: { id: string; user_id: string; offset_minutes: number; due_at: Date; state: ReminderState; sent_at: Date | null }[] =
      await this.dataSource.query(
        `SELECT id, user_id, offset_minutes, due_at, state, sent_at FROM reminders WHERE occurrence_id = $1 ORDER BY due_at, user_id, occurrence_version`,
        [occurrenceId],
      );
    return rows.map((r) => ({
      id: r.id,
      userId: r.user_id,
      offsetMinutes: r.offset_minutes,
      dueAt: new Date(r.due_at).toISOString(),
      state: r.state,
      sentAt: r.sent_at ? new Date(r.sent_at).toISOString() : null,
    }));
  }
}
