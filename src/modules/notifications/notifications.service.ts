import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, Repository } from 'typeorm';
import { Actor } from '../../common/actor';
import { Clock } from '../../common/clock';
import { notFound } from '../../common/errors';
import { decodeCursor, keysetPage, Page, toPage } from '../../common/pagination';
import { preparedQuery, updateReturning } from '../../database/sql';
import { JobName } from '../../infra/queue/job-catalogue';
import { JobRequest, Jobs } from '../../infra/queue/jobs';
import { deliveryJobId, NotificationDispatcher, Route } from './notification-dispatcher.service';
import { NotificationChannel, NotificationEntity, NotificationState } from './notification.entity';
import { AttemptRow, NotificationResponse, toNotificationResponse } from './notifications.dto';
import { PreferencesService } from './preferences.service';
import { quietHoursEnd } from './quiet-hours';
import { EffectivePreferences, findRecipient, findRecipients, Recipient } from './recipients';
import { SecretSealer } from './sealed';
import { checkParams, NotificationKind, NotificationLocale, NotificationParams, render, renderMasked, resolveLocale } from './templates';

export { deliveryJobId } from './notification-dispatcher.service';

export interface NotifyInput {
  /** Chosen by the caller when it must reference the notification before it is stored; a fresh uuid otherwise. */
  id?: string;
  /** The account to notify; required for the socket channel. */
  userId?: string;
  /** Where an SMS must go when it is not the account's own number (or there is no account yet). */
  phone?: string;
  kind: NotificationKind;
  params: NotificationParams;
  /** One-time codes and links that carry them: sealed at rest, wiped once sent, masked when listed. */
  secretParams?: Record<string, string>;
  /** Defaults to the user's own locale, then zh-CN. */
  locale?: NotificationLocale;
  /**
   * `socket`: to the app now, and by SMS when the user is offline or the app does not confirm receipt
   * within the window, as their preferences allow. `sms`: straight to the phone (codes).
   */
  channel: NotificationChannel;
  /** Goes through the user's quiet hours (a call starting now). Codes always do: the user is waiting for them. */
  urgent?: boolean;
}

/** What `notifyMany` stored. */
export interface Dispatched {
  /** The notifications' ids, in the order of the inputs. */
  ids: string[];
  /** Sends the socket events of those delivered in the transaction: call it once, after the commit. */
  publish(): void;
}

export interface ListQuery {
  cursor?: string;
  limit?: number;
}

/** Records what the system tells a user and hands it to the delivery queue, in the caller's transaction. */
@Injectable()
export class NotificationsService {
  constructor(
    @InjectRepository(NotificationEntity) private readonly notifications: Repository<NotificationEntity>,
    private readonly jobs: Jobs,
    private readonly sealer: SecretSealer,
    private readonly preferences: PreferencesService,
    private readonly dispatcher: NotificationDispatcher,
    private readonly clock: Clock,
  ) {}

  /**
   * Stores the notification and enqueues its delivery through the outbox, so it exists exactly when
   * the caller's change commits. Returns its id. Throws (and so rolls the caller back) when the
   * params do not fit the template: better than a notification that can never be rendered.
   * Created during the recipient's quiet hours and not urgent, it waits until they end.
   */
  async notify(em: EntityManager, input: NotifyInput): Promise<string> {
    const { ids } = await this.notifyMany(em, [input]);
    return ids[0];
  }

