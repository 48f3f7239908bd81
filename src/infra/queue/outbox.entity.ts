import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('outbox')
export class OutboxEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column('text')
  queue: string;

  @Column('text')
  jobName: string;

  @Column('jsonb')
  payload: Record<string, unknown>;

  @Column('text', { nullable: true })
  jobId: string | null;

  @Column('timestamptz', { nullable: true })
  runAt: Date | null;

  @Column('integer', { default: 0 })
  attempts: number;

  @Column('text', { nullable: true })
  lastError: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
