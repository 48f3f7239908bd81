import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Someone a child no longer hears from, whatever their contact approval says. */
@Entity('child_blocks')
export class ChildBlockEntity {
  @PrimaryColumn('uuid')
  childId: string;

  @PrimaryColumn('uuid')
  blockedUserId: string;

  @Column('uuid', { nullable: true })
  blockedBy: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
