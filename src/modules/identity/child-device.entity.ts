import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('child_devices')
export class ChildDeviceEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  childId: string;

  @Column('text')
  name: string;

  @Column('timestamptz', { default: () => 'now()' })
  pairedAt: Date;

  @Column('uuid', { nullable: true })
  codeIssuedBy: string | null;

  @Column('timestamptz', { nullable: true })
  revokedAt: Date | null;

  @Column('uuid', { nullable: true })
  revokedBy: string | null;

  @Column('timestamptz', { nullable: true })
  lastSeenAt: Date | null;
}
