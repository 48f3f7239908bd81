import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { EntityManager } from 'typeorm';
import { Actor, UserKind } from '../../common/actor';
import { Clock } from '../../common/clock';
import { conflict, DomainError, ErrorCode, invalidField, notFound } from '../../common/errors';
import { decodeCursor, Page, toPage } from '../../common/pagination';
import { Transactions } from '../../database/transaction';
import { AccessService, ChildRelation } from '../access/access.service';
import { AuditAction } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { isUniqueViolation } from '../identity/identity.service';
import { NotificationChannel } from '../notifications/notification.entity';
import { NotificationsService } from '../notifications/notifications.service';
import { NotificationKind } from '../notifications/templates';
import { MessagingService } from '../messaging/messaging.service';
import { ChildrenRepository } from './children.repository';
import { ContactRequestStatus } from './contact-request.entity';
import { ContactsRepository } from './contacts.repository';
import {
  ContactRequestQueryDto,
  ContactRequestResponse,
  ContactResponse,
  CreateContactRequestDto,
  toContactRequestResponse,
  toContactResponse,
} from './dto/contact.dto';
import { FamiliesRepository } from './families.repository';

/**
 * Who may reach a child: its family's adults (approved on joining) and anyone a guardian approved.
 * Every decision is audited in the same transaction.
 */