  /**
   * `notify` for many at once, in a handful of statements. With `deliverNow`, a socket notification
   * whose route is the socket (the recipient allows it, is not in quiet hours, and is online or has
   * no SMS to fall back to) is delivered in the caller's transaction instead of by a job: stored as
   * sent with its attempt and its SMS fallback job, and published by `publish()` once the caller has
   * committed. Everything else (an SMS now, a notification waiting for quiet hours) takes the queue.
   */
  async notifyMany(em: EntityManager, inputs: NotifyInput[], options: { deliverNow?: boolean; recipients?: Recipient[] } = {}): Promise<Dispatched> {
    if (inputs.length === 0) return { ids: [], publish: () => undefined };
    const now = this.clock.now();
    const deliverNow = options.deliverNow ?? false;
    for (const input of inputs) {
      if (!input.userId && !input.phone) throw new Error(`notification ${input.kind} has no recipient`);
      if (input.channel === NotificationChannel.Socket && !input.userId) throw new Error(`notification ${input.kind} on the socket needs a user`);
      checkParams(input.kind, input.params, input.secretParams ?? {});
    }
    // the recipient's row is needed for their locale, their quiet hours or the route; a hot path often needs none of them
    const hasSecrets = (input: NotifyInput) => Object.keys(input.secretParams ?? {}).length > 0;
    const mayWait = (input: NotifyInput) => !input.urgent && !hasSecrets(input);
    const wanted = inputs.filter((i) => i.userId && (mayWait(i) || !i.locale || (deliverNow && i.channel === NotificationChannel.Socket)));
    // recipients the caller read already (with `recipientJson`) are not read again
    const recipients = new Map((options.recipients ?? []).map((r) => [r.id, r]));
    const missing = [...new Set(wanted.map((i) => i.userId!))].filter((id) => !recipients.has(id));
    for (const [id, recipient] of await findRecipients(em, missing)) recipients.set(id, recipient);

    const prepared = inputs.map((input) => {
      const recipient = input.userId ? recipients.get(input.userId) : undefined;
      const locale = resolveLocale(input.locale ?? recipient?.locale);
      return {
        // the id is ours before the insert: it binds the sealed params to this row and names the job
        id: input.id ?? randomUUID(),
        input,
        recipient,
        locale,
        message: render(input.kind, locale, { ...input.params, ...input.secretParams }),
        notBefore: recipient && mayWait(input) ? quietHoursEnd(now, recipient.quietHours, recipient.timeZone) : null,
      };
    });
    // delivered now: socket notifications not waiting for quiet hours whose route is the socket
    const inline = deliverNow ? prepared.filter((p) => p.input.channel === NotificationChannel.Socket && p.recipient && !p.notBefore) : [];
    const routes = await this.dispatcher.routesOf(inline.map((p) => ({ recipient: p.recipient!, phone: p.input.phone ?? p.recipient!.phone })));
    const inlineRoutes = new Map(inline.map((p, i) => [p.id, routes[i]] as const).filter(([, route]) => route !== Route.SmsNow));
    const planned = prepared.map((p) => ({ ...p, route: inlineRoutes.get(p.id) }));
    const sentNow = (p: (typeof planned)[number]) => p.route !== undefined;

    // the rows, and the socket attempt of each one delivered now, in one statement
    await preparedQuery(
      em,
      'notifications-store-many',
      `WITH stored AS (
         INSERT INTO notifications (id, user_id, phone, kind, params, sealed, locale, channel, state, urgent, not_before, sent_at, created_at)
         SELECT *, $12::timestamptz FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::bytea[], $7::text[], $8::text[],
                                                 $9::text[], $10::boolean[], $11::timestamptz[], $13::timestamptz[])
         RETURNING id, state
       )
       INSERT INTO notification_attempts (notification_id, channel, state, attempted_at)
       SELECT id, 'socket', 'sent', $12 FROM stored WHERE state = 'sent'`,
      [
        planned.map((p) => p.id),
        planned.map((p) => p.input.userId ?? null),
        planned.map((p) => p.input.phone ?? null),
        planned.map((p) => p.input.kind),
        planned.map((p) => JSON.stringify(p.input.params)),
        // sealed params outlive the first delivery only while an SMS may still follow
        planned.map((p) => (hasSecrets(p.input) && (!sentNow(p) || p.route === Route.SocketThenSms) ? this.sealer.seal(p.input.secretParams!, p.id) : null)),
        planned.map((p) => p.locale),
        planned.map((p) => p.input.channel),
        planned.map((p) => (sentNow(p) ? NotificationState.Sent : NotificationState.Pending)),
        planned.map((p) => p.input.urgent ?? false),
        planned.map((p) => p.notBefore),
        // the app's clock, like every other instant the app decides (digests look back a week by it)
        now,
        planned.map((p) => (sentNow(p) ? now : null)),
      ],
    );
    const delivered = planned.filter(sentNow);
    await this.jobs.enqueueMany(em, [
      ...planned
        .filter((p) => !sentNow(p))
        .map((p): JobRequest => ({ job: JobName.DeliverNotification, payload: { notificationId: p.id }, jobId: deliveryJobId(p.id), runAt: p.notBefore ?? undefined })),
      ...delivered.filter((p) => p.route === Route.SocketThenSms).map((p) => this.dispatcher.fallbackJob(p.id, now)),
    ]);
    const events = delivered.map((p) => ({ userId: p.input.userId!, event: this.dispatcher.socketEvent({ id: p.id, kind: p.input.kind, createdAt: now }, p.message) }));
    return { ids: planned.map((p) => p.id), publish: () => this.dispatcher.publish(events) };
  }

