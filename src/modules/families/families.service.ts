import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../../common/actor';
import { conflict, DomainError, ErrorCode, invalidField, notFound } from '../../common/errors';
import { decodeCursor, Page, PageQueryDto, toPage } from '../../common/pagination';
import { Transactions } from '../../database/transaction';
import { AccessService, FamilyRole } from '../access/access.service';
import { AuditAction } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { isUniqueViolation } from '../identity/identity.service';
import { CodePurpose } from '../identity/one-time-code.entity';
import { MessagingService } from '../messaging/messaging.service';
import { isShareableCode, OneTimeCodes } from '../identity/one-time-codes.service';
import { NotificationChannel } from '../notifications/notification.entity';
import { NotificationsService } from '../notifications/notifications.service';
import { NotificationKind, NotificationLocale } from '../notifications/templates';
import { CreateFamilyDto, FamilyResponse, toFamilyResponse } from './dto/family.dto';
import { CreateInvitationDto, InvitationResponse } from './dto/invitation.dto';
import { FamiliesRepository } from './families.repository';

export const INVITATION_TTL_SECONDS = 7 * 24 * 60 * 60;

/** Families, their members and invitations: how a child's care circle is formed. */
@Injectable()
export class FamiliesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly access: AccessService,
    private readonly families: FamiliesRepository,
    private readonly codes: OneTimeCodes,
    private readonly notifications: NotificationsService,
    private readonly audit: AuditService,
    private readonly messaging: MessagingService,
  ) {}

  /** Any adult may start a family, and is its first member in the role they choose. */
  async create(actor: Actor, input: CreateFamilyDto): Promise<FamilyResponse> {
    this.access.requireAdult(actor);
    return this.transactions.run(async (em) => {
      const family = await this.families.insertFamily(em, { name: input.name, createdBy: actor.userId });
      await this.families.insertMember(em, { familyId: family.id, userId: actor.userId, role: input.role });
      await this.messaging.familyChanged(em, family.id);
      await this.audit.record(em, { action: AuditAction.FamilyCreated, actorId: actor.userId, familyId: family.id, details: { role: input.role } });
      return this.load(em, family.id);
    });
  }

  /** The caller's own families (a child: the one it belongs to). The query itself is scoped by the caller. */
  async list(actor: Actor, query: PageQueryDto): Promise<Page<FamilyResponse>> {
    const after = decodeCursor(query.cursor);
    if (after && !isUUID(after.id)) throw invalidField('cursor', 'is not a cursor this service issued');
    const limit = query.limit ?? 50;
    const rows = await this.families.familiesOf(actor, after, limit + 1);
    const details = await this.families.details(rows.slice(0, limit).map((r) => r.id));
    return toPage(rows, limit, (row) => toFamilyResponse(row, details.get(row.id)!));
  }

  async get(actor: Actor, familyId: string): Promise<FamilyResponse> {
    await this.access.requireFamilyVisible(actor, familyId);
    return this.load(this.dataSource.manager, familyId);
  }

  /**
   * A family adult invites someone with a one-time code (7 days), shown to share and, with a phone,
   * sent by SMS. Parents may invite parents, and a guardian while the family has none; once it has
   * one, only a guardian may bring in another.
   */
  async invite(actor: Actor, familyId: string, input: CreateInvitationDto): Promise<InvitationResponse> {
    if (input.role === FamilyRole.Guardian) await this.access.requireFamilyControl(actor, familyId, 'invite another guardian');
    else await this.access.requireFamilyRole(actor, familyId, [FamilyRole.Parent, FamilyRole.Guardian]);
    return this.transactions.run(async (em) => {
      const { code, expiresAt } = await this.codes.issue(em, {
        purpose: CodePurpose.Invitation,
        ttlSeconds: INVITATION_TTL_SECONDS,
        familyId,
        role: input.role,
        phone: input.phone,
        createdBy: actor.userId,
      });
      await this.audit.record(em, {
        action: AuditAction.InvitationCreated,
        actorId: actor.userId,
        familyId,
        details: { role: input.role, bySms: input.phone !== undefined },
      });
      if (input.phone) await this.sendInvitation(em, actor, familyId, input.role, input.phone, code);
      return { code, expiresAt: expiresAt.toISOString() };
    });
  }

  /**
   * Joins the family with the invitation's role. The new adult becomes an approved contact of every
   * child of the family. A wrong code counts against the code it resembles (burnt after 5 tries).
   */
  async acceptInvitation(actor: Actor, code: string): Promise<FamilyResponse> {
    this.access.requireAdult(actor);
    if (!isShareableCode(code)) throw new DomainError(ErrorCode.InvalidCode, 'An invitation code looks like K7M2-XQ9P. Check it and try again.');
    try {
      return await this.codes.redeem(CodePurpose.Invitation, code, undefined, actor.userId, async (em, invitation) => {
        const familyId = invitation.familyId;
        const role = invitation.role as FamilyRole | null;
        if (!familyId || !role) throw notFound('Family');
        if ((await this.families.rolesOf(em, familyId, actor.userId)).includes(role)) throw alreadyMember(role);
        await this.families.insertMember(em, { familyId, userId: actor.userId, role });
        await this.families.approveFamilyAdults(em, familyId);
        await this.messaging.familyChanged(em, familyId);
        await this.audit.record(em, {
          action: AuditAction.MemberJoined,
          actorId: actor.userId,
          familyId,
          details: { role, invitedBy: invitation.createdBy },
        });
        return this.load(em, familyId);
      });
    } catch (error) {
      // the same person accepting two invitations at the same moment
      if (isUniqueViolation(error)) throw conflict('You already hold this role in this family');
      throw error;
    }
  }

  private async sendInvitation(em: EntityManager, actor: Actor, familyId: string, role: FamilyRole, phone: string, code: string): Promise<void> {
    const family = await this.families.family(familyId, em);
    const inviter = await this.families.person(em, actor.userId);
    // someone who already has an account also finds it among their notifications, in their own language
    const account = await this.families.adultByPhone(em, phone);
    await this.notifications.notify(em, {
      ...(account ? { userId: account.id } : { locale: inviter.locale as NotificationLocale }),
      phone,
      kind: NotificationKind.FamilyInvitation,
      params: { inviterName: inviter.displayName, familyName: family!.name, role },
      secretParams: { code },
      channel: NotificationChannel.Sms,
    });
  }

  private async load(em: EntityManager, familyId: string): Promise<FamilyResponse> {
    const family = await this.families.family(familyId, em);
    if (!family) throw notFound('Family');
    const details = await this.families.details([familyId], em);
    return toFamilyResponse(family, details.get(familyId)!);
  }
}

const alreadyMember = (role: FamilyRole) => conflict(`You are already a ${role} of this family`);
