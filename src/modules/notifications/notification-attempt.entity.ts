import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One try on one channel; a notification may be tried on the socket, then by SMS. */
@Entity('notification_attempts')
export class NotificationAttemptEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  notificationId: string;

  @Column('text')
  channel: string;

  @Column('text')
  state: 'sent' | 'failed';

  @Column('text', { nullable: true })
  error: string | null;

  @Column('timestamptz', { default: () => 'now()' })
  attemptedAt: Date;
}
