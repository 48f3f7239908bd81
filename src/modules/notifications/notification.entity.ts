import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { NotificationKind, NotificationLocale, NotificationParams } from './templates';

export enum NotificationChannel {
  Socket = 'socket',
  Sms = 'sms',
}

export enum NotificationState {
  Pending = 'pending',
  Sent = 'sent',
  Failed = 'failed',
}

@Entity('notifications')
export class NotificationEntity {
  /** Chosen by the service before insert (the database default is the fallback): it is the sealing context and the job id. */
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Null only for a message to a phone that has no account yet (an invitation by SMS). */
  @Column('uuid', { nullable: true })
  userId: string | null;

  /** The number this message must reach (a phone being verified), when it is not the user's own. */
  @Column('text', { nullable: true })
  phone: string | null;

  @Column('text')
  kind: NotificationKind;

  /** Plain params only; anything secret lives in `sealed`. */
  @Column('jsonb', { default: {} })
  params: NotificationParams;

  /**
   * Secret params, sealed (see sealed.ts); wiped once the notification is sent or has failed. Not
   * selected unless asked for, so only delivery ever loads it.
   */
  @Column('bytea', { nullable: true, select: false })
  sealed: Buffer | null;

  @Column('text', { default: 'zh-CN' })
  locale: NotificationLocale;

  /** The channel asked for: `socket` (then SMS if not received in time, per preferences) or `sms` (straight to the phone, e.g. codes). */
  @Column('text')
  channel: NotificationChannel;

  /** pending → sent | failed, once: the first delivery, on whichever channel it went. */
  @Column('text', { default: NotificationState.Pending })
  state: NotificationState;

  @Column('integer', { default: 0 })
  attempts: number;

  /** Why the last attempt failed; never the text or the phone number. */
  @Column('text', { nullable: true })
  lastError: string | null;

  @Column('timestamptz', { nullable: true })
  sentAt: Date | null;

  /** Goes through quiet hours (a call starting now). */
  @Column('boolean', { default: false })
  urgent: boolean;

  /** Created during the recipient's quiet hours: not delivered before they end. */
  @Column('timestamptz', { nullable: true })
  notBefore: Date | null;

  /** The recipient's app confirmed receipt (socket acknowledgement or read); no SMS fallback after this. */
  @Column('timestamptz', { nullable: true })
  deliveredAt: Date | null;

  @Column('timestamptz', { nullable: true })
  readAt: Date | null;

  /** Milliseconds, as a page cursor carries them (see common/pagination.ts). */
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;
}
