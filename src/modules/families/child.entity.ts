import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A child's profile. Its id is the id of the child's `users` row (kind child, no login), so deleting
 * that row removes the profile, its devices, sessions, contacts and enrollments with it.
 */
@Entity('children')
export class ChildEntity {
  @PrimaryColumn('uuid')
  userId: string;

  @Column('uuid')
  familyId: string;

  @Column('integer', { nullable: true })
  birthYear: number | null;

  @Column('uuid', { nullable: true })
  createdBy: string | null;

  /** No child exists without an adult's recorded consent: who gave it, when, to which notice. */
  @Column('uuid')
  consentGivenBy: string;

  @Column('timestamptz')
  consentGivenAt: Date;

  @Column('text')
  consentNoticeVersion: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
