import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { UserKind } from '../../common/actor';

export enum Locale {
  ZhCN = 'zh-CN',
  En = 'en',
}

@Entity('users')
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  kind: UserKind;

  @Column('text')
  displayName: string;

  @Column('text', { nullable: true })
  phone: string | null;

  @Column('timestamptz', { nullable: true })
  phoneVerifiedAt: Date | null;

  @Column('text', { nullable: true })
  email: string | null;

  @Column('text', { nullable: true, select: false })
  passwordHash: string | null;

  @Column('text', { default: Locale.ZhCN })
  locale: Locale;

  @Column('text', { default: 'Asia/Shanghai' })
  timeZone: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