  /** Preferences in force for each user (defaults for those who never saved any), e.g. for planning reminders. */
  preferencesOf(userIds: string[], em?: EntityManager): Promise<Map<string, EffectivePreferences>> {
    return this.preferences.of(userIds, em);
  }

  /**
   * The user's own notifications, newest first, in the language they read now, with every channel
   * attempt. Secret params are never unsealed here: a code is shown as a mask, sent or not.
   */
  async listForUser(userId: string, query: ListQuery = {}): Promise<Page<NotificationResponse>> {
    const limit = query.limit ?? 50;
    const after = decodeCursor(query.cursor);
    const locale = (await findRecipient(this.notifications.manager, userId))?.locale;
    const rows = await keysetPage(this.notifications.createQueryBuilder('n').where('n.user_id = :userId', { userId }), 'n', after, limit).getMany();
    const attempts = await this.attemptsOf(rows.slice(0, limit).map((n) => n.id));
    return toPage(rows, limit, (n) => toNotificationResponse(n, renderMasked(n.kind, locale, n.params), attempts.get(n.id) ?? []));
  }

  /**
   * The app confirms a `notification` event reached it (socket `notification:received`): no SMS
   * fallback after this. Only the notification's own user may; anyone else learns nothing (404).
   */
  async markReceived(actor: Actor, notificationId: string): Promise<void> {
    await this.stamp(actor, notificationId, false);
  }

  /** The user opened it (`POST /v1/notifications/:id/read`): read, and so received too. */
  async markRead(actor: Actor, notificationId: string): Promise<NotificationResponse> {
    const notification = await this.stamp(actor, notificationId, true);
    const locale = (await findRecipient(this.notifications.manager, actor.userId))?.locale;
    const attempts = await this.attemptsOf([notification.id]);
    return toNotificationResponse(notification, renderMasked(notification.kind, locale, notification.params), attempts.get(notification.id) ?? []);
  }

  /**
   * Sets delivered_at (and read_at) once; the first time stands. Scoped to the actor, so another
   * user's notification is not found. A fallback SMS being sent holds the row: this waits for it.
   */
  private async stamp(actor: Actor, notificationId: string, read: boolean): Promise<NotificationEntity> {
    const now = this.clock.now();
    const [row] = await updateReturning<{ id: string }>(
      this.notifications.manager,
      `UPDATE notifications
          SET delivered_at = coalesce(delivered_at, $3),
              read_at = CASE WHEN $4::boolean THEN coalesce(read_at, $3) ELSE read_at END
        WHERE id = $1 AND user_id = $2
        RETURNING id`,
      [notificationId, actor.userId, now, read],
    );
    if (!row) throw notFound('Notification');
    return this.notifications.findOneByOrFail({ id: row.id, userId: actor.userId });
  }

  private async attemptsOf(notificationIds: string[]): Promise<Map<string, AttemptRow[]>> {
    const byNotification = new Map<string, AttemptRow[]>();
    if (notificationIds.length === 0) return byNotification;
    const rows: (AttemptRow & { notificationId: string })[] = await this.notifications.query(
      `SELECT notification_id AS "notificationId", channel, state, attempted_at AS "attemptedAt"
         FROM notification_attempts WHERE notification_id = ANY($1::uuid[]) ORDER BY attempted_at, id`,
      [notificationIds],
    );
    for (const { notificationId, ...attempt } of rows) byNotification.set(notificationId, [...(byNotification.get(notificationId) ?? []), attempt]);
    return byNotification;
  }
}
