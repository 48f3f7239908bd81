import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, Repository } from 'typeorm';
import { Actor } from '../../common/actor';
import { Clock } from '../../common/clock';
import { notFound } from '../../common/errors';
import { decodeCursor, keysetAfter, keysetOrderBy, Page, toPage } from '../../common/pagination';
import { updateReturning } from '../../database/sql';
import { JobName } from '../../infra/queue/job-catalogue';
import { Jobs } from '../../infra/queue/jobs';
import { deliveryJobId } from './notification-dispatcher.service';
import { NotificationChannel, NotificationEntity, NotificationState } from './notification.entity';
import { AttemptRow, NotificationResponse, toNotificationResponse } from './notifications.dto';
import { PreferencesService } from './preferences.service';
import { quietHoursEnd } from './quiet-hours';
import { EffectivePreferences, findRecipient } from './recipients';
import { SecretSealer } from './sealed';
import { checkParams, NotificationKind, NotificationLocale, NotificationParams, render, renderMasked, resolveLocale } from './templates';

export { deliveryJobId } from './notification-dispatcher.service';

export interface NotifyInput {
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
    private readonly clock: Clock,
  ) {}

  /**
   * Stores the notification and enqueues its delivery through the outbox, so it exists exactly when
   * the caller's change commits. Returns its id. Throws (and so rolls the caller back) when the
   * params do not fit the template: better than a notification that can never be rendered.
   * Created during the recipient's quiet hours and not urgent, it waits until they end.
   */
  async notify(em: EntityManager, input: NotifyInput): Promise<string> {
    const secretParams = input.secretParams ?? {};
    if (!input.userId && !input.phone) throw new Error(`notification ${input.kind} has no recipient`);
    if (input.channel === NotificationChannel.Socket && !input.userId) {
      throw new Error(`notification ${input.kind} on the socket needs a user`);
    }
    checkParams(input.kind, input.params, secretParams);
    const urgent = input.urgent ?? false;
    const hasCode = Object.keys(secretParams).length > 0;
    const mayWait = !urgent && !hasCode;
    // the recipient's row is needed for their locale or their quiet hours; a hot path (reminders) often needs neither
    const recipient = input.userId && (mayWait || !input.locale) ? await findRecipient(em, input.userId) : undefined;
    const resolvedLocale = resolveLocale(input.locale ?? recipient?.locale);
    render(input.kind, resolvedLocale, { ...input.params, ...secretParams });
    const notBefore = recipient && mayWait ? quietHoursEnd(this.clock.now(), recipient.quietHours, recipient.timeZone) : null;

    // the id is ours before the insert: it binds the sealed params to this row and names the job
    const id = randomUUID();
    await em.insert(NotificationEntity, {
      id,
      userId: input.userId ?? null,
      phone: input.phone ?? null,
      kind: input.kind,
      params: input.params,
      sealed: hasCode ? this.sealer.seal(secretParams, id) : null,
      locale: resolvedLocale,
      channel: input.channel,
      state: NotificationState.Pending,
      urgent,
      notBefore,
      // the app's clock, like every other instant the app decides (digests look back a week by it)
      createdAt: this.clock.now(),
    });
    await this.jobs.enqueue(em, JobName.DeliverNotification, { notificationId: id }, { jobId: deliveryJobId(id), ...(notBefore ? { runAt: notBefore } : {}) });
    return id;
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
    const q = this.notifications
      .createQueryBuilder('n')
      .where('n.user_id = :userId', { userId })
      .orderBy(keysetOrderBy('n')[0], 'DESC')
      .addOrderBy(keysetOrderBy('n')[1], 'DESC')
      .limit(limit + 1);
    if (after) {
      const { sql, params } = keysetAfter('n', after);
      q.andWhere(sql, params);
    }
    const rows = await q.getMany();
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
