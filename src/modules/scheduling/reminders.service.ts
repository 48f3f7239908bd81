import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../../common/actor';
import { Clock } from '../../common/clock';
import { AppConfig } from '../../config/app-config';
import { notFound } from '../../common/errors';
import { preparedQuery, updateReturning } from '../../database/sql';
import { JobName } from '../../infra/queue/job-catalogue';
import { JobRequest, Jobs } from '../../infra/queue/jobs';
import { Transactions } from '../../database/transaction';
import { AccessService } from '../access/access.service';
import { NotificationChannel } from '../notifications/notification.entity';
import { NotificationsService, NotifyInput } from '../notifications/notifications.service';
import { DEFAULT_REMINDER_OFFSETS, Recipient, recipientJson, RecipientRow, toRecipient } from '../notifications/recipients';
import { NotificationKind, resolveLocale } from '../notifications/templates';
import { ReminderState } from './reminder.entity';
import { formatLead, formatStart } from './reminder-text';

/**
 * Only reminders due this soon get their wake-up jobs when they are planned; the reconciler adds
 * each later instant as it comes within RECONCILE_AHEAD_MS, so Redis holds about a day of wake-ups.
 */
export const ENQUEUE_AHEAD_MS = 24 * 3600_000;
/** How far ahead the reconciler (every minute) makes sure each instant with scheduled reminders has its wake-ups. */
const RECONCILE_AHEAD_MS = 25 * 3600_000;
/** Instants the reconciler checks against Redis per query. */
const RECONCILE_PAGE = 1000;

/** Reminders this close to the call (and the "starting now" nudge) pass through quiet hours. */
const URGENT_WITHIN_MINUTES = 60;

/**
 * The wake-up job of an instant, one per lane (1..lanes); BullMQ ids may not contain ':'. Every
 * reminder due at the instant shares these ids, so planning thousands of calls that start together
 * adds a handful of jobs, not one per reminder.
 */
export const reminderWakeJobId = (dueAt: Date, lane: number) => `rem-at-${dueAt.getTime()}-${lane}`;

export interface ReminderView {
  id: string;
  userId: string;
  offsetMinutes: number;
  dueAt: string;
  state: ReminderState;
  sentAt: string | null;
}

/**
 * The compare-and-set of a batch: locks the scheduled reminders that `claim` selects, sends those
 * whose call is unchanged and has not begun at $1 (the nudge: not ended), each linked to a new
 * notification id, skips the rest, and returns what their notifications need.
 */
const sendStatement = (claim: string) => `
  WITH locked AS (${claim}
  ), checked AS (
    SELECT r.id, r.user_id, r.offset_minutes, o.starts_at, o.child_id, o.parent_id,
           o.state = 'scheduled' AND o.version = r.occurrence_version
             AND $1::timestamptz < CASE WHEN r.offset_minutes = 0 THEN o.ends_at ELSE o.starts_at END AS still_due
      FROM locked JOIN reminders r ON r.id = locked.id JOIN call_occurrences o ON o.id = r.occurrence_id
  )
  UPDATE reminders r
     SET state = CASE WHEN c.still_due THEN 'sent' ELSE 'skipped' END,
         sent_at = CASE WHEN c.still_due THEN $1::timestamptz END,
         notification_id = CASE WHEN c.still_due THEN gen_random_uuid() END
    FROM checked c JOIN users child ON child.id = c.child_id JOIN users parent ON parent.id = c.parent_id
         JOIN users u ON u.id = c.user_id LEFT JOIN notification_preferences p ON p.user_id = u.id
   WHERE r.id = c.id AND r.state = 'scheduled'
  RETURNING r.id, c.offset_minutes, r.state, r.notification_id, c.starts_at, child.display_name AS child_name,
            parent.display_name AS parent_name, ${recipientJson('u', 'p')} AS recipient`;

/**
 * The oldest $3 reminders due by $2 that no other batch holds (SKIP LOCKED: the lanes of a burst
 * take turns on nothing and never wait for each other), except $4, the ones that failed alone.
 */
const SEND_DUE = sendStatement(`
    SELECT id FROM reminders WHERE state = 'scheduled' AND due_at <= $2 AND id <> ALL($4::uuid[])
     ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED`);
