import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { CallSide } from '../access/access.service';

export enum CallState {
  Ringing = 'ringing',
  Active = 'active',
  Ended = 'ended',
  Declined = 'declined',
  Missed = 'missed',
}

export const LIVE_CALL_STATES: readonly CallState[] = [CallState.Ringing, CallState.Active];

export enum CallEndReason {
  /** A participant ended an answered call. */
  HungUp = 'hung_up',
  /** The caller gave up before anyone answered. */
  Cancelled = 'cancelled',
  Declined = 'declined',
  NoAnswer = 'no_answer',
  /** A participant's connection dropped and did not come back within the grace period. */
  ConnectionLost = 'connection_lost',
  /** A participant no longer may take part (contact removed, guardian left the family). */
  AccessRevoked = 'access_revoked',
}

/** The record of one call. Live state (who is joined on which socket) is in Redis: see CallLiveState. */
@Entity('call_sessions')
export class CallSessionEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  familyId: string;

  @Column('uuid')
  childId: string;

  @Column('uuid', { nullable: true })
  callerId: string | null;

  /** The side the call rings: the child's (the child and its guardians), or one approved contact. */
  @Column('text')
  calleeSide: CallSide;

  /** The contact rung when the child's side calls; null when the call rings the child's side. */
  @Column('uuid', { nullable: true })
  calleeId: string | null;

  /** The scheduled call this one realises, when it was started in that call's window. */
  @Column('uuid', { nullable: true })
  occurrenceId: string | null;

  @Column('text', { default: CallState.Ringing })
  state: CallState;

  @Column('timestamptz')
  startedAt: Date;

  @Column('timestamptz', { nullable: true })
  answeredAt: Date | null;

  @Column('uuid', { nullable: true })
  answeredBy: string | null;

  @Column('timestamptz', { nullable: true })
  endedAt: Date | null;

  @Column('uuid', { nullable: true })
  endedBy: string | null;

  @Column('text', { nullable: true })
  endReason: CallEndReason | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
