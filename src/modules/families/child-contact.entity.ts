import { Column, Entity, PrimaryColumn } from 'typeorm';

export enum ContactSource {
  /** A family adult, approved by joining the family. */
  Family = 'family',
  /** Anyone else, approved by the child's guardian through a contact request. */
  Request = 'request',
}

/** Someone the child may message and call. */
@Entity('child_contacts')
export class ChildContactEntity {
  @PrimaryColumn('uuid')
  childId: string;

  @PrimaryColumn('uuid')
  contactUserId: string;

  @Column('text')
  source: ContactSource;

  @Column('text', { nullable: true })
  relationship: string | null;

  /** The guardian who approved the request; null for family adults and once that account is gone. */
  @Column('uuid', { nullable: true })
  approvedBy: string | null;

  @Column('timestamptz', { default: () => 'now()' })
  approvedAt: Date;
}
