import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import { AppConfig } from '../../config/app-config';
import { updateReturning } from '../../database/sql';
import { Transactions } from '../../database/transaction';
import { JobName } from '../../infra/queue/job-catalogue';
import { JobRequest, Jobs } from '../../infra/queue/jobs';
import { Presence } from '../../infra/realtime/presence';
import { RealtimePublisher } from '../../infra/realtime/realtime.publisher';
import { SmsGateway } from '../../infra/sms/sms.gateway';
import { NotificationChannel, NotificationEntity, NotificationState } from './notification.entity';
import { AttemptState } from './notifications.dto';
import { quietHoursEnd } from './quiet-hours';
import { findRecipient, Recipient } from './recipients';
import { SecretSealer, SecretValues } from './sealed';
import { render, RenderedNotification } from './templates';

export enum DeliveryOutcome {
  Sent = 'sent',
  /** Nothing to do: the notification is gone, already handled, received, or another worker won. */
  Skipped = 'skipped',
  /** Given up for good: retrying could not help, or this was the last attempt. */
  Failed = 'failed',
  /** Not yet: it was moved to a later time (quiet hours). */
  Postponed = 'postponed',
}

export interface DeliveryAttempt {
  /** The queue will not try again after this one. */
  final: boolean;
}

/** The socket event a connected client receives; it answers with `notification:received {id}`. */
export interface NotificationEvent {
  id: string;
  kind: string;
  title: string;
  body: string;
  createdAt: string;
}

export const NOTIFICATION_EVENT = 'notification';

export const deliveryJobId = (notificationId: string) => `notif-${notificationId}`;
export const fallbackJobId = (notificationId: string) => `notif-fb-${notificationId}`;
/** A job moved to a later time needs an id of its own: the one it had is still in use by the running job. */
const postponedJobId = (base: string, until: Date) => `${base}-at-${until.getTime()}`;

/** A channel refused a message; the queue retries it with backoff. */
export class DeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Runs of digits long enough to be a phone number, in whatever format an error message echoes. */
const PHONE_LIKE = /\+?\d[\d\s().-]{6,}\d/g;
/** Queue delays and clocks of different processes never agree to the millisecond. */
const EARLY_TOLERANCE_MS = 1000;
/** A delivery waiting on another one's SMS gives up (and retries later) rather than hold a connection for long. */
const LOCK_TIMEOUT = '10s';

/**
 * Error text safe to store and log: anything sensitive we know of (the number, the text, the codes)
 * and anything that looks like a phone number is removed, whatever the adapter put in its message.
 */
export function describeError(error: unknown, sensitive: string[]): string {
  let text = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
  for (const value of sensitive) if (value.length >= 3) text = text.split(value).join('[redacted]');
  return text.replace(PHONE_LIKE, '[number]').slice(0, 300);
}

interface Composed {
  message: RenderedNotification;
  secrets: SecretValues;
}

/** How a socket notification reaches this recipient now. */
export enum Route {
  /** Socket now, SMS after the window unless the app confirms receipt. */
  SocketThenSms = 'socket-then-sms',
  SocketOnly = 'socket-only',
  SmsNow = 'sms-now',
}

/**
 * Picks the route of a socket notification from the recipient's preferences and presence. Pure.
 * SMS needs both the preference and a number; a recipient who allows neither channel that can reach
 * them still gets the socket event (and the notification list), never nothing.
 */
export function routeOf(prefs: Pick<Recipient, 'channels'>, smsNumber: string | null, online: boolean): Route {
  const sms = prefs.channels.includes(NotificationChannel.Sms) && !!smsNumber;
  const socket = prefs.channels.includes(NotificationChannel.Socket);
  if (!sms) return Route.SocketOnly;
  if (!socket || !online) return Route.SmsNow;
  return Route.SocketThenSms;
}

/** What a transaction decided, and the error to throw once it has committed (so the queue retries). */
type Settled = { outcome: DeliveryOutcome; error?: Error };

/**
 * Delivers stored notifications. "Once" is decided in PostgreSQL, never by the job id (BullMQ delivers
 * at least once): the first delivery by a compare-and-set of `state` (pending → sent | failed), and
 * every SMS under a lock on the notification's row, checked against its attempts, so racing workers
 * take turns and the second sees what the first did.
 */
