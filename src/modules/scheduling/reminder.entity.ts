import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export enum ReminderState {
  Scheduled = 'scheduled',
  Sent = 'sent',
  /** The call changed or its moment had passed: nothing stale is sent. */
  Skipped = 'skipped',
  Failed = 'failed',
}

/** One reminder to one adult for one version of one occurrence; unique, and sent by compare-and-set. */
@Entity('reminders')
export class ReminderEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  occurrenceId: string;

  @Column('uuid')
  userId: string;

  /** Minutes before the start; 0 is the "starting now" nudge. */
  @Column('integer')
  offsetMinutes: number;

  @Column('integer')
  occurrenceVersion: number;

  @Column('timestamptz')
  dueAt: Date;

  @Column('text', { default: ReminderState.Scheduled })
  state: ReminderState;

  @Column('timestamptz', { nullable: true })
  sentAt: Date | null;

  @Column('uuid', { nullable: true })
  notificationId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
