import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export enum MediaKind {
  Voice = 'voice',
  Image = 'image',
}

/** An uploaded voice or image file of one conversation; the bytes live in the storage adapter. */
@Entity('message_media')
export class MessageMediaEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  conversationId: string;

  @Column('uuid', { nullable: true })
  uploadedBy: string | null;

  @Column('text')
  kind: MediaKind;

  @Column('text')
  contentType: string;

  @Column('integer')
  sizeBytes: number;

  @Column('integer', { nullable: true })
  durationMs: number | null;

  @Column('text')
  storageKey: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
