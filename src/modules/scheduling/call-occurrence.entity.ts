import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export enum OccurrenceKind {
  Regular = 'regular',
  /** Replaces a regular one that was moved. */
  Rescheduled = 'rescheduled',
  /** Makes up for a missed call. */
  Makeup = 'makeup',
}

export enum OccurrenceState {
  Scheduled = 'scheduled',
  Completed = 'completed',
  Missed = 'missed',
  Skipped = 'skipped',
  Rescheduled = 'rescheduled',
  Cancelled = 'cancelled',
}

@Entity('call_occurrences')
export class CallOccurrenceEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  planId: string;

  @Column('uuid')
  familyId: string;

  @Column('uuid')
  childId: string;

  @Column('uuid')
  parentId: string;

  @Column('text', { default: OccurrenceKind.Regular })
  kind: OccurrenceKind;

  @Column('uuid', { nullable: true })
  replacesId: string | null;

  @Column('timestamptz')
  startsAt: Date;

  @Column('timestamptz')
  endsAt: Date;

  /** The household-local date, "YYYY-MM-DD". */
  @Column('date')
  localDate: string;

  @Column('text')
  timeZone: string;

  @Column('text', { default: OccurrenceState.Scheduled })
  state: OccurrenceState;

  /** Bumped on every change; reminders carry the version they were made for. */
  @Column('integer', { default: 1 })
  version: number;

  @Column('timestamptz', { nullable: true })
  completedAt: Date | null;

  @Column('integer', { nullable: true })
  talkedSeconds: number | null;

  @Column('timestamptz', { nullable: true })
  missedAt: Date | null;

  /** For a missed call: the make-up slot proposed to the family. */
  @Column('timestamptz', { nullable: true })
  makeupStartsAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
