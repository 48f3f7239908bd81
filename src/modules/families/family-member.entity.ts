import { Column, Entity, PrimaryColumn } from 'typeorm';
import { FamilyRole } from '../access/access.service';

/** One role of one adult in one family: a person who is both parent and guardian has two rows. */
@Entity('family_members')
export class FamilyMemberEntity {
  @PrimaryColumn('uuid')
  familyId: string;

  @PrimaryColumn('uuid')
  userId: string;

  @PrimaryColumn('text')
  role: FamilyRole;

  @Column('timestamptz', { default: () => 'now()' })
  joinedAt: Date;
}
