import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A teacher's class; families enrol their child with its join code. */
@Entity('classes')
export class ClassEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  @Column('text', { nullable: true })
  schoolName: string | null;

  @Column('uuid')
  teacherId: string;

  /** Six characters from JOIN_CODE_ALPHABET, unique across all classes (classes_join_code_key). */
  @Column('text')
  joinCode: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