/** Reminder $2 alone, once whoever holds it lets go. */
const SEND_ONE = sendStatement(`SELECT id FROM reminders WHERE id = $2 AND state = 'scheduled' FOR UPDATE`);

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

/** What one run of `sendDue` did. */
export interface DueOutcome {
  sent: number;
  /** The call changed, was cancelled or has begun: nothing stale is sent. */
  skipped: number;
  /** Could not be sent even alone, on the job's last attempt. */
  failed: number;
}

/**
 * Reminder intent lives in PostgreSQL (guarantee 4): one row per (occurrence, adult, offset, version).
 * Redis holds wake-ups, not reminders: a delayed BullMQ job per instant and lane (through the outbox,
 * at planning for the next day, by the reconciler for later ones) that sends every reminder due by
 * its instant, in batches whose compare-and-set of each row's state makes "once" hold whatever BullMQ
 * redelivers and however many wake-ups run at once.
 */
@Injectable()
export class RemindersService {
  private readonly logger = new Logger(RemindersService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly notifications: NotificationsService,
    private readonly jobs: Jobs,
    private readonly access: AccessService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * Creates the reminders of scheduled occurrences for their parent and every guardian, at each
   * adult's offsets plus the "starting now" nudge, and enqueues the wake-ups of the instants due
   * within a day (each instant's lanes once, however many reminders share it), in the caller's
   * transaction. One statement plans a horizon of thousands of calls; a second enqueues its few
   * instants. A reminder whose moment has already passed is recorded as skipped: it is never sent late.
   */
  async planFor(em: EntityManager, occurrenceIds: string[]): Promise<void> {
    if (occurrenceIds.length === 0) return;
    const now = this.clock.now();
    const instants: { due_at: Date }[] = await em.query(
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
         RETURNING due_at, state
       )
       SELECT DISTINCT due_at FROM inserted WHERE state = 'scheduled' AND due_at < $4`,
      [occurrenceIds, now, [...DEFAULT_REMINDER_OFFSETS], new Date(now.getTime() + ENQUEUE_AHEAD_MS)],
    );
    await this.jobs.enqueueMany(em, this.wakeUps(instants.map((i) => i.due_at)));
  }

  /** The wake-up jobs of these instants, one per lane each. */
  private wakeUps(dueAts: Date[]): JobRequest<JobName.SendDueReminders>[] {
    const { lanes } = this.config.reminderSending;
    return dueAts.flatMap((dueAt) =>
      Array.from({ length: lanes }, (_, i) => ({
        job: JobName.SendDueReminders,
        payload: { dueAt: dueAt.toISOString() },
        jobId: reminderWakeJobId(dueAt, i + 1),
        runAt: dueAt,
      })),
    );
  }

  /** The occurrences changed or left 'scheduled': their pending reminders will send nothing. */
  async supersede(em: EntityManager, occurrenceIds: string[]): Promise<void> {
    if (occurrenceIds.length === 0) return;
    await em.query(`UPDATE reminders SET state = 'skipped' WHERE occurrence_id = ANY($1::uuid[]) AND state = 'scheduled'`, [occurrenceIds]);
  }

  /**
   * The wake-up job: sends every scheduled reminder due by `dueAt`, oldest first, in batches of one
   * transaction each (locked compare-and-set, notifications stored as sent on the socket, events
   * published after the commit), until none is left that another batch does not hold. Each
   * reminder whose call is unchanged and has not begun (the nudge: not ended) is sent; the rest are
   * skipped, so a retry, a second worker or a worker killed mid-job never sends twice or loses one.
   * Should a batch fail, its reminders are tried one by one, so one bad row holds back only itself:
   * it stays scheduled and the job fails so the queue retries it, and on the last attempt it is marked failed.
   */
  async sendDue(dueAt: Date, attempt: { final: boolean } = { final: true }): Promise<DueOutcome> {
    const outcome: DueOutcome = { sent: 0, skipped: 0, failed: 0 };
    const stuck: string[] = [];
    const count = (rows: DueReminder[]) => {
      for (const row of rows) outcome[row.state === ReminderState.Sent ? 'sent' : 'skipped']++;
    };
    const { batch } = this.config.reminderSending;
    for (;;) {
      let rows: DueReminder[];
      try {
        rows = await this.commitBatch('reminders-send-due', SEND_DUE, [dueAt, batch, stuck]);
      } catch (error) {
        this.logger.warn({ dueAt: dueAt.toISOString(), err: (error as Error).message }, 'reminder batch failed; sending one by one');
        const candidates: { id: string }[] = await this.dataSource.query(
          `SELECT id FROM reminders WHERE state = 'scheduled' AND due_at <= $1 AND id <> ALL($3::uuid[]) ORDER BY due_at LIMIT $2`,
          [dueAt, batch, stuck],
        );
        if (candidates.length === 0) throw error;
        for (const { id } of candidates) {
          try {
            count(await this.commitBatch('reminders-send-one', SEND_ONE, [id]));
          } catch (alone) {
            this.logger.error({ reminderId: id, err: (alone as Error).message }, 'reminder could not be sent');
            stuck.push(id);
          }
        }
        continue;
      }
      if (rows.length === 0) break;
      count(rows);
    }
    if (stuck.length > 0) {
      if (!attempt.final) throw new Error(`${stuck.length} reminder(s) due by ${dueAt.toISOString()} could not be sent; the job will retry`);
      const failed = await updateReturning(this.dataSource.manager, `UPDATE reminders SET state = 'failed' WHERE id = ANY($1::uuid[]) AND state = 'scheduled' RETURNING id`, [
        stuck,
      ]);
      outcome.failed = failed.length;
    }
    return outcome;
  }

  /** One batch: the statement decides and links each claimed reminder; its notifications are stored, then published after the commit. */
  private async commitBatch(name: string, statement: string, values: unknown[]): Promise<DueReminder[]> {
    const { rows, dispatched } = await this.transactions.run(async (em) => {
      const rows = await preparedQuery<DueReminder>(em, name, statement, [this.clock.now(), ...values]);
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
    return rows;
  }

  /**
   * Makes sure every instant with scheduled reminders in the next 25 hours has a wake-up waiting:
   * those coming within reach (planning enqueues only the next 24 hours) and those whose wake-ups
   * Redis lost (a flush, a failover) get theirs through the outbox. An instant already past with
   * reminders left and no wake-up waiting (lost, or finished while another transaction held one of
   * them) is sent now, here: what is still before its call goes out, the rest is skipped. Returns
   * how many reminders had no wake-up waiting.
   */
  async reconcile(jobsPending: (jobIds: string[]) => Promise<boolean[]>, pageSize = RECONCILE_PAGE): Promise<number> {
    const now = this.clock.now();
    const { lanes } = this.config.reminderSending;
    const remindersOf = (instants: { reminders: number }[]) => instants.reduce((sum, i) => sum + i.reminders, 0);
    let found = 0;
    let lost = 0;
    let overdue = false;
    // every page, not the first: the reconciler is what enqueues reminders more than a day ahead
    for (let after: Date | undefined; ; ) {
      const instants: { due_at: Date; reminders: number }[] = await this.dataSource.query(
        `SELECT due_at, count(*)::int AS reminders FROM reminders
          WHERE state = 'scheduled' AND due_at < $1 AND ($2::timestamptz IS NULL OR due_at > $2)
          GROUP BY due_at ORDER BY due_at LIMIT $3`,
        [new Date(now.getTime() + RECONCILE_AHEAD_MS), after ?? null, pageSize],
      );
      if (instants.length === 0) break;
      after = instants[instants.length - 1].due_at;
      const pending = await jobsPending(this.wakeUps(instants.map((i) => i.due_at)).map((w) => w.jobId!));
      const missing = instants.filter((_, i) => !pending.slice(i * lanes, (i + 1) * lanes).some(Boolean));
      overdue ||= missing.some((i) => i.due_at <= now);
      await this.jobs.enqueueMany(this.dataSource.manager, this.wakeUps(missing.filter((i) => i.due_at > now).map((i) => i.due_at)));
      found += remindersOf(missing);
      // within the first 24 hours every instant had its wake-ups already: those were lost
      lost += remindersOf(missing.filter((i) => i.due_at.getTime() < now.getTime() + ENQUEUE_AHEAD_MS - 60_000));
      if (instants.length < pageSize) break;
    }
    if (lost > 0) this.logger.warn({ count: lost }, 'reminders had no wake-up waiting in the queue; re-enqueued or sent now');
    // this run is their last chance, so one that fails alone is marked failed
    if (overdue) await this.sendDue(now, { final: true });
    return found;
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
