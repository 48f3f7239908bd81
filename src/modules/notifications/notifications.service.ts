import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, Repository } from 'typeorm';
import { decodeCursor, Page, toPage } from '../../common/pagination';
import { JobName } from '../../infra/queue/job-catalogue';
import { Jobs } from '../../infra/queue/jobs';
import { NotificationChannel, NotificationEntity, NotificationState } from './notification.entity';
import { NotificationResponse, toNotificationResponse } from './notifications.dto';
import { findRecipient } from './recipients';
import { SecretSealer } from './sealed';
import { checkParams, NotificationKind, NotificationLocale, NotificationParams, render, renderMasked, resolveLocale } from './templates';

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
  channel: NotificationChannel;
}

export interface ListQuery {
  cursor?: string;
  limit?: number;
}

export const deliveryJobId = (notificationId: string) => `notif-${notificationId}`;

/** Records what the system tells a user and hands it to the delivery queue, in the caller's transaction. */
@Injectable()
export class NotificationsService {
  constructor(
    @InjectRepository(NotificationEntity) private readonly notifications: Repository<NotificationEntity>,
    private readonly jobs: Jobs,
    private readonly sealer: SecretSealer,
  ) {}

  /**
   * Stores the notification and enqueues its delivery through the outbox, so it exists exactly when
   * the caller's change commits. Returns its id. Throws (and so rolls the caller back) when the
   * params do not fit the template: better than a notification that can never be rendered.
   */
  async notify(em: EntityManager, input: NotifyInput): Promise<string> {
    const secretParams = input.secretParams ?? {};
    if (!input.userId && !input.phone) throw new Error(`notification ${input.kind} has no recipient`);
    if (input.channel === NotificationChannel.Socket && !input.userId) {
      throw new Error(`notification ${input.kind} on the socket needs a user`);
    }
    checkParams(input.kind, input.params, secretParams);
    const locale = input.locale ?? (input.userId ? (await findRecipient(em, input.userId))?.locale : undefined);
    const resolvedLocale = resolveLocale(locale);
    render(input.kind, resolvedLocale, { ...input.params, ...secretParams });

    // the id is ours before the insert: it binds the sealed params to this row and names the job
    const id = randomUUID();
    await em.insert(NotificationEntity, {
      id,
      userId: input.userId ?? null,
      phone: input.phone ?? null,
      kind: input.kind,
      params: input.params,
      sealed: Object.keys(secretParams).length > 0 ? this.sealer.seal(secretParams, id) : null,
      locale: resolvedLocale,
      channel: input.channel,
      state: NotificationState.Pending,
    });
    await this.jobs.enqueue(em, JobName.DeliverNotification, { notificationId: id }, { jobId: deliveryJobId(id) });
    return id;
  }

  /**
   * The user's own notifications, newest first, in the language they read now. Secret params are
   * never unsealed here: a code is shown as a mask, whether or not it was sent yet.
   */
  async listForUser(userId: string, query: ListQuery = {}): Promise<Page<NotificationResponse>> {
    const limit = query.limit ?? 50;
    const after = decodeCursor(query.cursor);
    const locale = (await findRecipient(this.notifications.manager, userId))?.locale;
    const q = this.notifications
      .createQueryBuilder('n')
      .where('n.user_id = :userId', { userId })
      .orderBy('n.created_at', 'DESC')
      .addOrderBy('n.id', 'DESC')
      .limit(limit + 1);
    if (after) q.andWhere('(n.created_at, n.id) < (:at, :after)', { at: after.createdAt, after: after.id });
    return toPage(await q.getMany(), limit, (n) => toNotificationResponse(n, renderMasked(n.kind, locale, n.params)));
  }
}
