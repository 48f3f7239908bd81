import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('calendar_feeds')
export class CalendarFeedEntity {
  @PrimaryColumn('uuid')
  userId: string;

  /** HMAC of the feed token; the token itself is shown once. */
  @Column('text')
  tokenHash: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
