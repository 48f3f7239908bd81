import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One member of one conversation and how far they have read. A removed member keeps the row, not the access. */
@Entity('conversation_members')
export class ConversationMemberEntity {
  @PrimaryColumn('uuid')
  conversationId: string;

  @PrimaryColumn('uuid')
  userId: string;

  /** Never moves backwards (bigint: a string from the driver). */
  @Column('bigint', { default: 0 })
  readSeq: string;

  @Column('timestamptz', { default: () => 'now()' })
  joinedAt: Date;

  @Column('timestamptz', { nullable: true })
  removedAt: Date | null;

  @Column('text', { nullable: true })
  removedReason: string | null;
}
