import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export enum MessageKind {
  Text = 'text',
  Voice = 'voice',
  Image = 'image',
  System = 'system',
}

/** A committed message. Never deleted: a retraction hides the body and keeps the row. */
@Entity('messages')
export class MessageEntity {
  /** Time-ordered: a UUID of version 7, the database's default (migration 1763900000008). */
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  conversationId: string;

  /** Gapless per conversation, from 1 (bigint: a string from the driver). */
  @Column('bigint')
  seq: string;

  @Column('text')
  clientMsgId: string;

  @Column('uuid', { nullable: true })
  senderId: string | null;

  @Column('text')
  kind: MessageKind;

  @Column('text', { nullable: true })
  body: string | null;

  @Column('uuid', { nullable: true })
  mediaId: string | null;

  @Column('timestamptz', { nullable: true })
  retractedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
