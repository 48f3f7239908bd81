import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../../common/actor';
import { Batcher, Settled } from '../../common/batcher';
import { Clock } from '../../common/clock';
import { AppConfig } from '../../config/app-config';
import { notFound } from '../../common/errors';
import { preparedQuery } from '../../database/sql';
import { JobName, queueOf } from '../../infra/queue/job-catalogue';
import { Jobs } from '../../infra/queue/jobs';
import { Transactions } from '../../database/transaction';
import { AccessService } from '../access/access.service';
import { NotificationChannel } from '../notifications/notification.entity';
import { NotificationsService, NotifyInput } from '../notifications/notifications.service';
import { DEFAULT_REMINDER_OFFSETS, Recipient, recipientJson, RecipientRow, toRecipient } from '../notifications/recipients';
import { NotificationKind, resolveLocale } from '../notifications/templates';
import { ReminderState } from './reminder.entity';
import { formatLead, formatStart } from './reminder-text';

/**
 * Only reminders due this soon get their BullMQ job when they are planned; the reconciler adds each
 * later one as it comes within RECONCILE_AHEAD_MS. An 8-week horizon would otherwise keep every
 * reminder of every family for two months in Redis (about 60 KiB per family).
 */
export const ENQUEUE_AHEAD_MS = 24 * 3600_000;
/** How far ahead the reconciler (every minute) makes sure each scheduled reminder has its job. */
const RECONCILE_AHEAD_MS = 25 * 3600_000;
/** Reminders the reconciler checks against Redis per query. */
const RECONCILE_PAGE = 5000;

/** Reminders this close to the call (and the "starting now" nudge) pass through quiet hours. */
const URGENT_WITHIN_MINUTES = 60;

/** BullMQ ids may not contain ':'; the version makes a moved call's reminders new jobs. */
export const reminderJobId = (r: { occurrenceId: string; offsetMinutes: number; userId: string; occurrenceVersion: number }) =>
  `rem-${r.occurrenceId}-${r.offsetMinutes}-${r.userId}-v${r.occurrenceVersion}`;
/** reminderJobId in SQL, of a row with the reminders table's columns (`row` its alias), for statements that enqueue as they plan. */
const reminderJobIdSql = (row: string) =>
  `'rem-' || ${row}.occurrence_id || '-' || ${row}.offset_minutes || '-' || ${row}.user_id || '-v' || ${row}.occurrence_version`;

export interface ReminderView {
  id: string;
  userId: string;
  offsetMinutes: number;
  dueAt: string;
  state: ReminderState;
  sentAt: string | null;
}

/**
 * The compare-and-set of a batch: locks the scheduled ones among the reminders $1 in id order, sends
 * those whose call is unchanged and has not begun at $2 (the nudge: not ended), linking each to its
 * notification id from $3, skips the rest, and returns what their notifications need.
 */
const SEND_BATCH = `
  WITH batch AS (
    SELECT * FROM unnest($1::uuid[], $3::uuid[]) AS b(id, notification_id)
  ), locked AS (
    SELECT r.id FROM reminders r JOIN batch b ON b.id = r.id WHERE r.state = 'scheduled' ORDER BY r.id FOR UPDATE OF r
  ), checked AS (
    SELECT r.id, r.user_id, r.offset_minutes, o.starts_at, o.child_id, o.parent_id,
           o.state = 'scheduled' AND o.version = r.occurrence_version
             AND $2::timestamptz < CASE WHEN r.offset_minutes = 0 THEN o.ends_at ELSE o.starts_at END AS still_due
      FROM locked JOIN reminders r ON r.id = locked.id JOIN call_occurrences o ON o.id = r.occurrence_id
  )
  UPDATE reminders r
     SET state = CASE WHEN c.still_due THEN 'sent' ELSE 'skipped' END,
         sent_at = CASE WHEN c.still_due THEN $2::timestamptz END,
         notification_id = CASE WHEN c.still_due THEN b.notification_id END
    FROM checked c JOIN batch b ON b.id = c.id JOIN users child ON child.id = c.child_id JOIN users parent ON parent.id = c.parent_id
         JOIN users u ON u.id = c.user_id LEFT JOIN notification_preferences p ON p.user_id = u.id
   WHERE r.id = c.id AND r.state = 'scheduled'
  RETURNING r.id, c.offset_minutes, r.state, r.notification_id, c.starts_at, child.display_name AS child_name,
            parent.display_name AS parent_name, ${recipientJson('u', 'p')} AS recipient`;

