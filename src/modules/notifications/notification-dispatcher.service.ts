import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Clock } from '../../common/clock';
import { updateReturning } from '../../database/sql';
import { RealtimePublisher } from '../../infra/realtime/realtime.publisher';
import { SmsGateway } from '../../infra/sms/sms.gateway';
import { NotificationChannel, NotificationEntity, NotificationState } from './notification.entity';
import { findRecipient } from './recipients';
import { SecretSealer, SecretValues } from './sealed';
import { render, RenderedNotification } from './templates';

export enum DeliveryOutcome {
  Sent = 'sent',
  /** Nothing to do: the notification is gone, already sent, already failed, or another worker won. */
  Skipped = 'skipped',
  /** Given up for good: retrying could not help, or this was the last attempt. */
  Failed = 'failed',
}

export interface DeliveryAttempt {
  /** The queue will not try again after this one. */
  final: boolean;
}

/** The socket event a connected client receives. */
export interface NotificationEvent {
  id: string;
  kind: string;
  title: string;
  body: string;
  createdAt: string;
}

export const NOTIFICATION_EVENT = 'notification';

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

/**
 * Sends one stored notification on its channel, at most once. "Once" is decided in PostgreSQL by a
 * compare-and-set of the row's state, never by the job id: BullMQ delivers at least once.
 */
@Injectable()
export class NotificationDispatcher {
  private readonly logger = new Logger(NotificationDispatcher.name);

  constructor(
    @InjectRepository(NotificationEntity) private readonly notifications: Repository<NotificationEntity>,
    private readonly sealer: SecretSealer,
    private readonly sms: SmsGateway,
    private readonly realtime: RealtimePublisher,
    private readonly clock: Clock,
  ) {}

  async deliver(notificationId: string, attempt: DeliveryAttempt): Promise<DeliveryOutcome> {
    // a malformed id would fail the query on every retry; it can only come from a broken producer
    if (!UUID.test(notificationId)) {
      this.logger.warn({ notificationId }, 'delivery job with a malformed notification id dropped');
      return DeliveryOutcome.Skipped;
    }
    const notification = await this.notifications
      .createQueryBuilder('n')
      .addSelect('n.sealed')
      .where('n.id = :id', { id: notificationId })
      .getOne();
    if (!notification || notification.state !== NotificationState.Pending) return DeliveryOutcome.Skipped;

    let composed: Composed;
    try {
      composed = this.compose(notification);
    } catch (error) {
      // a template that does not fit its params, or a seal that does not open, stays broken on retry
      return this.giveUp(notification, describeError(error, []));
    }

    switch (notification.channel) {
      case NotificationChannel.Sms:
        return this.sendSms(notification, composed, attempt);
      case NotificationChannel.Socket:
        return this.sendSocket(notification, composed.message);
      default:
        return this.giveUp(notification, `unknown channel ${String(notification.channel)}`);
    }
  }

  private compose(notification: NotificationEntity): Composed {
    const secrets = notification.sealed ? this.sealer.unseal(notification.sealed, notification.id) : {};
    return { message: render(notification.kind, notification.locale, { ...notification.params, ...secrets }), secrets };
  }

  /**
   * Send first, then mark sent: a crash in between re-sends with the same reference, which the
   * gateway de-duplicates; the other order could lose the message.
   */
  private async sendSms(notification: NotificationEntity, { message, secrets }: Composed, attempt: DeliveryAttempt): Promise<DeliveryOutcome> {
    const phone = notification.phone ?? (notification.userId ? (await findRecipient(this.notifications.manager, notification.userId))?.phone : null);
    if (!phone) return this.giveUp(notification, 'the recipient has no phone number');

    try {
      await this.sms.send({ to: phone, text: message.body, reference: notification.id });
    } catch (error) {
      const reason = describeError(error, [phone, message.body, ...Object.values(secrets)]);
      await this.recordFailure(notification.id, reason, attempt.final);
      this.logger.warn(
        { notificationId: notification.id, kind: notification.kind, channel: notification.channel, final: attempt.final, err: reason },
        attempt.final ? 'SMS not accepted; giving up' : 'SMS not accepted; will retry',
      );
      throw new DeliveryError(`notification ${notification.id}: SMS not accepted (${reason})`);
    }
    return this.markSent(notification);
  }

  /**
   * Mark sent first, then publish: the socket is best effort anyway (the client also reads the
   * list), so a retry must not show the same notification twice.
   */
  private async sendSocket(notification: NotificationEntity, message: RenderedNotification): Promise<DeliveryOutcome> {
    const outcome = await this.markSent(notification);
    if (outcome !== DeliveryOutcome.Sent) return outcome;
    const event: NotificationEvent = {
      id: notification.id,
      kind: notification.kind,
      title: message.title,
      body: message.body,
      createdAt: notification.createdAt.toISOString(),
    };
    this.realtime.toUser(notification.userId!, NOTIFICATION_EVENT, event);
    return DeliveryOutcome.Sent;
  }

  /** The exactly-once guard: only the attempt that moves the row out of 'pending' counts. */
  private async markSent(notification: NotificationEntity): Promise<DeliveryOutcome> {
    const won = await updateReturning(
      this.notifications.manager,
      `UPDATE notifications SET state = 'sent', sent_at = $2, sealed = NULL, attempts = attempts + 1
        WHERE id = $1 AND state = 'pending' RETURNING id`,
      [notification.id, this.clock.now()],
    );
    if (won.length === 0) return DeliveryOutcome.Skipped;
    this.logger.log({ notificationId: notification.id, kind: notification.kind, channel: notification.channel }, 'notification sent');
    return DeliveryOutcome.Sent;
  }

  /** Counts a failed attempt; on the last one the row fails for good and its secrets are wiped. */
  private async recordFailure(notificationId: string, reason: string, final: boolean): Promise<void> {
    await this.notifications.query(
      `UPDATE notifications
          SET attempts = attempts + 1,
              last_error = $2,
              state = CASE WHEN $3::boolean THEN 'failed' ELSE state END,
              sealed = CASE WHEN $3::boolean THEN NULL ELSE sealed END
        WHERE id = $1 AND state = 'pending'`,
      [notificationId, reason, final],
    );
  }

  private async giveUp(notification: NotificationEntity, reason: string): Promise<DeliveryOutcome> {
    await this.recordFailure(notification.id, reason, true);
    this.logger.warn({ notificationId: notification.id, kind: notification.kind, channel: notification.channel, err: reason }, 'notification failed');
    return DeliveryOutcome.Failed;
  }
}
