import { Injectable } from '@nestjs/common';
import { Actor } from '../../common/actor';
import { Clock } from '../../common/clock';
import { invalidField, notFound } from '../../common/errors';
import { AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transaction';
import { AccessService } from '../access/access.service';
import { AuditAction } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { MediaService } from '../messaging/media.service';
import { MessagingService } from '../messaging/messaging.service';
import { TokensService } from '../identity/tokens.service';
import { ChildrenRepository } from './children.repository';
import { ContactsRepository } from './contacts.repository';
import { ChildResponse, CreateChildDto, toChildResponse } from './dto/child.dto';
import { toContactRequestResponse, toContactResponse } from './dto/contact.dto';
import { ChildExportResponse, toExportedConsent, toExportedDevice, toExportedEnrollment, toExportedProfile } from './dto/export.dto';
import { FamiliesRepository } from './families.repository';

/** Child profiles and the child's data rights: creation with consent, export, deletion. */
@Injectable()
export class ChildrenService {
  constructor(
    private readonly transactions: Transactions,
    private readonly access: AccessService,
    private readonly families: FamiliesRepository,
    private readonly children: ChildrenRepository,
    private readonly contacts: ContactsRepository,
    private readonly tokens: TokensService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly messaging: MessagingService,
    private readonly media: MediaService,
  ) {}

  /**
   * A guardian creates the profile (or a parent, while the family has no guardian yet; the first
   * guardian to join then holds the child's controls). The adult's consent to the current privacy
   * notice is recorded with it: no child exists without one.
   */
  async create(actor: Actor, familyId: string, input: CreateChildDto): Promise<ChildResponse> {
    await this.access.requireFamilyControl(actor, familyId, 'add a child');
    return this.transactions.run(async (em) => {
      if (input.consent.noticeVersion !== this.config.privacyNoticeVersion) {
        throw invalidField(
          'consent.noticeVersion',
          `the privacy notice has changed (now version ${this.config.privacyNoticeVersion}); show the current notice and ask again`,
        );
      }
      const now = this.clock.now();
      if (input.birthYear !== undefined && input.birthYear > now.getUTCFullYear()) throw invalidField('birthYear', 'must not be in the future');
      // the profile starts in the language and time zone of the adult who sets it up for the household
      const creator = await this.families.person(em, actor.userId);
      const childId = await this.children.insertChildUser(em, { displayName: input.displayName, locale: creator.locale, timeZone: creator.timeZone });
      await this.children.insertChild(em, {
        userId: childId,
        familyId,
        birthYear: input.birthYear ?? null,
        createdBy: actor.userId,
        consentGivenBy: actor.userId,
        consentGivenAt: now,
        consentNoticeVersion: input.consent.noticeVersion,
      });
      await this.families.approveFamilyAdults(em, familyId);
      await this.messaging.familyChanged(em, familyId);
      await this.audit.record(em, {
        action: AuditAction.ChildCreated,
        actorId: actor.userId,
        familyId,
        childId,
        details: { noticeVersion: input.consent.noticeVersion },
      });
      return toChildResponse((await this.children.profile(childId, em))!);
    });
  }

  /** The child itself, its family's adults and its teachers see the same minimal profile. */
  async get(actor: Actor, childId: string): Promise<ChildResponse> {
    await this.access.requireChildVisible(actor, childId);
    const profile = await this.children.profile(childId);
    if (!profile) throw notFound('Child');
    return toChildResponse(profile);
  }

  /** Everything held about the child, as JSON for its guardian; the export itself is recorded and included. */
  async export(actor: Actor, childId: string): Promise<ChildExportResponse> {
    const child = await this.access.requireChildControl(actor, childId);
    return this.transactions.run(async (em) => {
      await this.audit.record(em, { action: AuditAction.ChildExported, actorId: actor.userId, familyId: child.familyId, childId });
      const profile = await this.children.exportRow(em, childId);
      if (!profile) throw notFound('Child');
      const devices = await this.children.devices(em, childId);
      const contacts = await this.contacts.contactsOf(childId, em);
      const requests = await this.contacts.allRequestsOf(em, childId);
      const enrollments = await this.children.enrollments(em, childId);
      const messages = await this.messaging.sentBy(em, childId);
      const auditEvents = await this.audit.allForChild(em, childId);
      return {
        exportedAt: this.clock.now().toISOString(),
        profile: toExportedProfile(profile),
        familyId: profile.familyId,
        consent: toExportedConsent(profile),
        devices: devices.map(toExportedDevice),
        contacts: contacts.map((c) => ({ ...toContactResponse(c), approvedBy: c.approvedBy })),
        contactRequests: requests.map(toContactRequestResponse),
        enrollments: enrollments.map(toExportedEnrollment),
        messages,
        auditEvents,
      };
    });
  }

  /**
   * Deletes the child's account and with it the profile, devices, sessions, contacts, codes and
   * enrollments, and erases the text and media of the messages it sent (their rows keep their place),
   * in one transaction that also records the deletion; open sockets close and media files go after commit.
   */
  async delete(actor: Actor, childId: string): Promise<void> {
    const child = await this.access.requireChildControl(actor, childId);
    const { sessionIds, storageKeys } = await this.transactions.run(async (em) => {
      const revoked = await this.tokens.revokeSessions(em, { userId: childId }, 'child_deleted');
      const storageKeys = await this.messaging.eraseSentBy(em, childId);
      await this.audit.record(em, {
        action: AuditAction.ChildDeleted,
        actorId: actor.userId,
        familyId: child.familyId,
        childId,
        details: { deletedBy: actor.userId },
      });
      // gone already: another guardian deleted it a moment ago
      if ((await this.children.deleteChildUser(em, childId)) === 0) throw notFound('Child');
      return { sessionIds: revoked, storageKeys };
    });
    this.tokens.disconnect(sessionIds);
    await this.media.removeStored(storageKeys);
  }
}