/** A reminder whose state a batch just decided, with what its notification needs. */
interface DueReminder {
  id: string;
  offset_minutes: number;
  state: ReminderState;
  notification_id: string | null;
  starts_at: Date;
  child_name: string;
  parent_name: string;
  recipient: RecipientRow;
}

/** The reminder ("in 15 minutes") or, at offset 0, the "starting now" nudge, in the recipient's language and zone. */
function reminderNotification(row: DueReminder, recipient: Recipient): NotifyInput {
  const locale = resolveLocale(recipient.locale);
  const names = { childName: row.child_name, parentName: row.parent_name };
  const starting = row.offset_minutes === 0;
  return {
    id: row.notification_id!,
    userId: recipient.id,
    kind: starting ? NotificationKind.CallStarting : NotificationKind.CallReminder,
    params: starting ? names : { ...names, time: formatStart(new Date(row.starts_at), recipient.timeZone, locale), lead: formatLead(row.offset_minutes, locale) },
    locale,
    channel: NotificationChannel.Socket,
    urgent: row.offset_minutes <= URGENT_WITHIN_MINUTES,
  };
}

export enum ReminderOutcome {
  Sent = 'sent',
  Skipped = 'skipped',
}

/**
 * Reminder intent lives in PostgreSQL (guarantee 4): one row per (occurrence, adult, offset, version),
 * a delayed BullMQ job per row through the outbox (at planning for the next day, by the reconciler
 * for later ones), and a compare-and-set of the row's state that
 * makes "once" hold whatever BullMQ redelivers.
 */
