import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export enum ConversationKind {
  /** A family's own thread: its adults and children, one per family, created with the family. */
  Family = 'family',
  /** A thread a family adult opened around a child with some of the child's approved contacts. */
  Group = 'group',
}

/** A thread of messages with a gapless per-conversation sequence. */
@Entity('conversations')
export class ConversationEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  kind: ConversationKind;

  @Column('uuid', { nullable: true })
  familyId: string | null;

  @Column('text', { nullable: true })
  title: string | null;

  @Column('uuid', { nullable: true })
  createdBy: string | null;

  /** The last seq handed out; only ever raised under this row's lock (bigint: a string from the driver). */
  @Column('bigint', { default: 0 })
  lastSeq: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