@Injectable()
export class NotificationDispatcher {
  private readonly logger = new Logger(NotificationDispatcher.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly jobs: Jobs,
    private readonly sealer: SecretSealer,
    private readonly sms: SmsGateway,
    private readonly realtime: RealtimePublisher,
    private readonly presence: Presence,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** The delivery job: the first attempt, on the channel the notification, the preferences and presence call for. */
  async deliver(notificationId: string, attempt: DeliveryAttempt): Promise<DeliveryOutcome> {
    // a malformed id would fail the query on every retry; it can only come from a broken producer
    if (!UUID.test(notificationId)) {
      this.logger.warn({ notificationId }, 'delivery job with a malformed notification id dropped');
      return DeliveryOutcome.Skipped;
    }
    const notification = await this.load(this.dataSource.manager, notificationId);
    if (!notification || notification.state !== NotificationState.Pending) return DeliveryOutcome.Skipped;
    if (notification.notBefore && notification.notBefore.getTime() - this.clock.now().getTime() > EARLY_TOLERANCE_MS) {
      return this.postpone(JobName.DeliverNotification, postponedJobId(deliveryJobId(notification.id), notification.notBefore), notification.id, notification.notBefore);
    }

    let composed: Composed;
    try {
      composed = this.compose(notification);
    } catch (error) {
      // a template that does not fit its params, or a seal that does not open, stays broken on retry
      return this.giveUp(notification, describeError(error, []));
    }

    switch (notification.channel) {
      case NotificationChannel.Sms: {
        const phone = notification.phone ?? (notification.userId ? (await findRecipient(this.dataSource.manager, notification.userId))?.phone : null);
        if (!phone) return this.giveUp(notification, 'the recipient has no phone number');
        return this.sendFirstSms(notification, composed, phone, attempt);
      }
      case NotificationChannel.Socket: {
        const recipient = await findRecipient(this.dataSource.manager, notification.userId!);
        if (!recipient) return this.giveUp(notification, 'the recipient no longer exists');
        const phone = notification.phone ?? recipient.phone;
        const [route] = await this.routesOf([{ recipient, phone }]);
        if (route === Route.SmsNow) return this.sendFirstSms(notification, composed, phone!, attempt);
        return this.sendSocket(notification, composed.message, route === Route.SocketThenSms);
      }
      default:
        return this.giveUp(notification, `unknown channel ${String(notification.channel)}`);
    }
  }

  /**
   * The fallback job, a window after the socket event: SMS the same text unless the app confirmed
   * receipt by now, the preferences changed to exclude SMS, or an SMS already went.
   */
  async fallback(notificationId: string, attempt: DeliveryAttempt): Promise<DeliveryOutcome> {
    if (!UUID.test(notificationId)) {
      this.logger.warn({ notificationId }, 'fallback job with a malformed notification id dropped');
      return DeliveryOutcome.Skipped;
    }
    const { outcome, error } = await this.transactions.run(async (em): Promise<Settled> => {
      const notification = await this.lock(em, notificationId);
      if (!notification || notification.state !== NotificationState.Sent || !notification.userId) return { outcome: DeliveryOutcome.Skipped };
      if (notification.deliveredAt || (await this.smsWentOut(em, notification.id))) return this.done(em, notification, DeliveryOutcome.Skipped);

      const recipient = await findRecipient(em, notification.userId);
      const phone = recipient && recipient.channels.includes(NotificationChannel.Sms) ? (notification.phone ?? recipient.phone) : null;
      if (!recipient || !phone) return this.done(em, notification, DeliveryOutcome.Skipped);
      // quiet hours may have begun during the window: the SMS waits for them like any other
      const quietUntil = notification.urgent ? null : quietHoursEnd(this.clock.now(), recipient.quietHours, recipient.timeZone);
      if (quietUntil) {
        await this.jobs.enqueue(em, JobName.NotificationFallback, { notificationId }, { jobId: postponedJobId(fallbackJobId(notificationId), quietUntil), runAt: quietUntil });
        return { outcome: DeliveryOutcome.Postponed };
      }

      let composed: Composed;
      try {
        composed = this.compose(notification);
      } catch (err) {
        await this.recordAttempt(em, notification.id, NotificationChannel.Sms, AttemptState.Failed, describeError(err, []));
        return this.done(em, notification, DeliveryOutcome.Failed);
      }
      const sent = await this.smsUnderLock(em, notification, composed, phone, attempt);
      if (sent.outcome === DeliveryOutcome.Sent || attempt.final) await this.wipeSecrets(em, notification.id);
      return sent;
    });
    if (error) throw error;
    return outcome;
  }

  /**
   * The route of each socket notification, now. Presence costs a Redis round trip, so it is asked
   * (in one pipeline for the lot) only of recipients for whom the answer changes the route.
   */
  async routesOf(targets: { recipient: Recipient; phone: string | null }[]): Promise<Route[]> {
    const undecided = targets.filter((t) => routeOf(t.recipient, t.phone, true) === Route.SocketThenSms).map((t) => t.recipient.id);
    const online = undecided.length ? await this.presence.onlineAmong(undecided) : new Set<string>();
    return targets.map((t) => routeOf(t.recipient, t.phone, online.has(t.recipient.id)));
  }

  /** The socket event of a notification that was just marked sent. */
  socketEvent(notification: Pick<NotificationEntity, 'id' | 'kind' | 'createdAt'>, message: RenderedNotification): NotificationEvent {
    return { id: notification.id, kind: notification.kind, title: message.title, body: message.body, createdAt: notification.createdAt.toISOString() };
  }

  /** The SMS that follows a socket notification the app does not confirm within the window. */
  fallbackJob(notificationId: string, sentAt: Date): JobRequest<JobName.NotificationFallback> {
    const runAt = new Date(sentAt.getTime() + this.config.smsFallbackSeconds * 1000);
    return { job: JobName.NotificationFallback, payload: { notificationId }, jobId: fallbackJobId(notificationId), runAt };
  }

  /** Publishes events of notifications already marked sent (after their transaction committed). */
  publish(events: { userId: string; event: NotificationEvent }[]): void {
    for (const { userId, event } of events) this.realtime.toUser(userId, NOTIFICATION_EVENT, event);
  }

  private async load(em: EntityManager, notificationId: string, lock = false): Promise<NotificationEntity | null> {
    const query = em.createQueryBuilder(NotificationEntity, 'n').addSelect('n.sealed').where('n.id = :id', { id: notificationId });
    if (lock) query.setLock('pessimistic_write');
    return query.getOne();
  }

  /** Locks the notification's row for the transaction: racing deliveries of it take turns here. */
  private async lock(em: EntityManager, notificationId: string): Promise<NotificationEntity | null> {
    await em.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    return this.load(em, notificationId, true);
  }

  private compose(notification: NotificationEntity): Composed {
    const secrets = notification.sealed ? this.sealer.unseal(notification.sealed, notification.id) : {};
    return { message: render(notification.kind, notification.locale, { ...notification.params, ...secrets }), secrets };
  }

  /** Puts a job back on the queue for later, through the outbox like any other. */
  private async postpone(job: JobName.DeliverNotification, jobId: string, notificationId: string, until: Date): Promise<DeliveryOutcome> {
    await this.transactions.run((em) => this.jobs.enqueue(em, job, { notificationId }, { jobId, runAt: until }));
    this.logger.log({ notificationId, until: until.toISOString() }, 'delivery ran early; postponed');
    return DeliveryOutcome.Postponed;
  }

  /**
   * The first delivery of a notification by SMS (an SMS-channel one, or a socket one to someone
   * offline or SMS-only), under the row lock; it moves the row out of 'pending'.
   */
  private async sendFirstSms(notification: NotificationEntity, composed: Composed, phone: string, attempt: DeliveryAttempt): Promise<DeliveryOutcome> {
    const { outcome, error } = await this.transactions.run(async (em): Promise<Settled> => {
      const current = await this.lock(em, notification.id);
      if (!current || current.state !== NotificationState.Pending) return { outcome: DeliveryOutcome.Skipped };
      const sent = await this.smsUnderLock(em, notification, composed, phone, attempt);
      if (sent.outcome === DeliveryOutcome.Sent) await this.markSent(em, notification.id, { keepSecrets: false });
      else await this.recordFailure(em, notification.id, attempt.final);
      return sent;
    });
    if (error) throw error;
    return outcome;
  }

  /**
   * Sends one SMS while the caller holds the row lock, and records the attempt. Sending before the
   * commit means a crash in between re-sends with the same reference, which the gateway de-duplicates;
   * the other order could lose the message. A refusal is recorded and handed back to throw after the
   * commit, so the queue retries with backoff.
   */
  private async smsUnderLock(em: EntityManager, notification: NotificationEntity, { message, secrets }: Composed, phone: string, attempt: DeliveryAttempt): Promise<Settled> {
    try {
      await this.sms.send({ to: phone, text: message.body, reference: notification.id });
    } catch (err) {
      const reason = describeError(err, [phone, message.body, ...Object.values(secrets)]);
      await this.recordAttempt(em, notification.id, NotificationChannel.Sms, AttemptState.Failed, reason);
      await em.query(`UPDATE notifications SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, [notification.id, reason]);
      this.logger.warn(
        { notificationId: notification.id, kind: notification.kind, channel: NotificationChannel.Sms, final: attempt.final, err: reason },
        attempt.final ? 'SMS not accepted; giving up' : 'SMS not accepted; will retry',
      );
      return { outcome: DeliveryOutcome.Failed, error: new DeliveryError(`notification ${notification.id}: SMS not accepted (${reason})`) };
    }
    await this.recordAttempt(em, notification.id, NotificationChannel.Sms, AttemptState.Sent, null);
    await em.query(`UPDATE notifications SET attempts = attempts + 1 WHERE id = $1`, [notification.id]);
    this.logger.log({ notificationId: notification.id, kind: notification.kind, channel: NotificationChannel.Sms }, 'notification sent');
    return { outcome: DeliveryOutcome.Sent };
  }

  /**
   * Mark sent first, then publish: the socket is best effort anyway (the client also reads the list),
   * so a retry must not show the same notification twice. The fallback is enqueued in the same
   * transaction, so a socket notification that may need an SMS always has its job.
   */
  private async sendSocket(notification: NotificationEntity, message: RenderedNotification, withFallback: boolean): Promise<DeliveryOutcome> {
    const now = this.clock.now();
    const won = await this.transactions.run(async (em) => {
      // the fallback SMS may need the sealed params: they are wiped when it is done
      if (!(await this.markSent(em, notification.id, { keepSecrets: withFallback }))) return false;
      await this.recordAttempt(em, notification.id, NotificationChannel.Socket, AttemptState.Sent, null);
      if (withFallback) await this.jobs.enqueueMany(em, [this.fallbackJob(notification.id, now)]);
      return true;
    });
    if (!won) return DeliveryOutcome.Skipped;
    this.publish([{ userId: notification.userId!, event: this.socketEvent(notification, message) }]);
    this.logger.log({ notificationId: notification.id, kind: notification.kind, channel: NotificationChannel.Socket, fallback: withFallback }, 'notification sent');
    return DeliveryOutcome.Sent;
  }

  /** The exactly-once guard of the first delivery: only the attempt that moves the row out of 'pending' counts. */
  private async markSent(em: EntityManager, notificationId: string, { keepSecrets }: { keepSecrets: boolean }): Promise<boolean> {
    const won = await updateReturning(
      em,
      `UPDATE notifications SET state = 'sent', sent_at = $2, sealed = CASE WHEN $3::boolean THEN sealed ELSE NULL END
        WHERE id = $1 AND state = 'pending' RETURNING id`,
      [notificationId, this.clock.now(), keepSecrets],
    );
    return won.length > 0;
  }

  private async smsWentOut(em: EntityManager, notificationId: string): Promise<boolean> {
    const rows = await em.query(`SELECT 1 FROM notification_attempts WHERE notification_id = $1 AND channel = 'sms' AND state = 'sent' LIMIT 1`, [notificationId]);
    return rows.length > 0;
  }

  private async recordAttempt(em: EntityManager, notificationId: string, channel: NotificationChannel, state: AttemptState, error: string | null): Promise<void> {
    await em.query(`INSERT INTO notification_attempts (notification_id, channel, state, error, attempted_at) VALUES ($1, $2, $3, $4, $5)`, [
      notificationId,
      channel,
      state,
      error,
      this.clock.now(),
    ]);
  }

  /** Nothing more will be sent for this notification: its secrets have no further use. */
  private async done(em: EntityManager, notification: NotificationEntity, outcome: DeliveryOutcome): Promise<Settled> {
    if (notification.sealed) await this.wipeSecrets(em, notification.id);
    return { outcome };
  }

  private async wipeSecrets(em: EntityManager, notificationId: string): Promise<void> {
    await em.query(`UPDATE notifications SET sealed = NULL WHERE id = $1 AND sealed IS NOT NULL`, [notificationId]);
  }

  /** On the last attempt the row fails for good and its secrets are wiped. */
  private async recordFailure(em: EntityManager, notificationId: string, final: boolean): Promise<void> {
    if (!final) return;
    await em.query(`UPDATE notifications SET state = 'failed', sealed = NULL WHERE id = $1 AND state = 'pending'`, [notificationId]);
  }

  private async giveUp(notification: NotificationEntity, reason: string): Promise<DeliveryOutcome> {
    await this.dataSource.query(
      `UPDATE notifications SET attempts = attempts + 1, last_error = $2, state = 'failed', sealed = NULL WHERE id = $1 AND state = 'pending'`,
      [notification.id, reason],
    );
    this.logger.warn({ notificationId: notification.id, kind: notification.kind, channel: notification.channel, err: reason }, 'notification failed');
    return DeliveryOutcome.Failed;
  }
}