@Injectable()
export class RemindersService {
  private readonly logger = new Logger(RemindersService.name);
  private readonly batcher: Batcher<string, ReminderOutcome>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly notifications: NotificationsService,
    private readonly jobs: Jobs,
    private readonly access: AccessService,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.batcher = new Batcher(config.reminderBatching, (id) => id, (ids) => this.sendBatch(ids));
  }

  /**
   * Creates the reminders of scheduled occurrences for their parent and every guardian, at each
   * adult's offsets plus the "starting now" nudge, and enqueues the jobs of those due within a day, in the caller's transaction.
   * One statement, so a horizon of thousands of calls costs one round trip. A reminder whose moment
   * has already passed is recorded as skipped: it is never sent late.
   */
  async planFor(em: EntityManager, occurrenceIds: string[]): Promise<void> {
    if (occurrenceIds.length === 0) return;
    const now = this.clock.now();
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
       SELECT $4, $5, json_build_object('reminderId', i.id), ${reminderJobIdSql('i')}, i.due_at
         FROM inserted i WHERE i.state = 'scheduled' AND i.due_at < $6`,
      [occurrenceIds, now, [...DEFAULT_REMINDER_OFFSETS], queueOf[JobName.SendReminder], JobName.SendReminder, new Date(now.getTime() + ENQUEUE_AHEAD_MS)],
    );
  }

  /** The occurrences changed or left 'scheduled': their pending reminders will send nothing. */
  async supersede(em: EntityManager, occurrenceIds: string[]): Promise<void> {
    if (occurrenceIds.length === 0) return;
    await em.query(`UPDATE reminders SET state = 'skipped' WHERE occurrence_id = ANY($1::uuid[]) AND state = 'scheduled'`, [occurrenceIds]);
  }

  /**
   * The job: send one reminder if it is still due. Jobs running at once in this process are sent
   * together (see sendBatch), so a burst of thousands of calls starting at one instant costs a few
   * statements per batch rather than per reminder.
   */
  send(reminderId: string): Promise<ReminderOutcome> {
    return this.batcher.submit(reminderId);
  }

  /**
   * Re-reads each reminder and its call and sends only those still as planned whose call has not
   * begun (the nudge: not ended). One transaction sets every reminder's state by compare-and-set
   * (locked in id order, so batches racing on other workers wait for each other rather than
   * deadlock), stores their notifications and delivers them on the socket; the events are published
   * after the commit. A retry, a second worker or a worker killed mid-job can never send twice or
   * lose a reminder. Should the batch fail, each reminder is tried alone, so one bad row fails only its own job.
   */
  async sendBatch(reminderIds: string[]): Promise<Settled<ReminderOutcome>[]> {
    try {
      const outcomes = await this.commitBatch(reminderIds);
      return reminderIds.map((id) => ({ ok: true, value: outcomes.get(id) ?? ReminderOutcome.Skipped }));
    } catch (error) {
      if (reminderIds.length === 1) return [{ ok: false, error }];
      this.logger.warn({ count: reminderIds.length, err: (error as Error).message }, 'reminder batch failed; sending one by one');
      const settled: Settled<ReminderOutcome>[] = [];
      for (const id of reminderIds) settled.push(...(await this.sendBatch([id])));
      return settled;
    }
  }

  private async commitBatch(reminderIds: string[]): Promise<Map<string, ReminderOutcome>> {
    const now = this.clock.now();
    const ids = [...new Set(reminderIds)];
    const { rows, dispatched } = await this.transactions.run(async (em) => {
      // each reminder's notification id is chosen up front, so one statement decides and links them
      // (the reference is checked at commit, once the notifications exist)
      const rows = await preparedQuery<DueReminder>(em, 'reminders-send-batch', SEND_BATCH, [ids, now, ids.map(() => randomUUID())]);
      const sent = rows.filter((r) => r.state === ReminderState.Sent);
      const recipients = sent.map((r) => toRecipient(r.recipient));
      const dispatched = await this.notifications.notifyMany(
        em,
        sent.map((r, i) => reminderNotification(r, recipients[i])),
        { deliverNow: true, recipients },
      );
      return { rows, dispatched };
    });
    dispatched.publish();
    return new Map(rows.map((r) => [r.id, r.state === ReminderState.Sent ? ReminderOutcome.Sent : ReminderOutcome.Skipped]));
  }

  /**
   * Gives every scheduled reminder of the next 25 hours its job: those coming within reach (planning
   * enqueues only the next 24 hours) and those whose jobs Redis lost (a flush, a failover), written
   * to the outbox under their deterministic ids. Lost ones whose moment has passed are sent now if
   * the call has not begun, since the job re-checks that.
   */
  async reconcile(jobExists: (jobIds: string[]) => Promise<boolean[]>, pageSize = RECONCILE_PAGE): Promise<number> {
    const now = this.clock.now().getTime();
    let enqueued = 0;
    let lost = 0;
    // every page, not the first: the reconciler is what enqueues reminders more than a day ahead
    for (let after: { due_at: Date; id: string } | undefined; ; ) {
      const rows: { id: string; occurrence_id: string; user_id: string; offset_minutes: number; occurrence_version: number; due_at: Date }[] =
        await this.dataSource.query(
          `SELECT id, occurrence_id, user_id, offset_minutes, occurrence_version, due_at FROM reminders
            WHERE state = 'scheduled' AND due_at < $1 AND ($2::timestamptz IS NULL OR (due_at, id) > ($2, $3::uuid))
            ORDER BY due_at, id LIMIT $4`,
          [new Date(now + RECONCILE_AHEAD_MS), after?.due_at ?? null, after?.id ?? null, pageSize],
        );
      if (rows.length === 0) break;
      after = rows[rows.length - 1];
      const ids = rows.map((r) =>
        reminderJobId({ occurrenceId: r.occurrence_id, offsetMinutes: r.offset_minutes, userId: r.user_id, occurrenceVersion: r.occurrence_version }),
      );
      const exists = await jobExists(ids);
      const missing = rows.map((r, i) => ({ row: r, jobId: ids[i] })).filter((_, i) => !exists[i]);
      if (missing.length > 0) {
        await this.jobs.enqueueMany(
          this.dataSource.manager,
          missing.map(({ row, jobId }) => ({ job: JobName.SendReminder, payload: { reminderId: row.id }, jobId, runAt: row.due_at })),
        );
        enqueued += missing.length;
        // within the first 24 hours every reminder had its job already: those were lost
        lost += missing.filter((l) => new Date(l.row.due_at).getTime() < now + ENQUEUE_AHEAD_MS - 60_000).length;
      }
      if (rows.length < pageSize) break;
    }
    if (lost > 0) this.logger.warn({ count: lost }, 'reminder jobs were missing from the queue; re-enqueued');
    return enqueued;
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
