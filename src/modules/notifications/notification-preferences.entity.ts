import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('notification_preferences')
export class NotificationPreferencesEntity {
  @PrimaryColumn('uuid')
  userId: string;

  @Column('text', { array: true, default: () => `ARRAY['socket', 'sms']` })
  channels: string[];

  /** Local "HH:mm:ss" in the user's own time zone; both or neither. */
  @Column('time', { nullable: true })
  quietHoursStart: string | null;

  @Column('time', { nullable: true })
  quietHoursEnd: string | null;

  /** Minutes before a call; default 24 h and 15 min. */
  @Column('integer', { array: true, default: () => 'ARRAY[1440, 15]' })
  reminderOffsets: number[];

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