@Injectable()
export class ContactsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly access: AccessService,
    private readonly contacts: ContactsRepository,
    private readonly families: FamiliesRepository,
    private readonly children: ChildrenRepository,
    private readonly notifications: NotificationsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly messaging: MessagingService,
  ) {}

  /** The family's adults and the child itself may see whom the child can reach. */
  async list(actor: Actor, childId: string): Promise<ContactResponse[]> {
    if (actor.kind === UserKind.Child && actor.userId === childId) await this.access.requireChildVisible(actor, childId);
    else await this.access.requireChildFamilyAdult(actor, childId);
    return (await this.contacts.contactsOf(childId)).map(toContactResponse);
  }

  /**
   * A family adult names a registered adult by phone or email; a teacher of the child asks for
   * themselves (no phone or email). The child's guardians decide; a request made by one of them is
   * their decision already and is approved at once.
   */
  async request(actor: Actor, childId: string, input: CreateContactRequestDto): Promise<ContactRequestResponse> {
    const naming = input.phone !== undefined || input.email !== undefined;
    const child = naming ? await this.access.requireChildFamilyAdult(actor, childId) : await this.access.requireChildFamilyAdultOrTeacher(actor, childId);
    if (input.phone !== undefined && input.email !== undefined) throw invalidField('email', 'give a phone or an email, not both');
    try {
      return await this.transactions.run(async (em) => {
        const contactUserId = naming ? await this.namedAdult(em, input) : actor.userId;
        if ((await this.families.rolesOf(em, child.familyId, contactUserId)).length > 0) {
          throw conflict(naming ? "This person is an adult of the child's family and already a contact" : "You are an adult of the child's family and already a contact");
        }
        if (await this.contacts.isContact(em, childId, contactUserId)) throw conflict('This person is already a contact of the child');
        const requestId = await this.contacts.insertRequest(em, {
          childId,
          contactUserId,
          requestedBy: actor.userId,
          relationship: input.relationship,
          note: input.note ?? null,
        });
        await this.audit.record(em, {
          action: AuditAction.ContactRequested,
          actorId: actor.userId,
          familyId: child.familyId,
          childId,
          details: { requestId, contactUserId },
        });
        if (child.controls) await this.approve(em, actor, child, requestId);
        else await this.notifyControllers(em, actor, childId);
        return toContactRequestResponse((await this.contacts.request(em, requestId))!);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('A request for this person is already waiting for a decision');
      throw error;
    }
  }

  async listRequests(actor: Actor, childId: string, query: ContactRequestQueryDto): Promise<Page<ContactRequestResponse>> {
    await this.access.requireChildControl(actor, childId);
    const after = decodeCursor(query.cursor);
    if (after && !isUUID(after.id)) throw invalidField('cursor', 'is not a cursor this service issued');
    const limit = query.limit ?? 50;
    return toPage(await this.contacts.requestsOf(childId, query.status, after, limit + 1), limit, toContactRequestResponse);
  }

  approveRequest(actor: Actor, requestId: string): Promise<ContactRequestResponse> {
    return this.decide(actor, requestId, ContactRequestStatus.Approved);
  }

  declineRequest(actor: Actor, requestId: string): Promise<ContactRequestResponse> {
    return this.decide(actor, requestId, ContactRequestStatus.Declined);
  }

  /** Family adults stay contacts while they are in the family; anyone else can be removed. */
  async remove(actor: Actor, childId: string, contactUserId: string): Promise<void> {
    const child = await this.access.requireChildControl(actor, childId);
    await this.transactions.run(async (em) => {
      if (!(await this.contacts.contact(em, childId, contactUserId))) throw notFound('Contact');
      if ((await this.families.rolesOf(em, child.familyId, contactUserId)).length > 0) {
        throw conflict("This person is an adult of the child's family; family adults stay the child's contacts");
      }
      await this.contacts.removeContact(em, childId, contactUserId);
      await this.messaging.contactRemoved(em, childId, contactUserId);
      await this.audit.record(em, {
        action: AuditAction.ContactRemoved,
        actorId: actor.userId,
        familyId: child.familyId,
        childId,
        details: { contactUserId },
      });
    });
  }

  /** Only the child's controllers decide; to anyone who cannot see the child, the request does not exist. */
  private async decide(actor: Actor, requestId: string, status: ContactRequestStatus.Approved | ContactRequestStatus.Declined) {
    const childId = await this.contacts.requestChildId(requestId);
    if (!childId) throw notFound('Contact request');
    const child = await this.access.requireChildControl(actor, childId).catch((error: unknown) => {
      throw error instanceof DomainError && error.code === ErrorCode.NotFound ? notFound('Contact request') : error;
    });
    return this.transactions.run(async (em) => {
      const request = await this.contacts.request(em, requestId);
      if (!request) throw notFound('Contact request');
      if (request.status !== ContactRequestStatus.Pending) throw conflict(`This request was already ${request.status}`);
      if (status === ContactRequestStatus.Approved) await this.approve(em, actor, child, requestId);
      else {
        if (!(await this.contacts.decide(em, requestId, status, actor.userId, this.clock.now()))) throw conflict('This request was decided a moment ago');
        await this.audit.record(em, {
          action: AuditAction.ContactDeclined,
          actorId: actor.userId,
          familyId: child.familyId,
          childId,
          details: { requestId, contactUserId: request.contactUserId },
        });
      }
      return toContactRequestResponse((await this.contacts.request(em, requestId))!);
    });
  }

  private async approve(em: EntityManager, actor: Actor, child: ChildRelation, requestId: string): Promise<void> {
    const now = this.clock.now();
    if (!(await this.contacts.decide(em, requestId, ContactRequestStatus.Approved, actor.userId, now))) {
      throw conflict('This request was decided a moment ago');
    }
    const request = (await this.contacts.request(em, requestId))!;
    await this.contacts.insertApprovedContact(em, {
      childId: child.childId,
      contactUserId: request.contactUserId,
      relationship: request.relationship,
      approvedBy: actor.userId,
      approvedAt: now,
    });
    await this.audit.record(em, {
      action: AuditAction.ContactApproved,
      actorId: actor.userId,
      familyId: child.familyId,
      childId: child.childId,
      details: { requestId, contactUserId: request.contactUserId },
    });
  }

  private async namedAdult(em: EntityManager, input: CreateContactRequestDto): Promise<string> {
    const found = await this.contacts.adultByLogin(em, input);
    if (!found) throw new DomainError(ErrorCode.NotFound, 'No account with that phone or email');
    return found.id;
  }

  /** The child's guardians (or, while the family has none, its parents) hear of the request at once. */
  private async notifyControllers(em: EntityManager, actor: Actor, childId: string): Promise<void> {
    const requester = await this.families.person(em, actor.userId);
    const child = (await this.children.profile(childId, em))!;
    for (const userId of await this.contacts.controllerIds(em, childId)) {
      if (userId === actor.userId) continue;
      await this.notifications.notify(em, {
        userId,
        kind: NotificationKind.ContactRequest,
        params: { requesterName: requester.displayName, childName: child.displayName },
        channel: NotificationChannel.Socket,
      });
    }
  }
}
