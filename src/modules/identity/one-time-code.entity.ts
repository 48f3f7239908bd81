import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export enum CodePurpose {
  Pairing = 'pairing',
  Invitation = 'invitation',
  PhoneVerification = 'phone_verification',
}

@Entity('one_time_codes')
export class OneTimeCodeEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  purpose: CodePurpose;

  /** The public half of a code (or the owner's id for phone codes): finds the row to check against. */
  @Column('text')
  lookup: string;

  @Column('text')
  codeHash: string;

  @Column('uuid', { nullable: true })
  userId: string | null;

  @Column('uuid', { nullable: true })
  familyId: string | null;

  @Column('uuid', { nullable: true })
  childId: string | null;

  @Column('text', { nullable: true })
  role: string | null;

  @Column('text', { nullable: true })
  phone: string | null;

  @Column('uuid', { nullable: true })
  createdBy: string | null;

  @Column('timestamptz')
  expiresAt: Date;

  @Column('integer', { default: 0 })
  failedAttempts: number;

  @Column('timestamptz', { nullable: true })
  consumedAt: Date | null;

  @Column('uuid', { nullable: true })
  consumedBy: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
