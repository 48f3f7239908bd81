import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export enum CallPlanStatus {
  /** A parent proposed; the child's guardians answer. */
  Proposed = 'proposed',
  /** A guardian countered; the parent answers. */
  Countered = 'countered',
  Active = 'active',
  Paused = 'paused',
  Declined = 'declined',
  Ended = 'ended',
}

@Entity('call_plans')
export class CallPlanEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  familyId: string;

  @Column('uuid')
  childId: string;

  /** The parent who calls. */
  @Column('uuid')
  parentId: string;

  /** 0 = Sunday … 6 = Saturday, in the household's zone. */
  @Column('smallint', { array: true })
  daysOfWeek: number[];

  /** Local wall-clock start, "HH:mm:ss" as PostgreSQL returns a `time`. */
  @Column('time')
  startTime: string;

  @Column('integer')
  durationMinutes: number;

  /** IANA zone of the child's household. */
  @Column('text')
  timeZone: string;

  @Column('date')
  startsOn: string;

  @Column('text', { default: CallPlanStatus.Proposed })
  status: CallPlanStatus;

  @Column('uuid', { nullable: true })
  proposedBy: string | null;

  @Column('date', { nullable: true })
  pausedUntil: string | null;

  /** Bumped on every change of terms or status. */
  @Column('integer', { default: 1 })
  version: number;

  @Column('uuid', { nullable: true })
  acceptedBy: string | null;

  @Column('timestamptz', { nullable: true })
  acceptedAt: Date | null;

  @Column('timestamptz', { nullable: true })
  endedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
