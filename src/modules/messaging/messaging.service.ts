import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../../common/actor';
import { Clock } from '../../common/clock';
import { DomainError, ErrorCode, invalidField, notFound } from '../../common/errors';
import { decodeCursor, encodeCursor, Page, PageQueryDto } from '../../common/pagination';
import { AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transaction';
import { RealtimePublisher } from '../../infra/realtime/realtime.publisher';
import { AccessService } from '../access/access.service';
import { AuditAction } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { ConversationKind } from './conversation.entity';
import { ConversationResponse, CreateConversationDto } from './dto/conversation.dto';
import { MarkReadDto, MessageResponse, MessageRow, MessagesQueryDto, MessageSyncPage, PostMessageDto, ReadMarkResponse, toMessageResponse } from './dto/message.dto';
import { MessageKind } from './message.entity';
import { ConversationRow, MessagesRepository, SendOutcome } from './messages.repository';
import { Batcher, Settled } from '../../common/batcher';

/** Server → client events of this module. */
export enum MessagingEvent {
  New = 'message:new',
  Updated = 'message:updated',
  Receipt = 'message:receipt',
}

interface SendItem {
  actor: Actor;
  conversationId: string;
  input: PostMessageDto;
  /** The socket it came from, which has it in its acknowledgement and gets no `message:new` of it. */
  socketId?: string;
}

/** PostgreSQL errors after which the same batch may simply run again. */
const RETRYABLE = new Set(['40001', '40P01', '23505']);
const MAX_ATTEMPTS = 3;

/**
 * Conversations and messages (guarantee 3). A message is committed with its per-conversation seq
 * before it is acknowledged; a resend with the same client id answers the stored message; the socket
 * is only the fast path, `after()` (GET …/messages?afterSeq=) is the guarantee.
 *
 * Sends are committed in batches (Batcher), each in one statement: it decides access for every item
 * (the access module's rules), locks the batch's conversations in id order, answers duplicates as
 * stored, reserves seqs (UPDATE … last_seq + n) and inserts every new message it allowed. A
 * duplicate racing on another node breaks the unique key and undoes the statement, which then runs
 * again and answers it: it never burns a seq.
 */
@Injectable()
export class MessagingService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(MessagingService.name);
  private readonly batcher: Batcher<SendItem, MessageResponse>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly access: AccessService,
    private readonly messages: MessagesRepository,
    private readonly publisher: RealtimePublisher,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {
    this.batcher = new Batcher(config.messageBatching, (item) => item.conversationId, (items) => this.commitBatch(items));
  }

  /**
   * Sends a message (socket `message:send` or REST). The access decision is taken for the whole batch
   * against the current state, in the statement that stores it (sendStandingsSql): the
   * sign-in is live, the sender an active member, and a child sender's fellow members all its
   * approved contacts. Resolves after the commit. Every device of every member gets `message:new`,
   * except the socket it was sent from (`from.socketId`): that one has the message in its answer.
   */
  send(actor: Actor, conversationId: string, input: PostMessageDto, from: { socketId?: string } = {}): Promise<MessageResponse> {
    checkMessageShape(input);
    return this.batcher.submit({ actor, conversationId, input, socketId: from.socketId });
  }

  /** Exactly the committed messages after `afterSeq`, in seq order (members, and guardians of a child in it). */
  async after(actor: Actor, conversationId: string, query: MessagesQueryDto): Promise<MessageSyncPage> {
    await this.access.requireConversationVisible(actor, conversationId);
    const limit = query.limit ?? 100;
    const { rows, lastSeq } = await this.messages.after(conversationId, query.afterSeq ?? 0, limit);
    const items = rows.map((row) => this.toResponse(row));
    const last = items[items.length - 1];
    return { items, nextAfterSeq: last && last.seq < lastSeq ? last.seq : null, lastSeq };
  }

  /** The caller's conversations, most recent activity first, with unread counts. */
  async list(actor: Actor, query: PageQueryDto): Promise<Page<ConversationResponse>> {
    return this.page(actor, query, {});
  }

  /** A child's conversations, for its guardians (guarantee 2: they can see what the child sees). */
  async listForChild(actor: Actor, childId: string, query: PageQueryDto): Promise<Page<ConversationResponse>> {
    await this.access.requireChildControl(actor, childId);
    return this.page(actor, query, { childId });
  }

  async get(actor: Actor, conversationId: string): Promise<ConversationResponse> {
    await this.access.requireConversationVisible(actor, conversationId);
    const [row] = await this.messages.conversationsFor(actor.userId, undefined, 1, { conversationId });
    if (!row) throw notFound('Conversation');
    return (await this.responses([row]))[0];
  }

  /**
   * A family adult opens a thread around a child with some of the child's approved contacts. Every
   * member must be one (checked for every pair at join; delivery checks again).
   */
  async create(actor: Actor, input: CreateConversationDto): Promise<ConversationResponse> {
    const child = await this.access.requireChildFamilyAdult(actor, input.childId);
    const others = input.memberIds.filter((id) => id !== actor.userId && id !== input.childId);
    if (others.length === 0) throw invalidField('memberIds', 'name at least one person besides you and the child');
    const conversationId = await this.transactions.run(async (em) => {
      const unapproved = await this.access.unapprovedForChild(em, input.childId, [actor.userId, ...others]);
      if (unapproved.length > 0) {
        throw new DomainError(ErrorCode.Forbidden, 'Every member must be an approved contact of the child', {
          fields: [{ field: 'memberIds', messages: [`not approved contacts of the child: ${unapproved.join(', ')}`] }],
        });
      }
      const id = await this.messages.insertConversation(em, {
        kind: ConversationKind.Group,
        familyId: child.familyId,
        title: input.title ?? null,
        createdBy: actor.userId,
        memberIds: [actor.userId, input.childId, ...others],
      });
      await this.audit.record(em, {
        action: AuditAction.ConversationCreated,
        actorId: actor.userId,
        familyId: child.familyId,
        childId: input.childId,
        details: { conversationId: id, memberIds: [actor.userId, input.childId, ...others] },
      });
      return id;
    });
    return this.get(actor, conversationId);
  }

  /** Moves the caller's read mark forward (never backwards) and tells the other members. */
  async markRead(actor: Actor, conversationId: string, input: MarkReadDto): Promise<ReadMarkResponse> {
    await this.access.requireConversationMember(actor, conversationId);
    const { readSeq, moved } = await this.messages.moveReadMark(conversationId, actor.userId, input.upToSeq);
    const receipt: ReadMarkResponse = { conversationId, userId: actor.userId, readSeq };
    if (moved) {
      const members = await this.access.deliverableMembers(this.dataSource.manager, [conversationId]);
      this.publisher.toUsers((members.get(conversationId) ?? []).filter((id) => id !== actor.userId), MessagingEvent.Receipt, receipt);
    }
    return receipt;
  }

  /** Its sender takes a message back: it keeps its place and shows as retracted, its content hidden from then on. */
  async retract(actor: Actor, messageId: string): Promise<MessageResponse> {
    const message = await this.access.requireMessageSender(actor, messageId);
    const { row, changed } = await this.transactions.run(async (em) => {
      const before = await this.messages.message(messageId, em);
      const after = await this.messages.retract(em, messageId, actor.userId, this.clock.now());
      return { row: after!, changed: before?.retractedAt === null };
    });
    const response = this.toResponse(row);
    if (changed) {
      const members = await this.access.deliverableMembers(this.dataSource.manager, [message.conversationId]);
      this.publisher.toUsers(members.get(message.conversationId) ?? [], MessagingEvent.Updated, response);
    }
    return response;
  }

  /**
   * Families: a family was created, or gained an adult or a child. Its thread follows, in the
   * caller's transaction (created with the family; every adult and child a member).
   */
  async familyChanged(em: EntityManager, familyId: string): Promise<void> {
    await this.messages.syncFamilyThread(em, familyId);
  }

  /**
   * Contacts: a guardian removed one of the child's contacts. The child leaves every thread it shares
   * with them, in the caller's transaction; its next event there is refused, open socket included.
   */
  async contactRemoved(em: EntityManager, childId: string, contactUserId: string): Promise<void> {
    await this.messages.removeChildFromThreadsWith(em, childId, contactUserId, 'contact_removed', this.clock.now());
  }

  /**
   * Child data rights: every message the child sent, as members see it (with its media URL), in the
   * caller's transaction; the caller has checked access.
   */
  async sentBy(em: EntityManager, userId: string): Promise<MessageResponse[]> {
    return (await this.messages.sentBy(em, userId)).map((row) => this.toResponse(row));
  }

  /**
   * Child data rights: the messages a deleted child sent lose their text and media in the caller's
   * transaction. Their rows keep their place, shown as retracted, so every member's seq stays gapless.
   * Returns the storage keys of the media, to remove (MediaService.removeStored) once the transaction has committed.
   */
  eraseSentBy(em: EntityManager, userId: string): Promise<string[]> {
    return this.messages.eraseSentBy(em, userId, this.clock.now());
  }

  /** Sends already accepted are committed (and answered) before the database connections close. */
  beforeApplicationShutdown(): Promise<void> {
    return this.batcher.close();
  }

  toResponse(row: MessageRow): MessageResponse {
    return toMessageResponse(row, this.config.publicUrl);
  }

  private async page(actor: Actor, query: PageQueryDto, filter: { childId?: string }): Promise<Page<ConversationResponse>> {
    const cursor = decodeCursor(query.cursor);
    if (cursor && !isUUID(cursor.id)) throw invalidField('cursor', 'is not a cursor this service issued');
    const limit = query.limit ?? 50;
    const rows = await this.messages.conversationsFor(actor.userId, cursor && { at: cursor.createdAt, id: cursor.id }, limit + 1, filter);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: await this.responses(items),
      nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.activityAt, id: last.id }) : null,
    };
  }

  private async responses(rows: ConversationRow[]): Promise<ConversationResponse[]> {
    const ids = rows.map((r) => r.id);
    const [members, lastMessages] = await Promise.all([this.messages.membersOf(ids), this.messages.lastMessages(ids)]);
    return rows.map((row) => {
      const last = lastMessages.get(row.id);
      return {
        id: row.id,
        kind: row.kind,
        familyId: row.familyId,
        title: row.title,
        lastSeq: Number(row.lastSeq),
        readSeq: Number(row.readSeq),
        unreadCount: row.unreadCount,
        asGuardian: row.asGuardian,
        members: (members.get(row.id) ?? []).map((m) => ({ userId: m.userId, displayName: m.displayName, kind: m.kind, readSeq: Number(m.readSeq) })),
        lastMessage: last ? this.toResponse(last) : null,
        createdAt: new Date(row.createdAt).toISOString(),
      };
    });
  }

  /**
   * Commits one batch. A batch that hits a deadlock or a lost race runs again; one that fails for any
   * other reason is split, so one bad item cannot take its neighbours down with it.
   */
  private async commitBatch(items: SendItem[]): Promise<Settled<MessageResponse>[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.commitOnce(items);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) continue;
        if (items.length === 1) return [{ ok: false, error }];
        this.logger.warn({ err: (error as Error).message, size: items.length }, 'message batch failed; committing its items one by one');
        const results: Settled<MessageResponse>[] = [];
        for (const item of items) results.push((await this.commitBatch([item]))[0]);
        return results;
      }
    }
  }

  /**
   * Decides and stores a batch in one statement that is its own transaction (see
   * MessagesRepository.sendBatch), then explains its refusals and delivers what it stored. Nothing is
   * acknowledged or delivered before it has committed.
   */
  private async commitOnce(items: SendItem[]): Promise<Settled<MessageResponse>[]> {
    const now = this.clock.now();
    const outcomes = await this.messages.sendBatch(
      items.map(({ actor, conversationId, input }) => ({
        actor,
        conversationId,
        clientMsgId: input.clientMsgId,
        kind: input.kind,
        body: input.body ?? null,
        mediaId: input.mediaId ?? null,
      })),
      now,
    );
    // who receives each conversation's messages: on the row of its first item
    const recipients = new Map<string, string[]>();
    outcomes.forEach(({ standing }, i) => {
      if (!recipients.has(items[i].conversationId)) recipients.set(items[i].conversationId, standing.recipients ?? []);
    });

    // committed: now the fast path, in batch order, which within a conversation is seq order. One
    // response per message, shared by its event and its answers; a message new in this batch is
    // delivered once, to every device but the socket of the item that stored it (the first allowed
    // one with its client id: it has the message in its answer)
    const responses = new Map<string, MessageResponse>();
    return outcomes.map((outcome, i): Settled<MessageResponse> => {
      const { conversationId, socketId } = items[i];
      if (!outcome.message) return { ok: false, error: this.refusal(items[i], outcome) };
      let response = responses.get(outcome.message.id);
      if (!response) {
        response = this.toResponse(outcome.message);
        responses.set(outcome.message.id, response);
        if (outcome.fresh) this.publisher.toUsers(recipients.get(conversationId) ?? [], MessagingEvent.New, response, { exceptSocketId: socketId });
      }
      return { ok: true, value: response };
    });
  }

  /**
   * Why the statement refused an item: the access decision (AccessService.sendRefusal explains it),
   * or an upload that is not the sender's in this conversation, or not of the message's kind.
   */
  private refusal({ actor, conversationId, input }: SendItem, outcome: SendOutcome): Error {
    const refused = this.access.sendRefusal(actor, conversationId, outcome.standing);
    if (refused) return refused;
    if (outcome.mediaConversationId !== conversationId || outcome.mediaUploadedBy !== actor.userId) {
      return invalidField('mediaId', 'is not an upload of yours in this conversation');
    }
    if (outcome.mediaKind !== input.kind) return invalidField('mediaId', `is a ${outcome.mediaKind} upload, not ${input.kind}`);
    // the statement and these explanations disagree: a defect, answered to this item alone
    return new Error(`messaging: the send statement refused an item for no reason it can name (conversation ${conversationId})`);
  }
}

/** What a message must hold for its kind: text has a body; voice and image have an upload (and may have a caption). */
function checkMessageShape(input: PostMessageDto): void {
  if (input.kind === MessageKind.Text) {
    if (input.body === undefined || input.body.trim() === '') throw invalidField('body', 'a text message needs some text');
    if (input.mediaId !== undefined) throw invalidField('mediaId', 'a text message has no upload; send kind voice or image');
  } else if (input.mediaId === undefined) {
    throw invalidField('mediaId', `a ${input.kind} message needs an upload (POST /v1/conversations/{id}/media)`);
  }
}

