import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A child in a class. Its existence is what lets the class's teacher see the child. */
@Entity('class_enrollments')
export class ClassEnrollmentEntity {
  @PrimaryColumn('uuid')
  classId: string;

  @PrimaryColumn('uuid')
  childId: string;

  /** The family adult who used the join code; null once that account is deleted. */
  @Column('uuid', { nullable: true })
  enrolledBy: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  enrolledAt: Date;
}
