import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export enum ContactRequestStatus {
  Pending = 'pending',
  Approved = 'approved',
  Declined = 'declined',
}

/** A request that someone outside the family become the child's contact; a guardian decides it. */
@Entity('contact_requests')
export class ContactRequestEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  childId: string;

  /** The adult who would become a contact. */
  @Column('uuid')
  contactUserId: string;

  /** A family adult naming someone, or a teacher asking for themselves. */
  @Column('uuid')
  requestedBy: string;

  @Column('text', { nullable: true })
  relationship: string | null;

  @Column('text', { nullable: true })
  note: string | null;

  @Column('text', { default: ContactRequestStatus.Pending })
  status: ContactRequestStatus;

  @Column('uuid', { nullable: true })
  decidedBy: string | null;

  @Column('timestamptz', { nullable: true })
  decidedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
