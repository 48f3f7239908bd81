import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export enum AuditAction {
  AccountRegistered = 'account.registered',
  AccountUpdated = 'account.updated',
  PhoneVerified = 'account.phone_verified',
  FamilyCreated = 'family.created',
  InvitationCreated = 'family.invitation_created',
  MemberJoined = 'family.member_joined',
  ChildCreated = 'child.created',
  PairingCodeIssued = 'child.pairing_code_issued',
  DevicePaired = 'child.device_paired',
  DeviceRevoked = 'child.device_revoked',
  ContactRequested = 'child.contact_requested',
  ContactApproved = 'child.contact_approved',
  ContactDeclined = 'child.contact_declined',
  ContactRemoved = 'child.contact_removed',
  ChildExported = 'child.exported',
  ChildDeleted = 'child.deleted',
  ChildEnrolled = 'child.enrolled',
  MakeupAccepted = 'call.makeup_accepted',
  CallPlanProposed = 'call_plan.proposed',
  CallPlanCountered = 'call_plan.countered',
  CallPlanAccepted = 'call_plan.accepted',
  CallPlanDeclined = 'call_plan.declined',
  CallPlanPaused = 'call_plan.paused',
  CallPlanResumed = 'call_plan.resumed',
  CallPlanEnded = 'call_plan.ended',
  CallSkipped = 'call.skipped',
  CallRescheduled = 'call.rescheduled',
  ConversationCreated = 'conversation.created',
  MessageReported = 'message.reported',
  ChildBlocked = 'child.blocked',
  ChildUnblocked = 'child.unblocked',
}

@Entity('audit_events')
export class AuditEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { nullable: true })
  familyId: string | null;

  @Column('uuid', { nullable: true })
  childId: string | null;

  @Column('uuid', { nullable: true })
  actorId: string | null;

  @Column('text')
  action: AuditAction;

  @Column('jsonb', { default: {} })
  details: Record<string, unknown>;

  /** Milliseconds, as a page cursor carries them (see common/pagination.ts). */
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;
}
