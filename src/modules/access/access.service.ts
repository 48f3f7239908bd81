import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery } from '../../database/sql';
import { Actor, UserKind } from '../../common/actor';
import { DomainError, ErrorCode, forbidden, notFound, unauthenticated } from '../../common/errors';

export enum FamilyRole {
  Parent = 'parent',
  Guardian = 'guardian',
}

/** How the caller stands towards one child; everything a permission needs, read in one query. */
export interface ChildRelation {
  childId: string;
  familyId: string;
  roles: FamilyRole[];
  isSelf: boolean;
  /** Holds the child's controls (see holdsControls). */
  controls: boolean;
  teachesChild: boolean;
  isApprovedContact: boolean;
}

/**
 * The one place that decides who may see or do what, from relationships only (guarantee 1).
 * Out of scope answers 404, so existence is not revealed; visible but not allowed answers 403.
 * Every refusal is logged as a security event.
 */
@Injectable()
export class AccessService {
  private readonly logger = new Logger('Security');

  constructor(private readonly dataSource: DataSource) {}

  requireAdult(actor: Actor): void {
    if (actor.kind !== UserKind.Adult) throw this.refuse(actor, forbidden('Only adult accounts can do this'), 'adult-only');
  }

  async familyRoles(userId: string, familyId: string): Promise<FamilyRole[]> {
    const rows: { role: FamilyRole }[] = await this.dataSource.query(
      `SELECT role FROM family_members WHERE family_id = $1 AND user_id = $2`,
      [familyId, userId],
    );
    return rows.map((r) => r.role);
  }

  /** A family is visible to its members (adults by role, children by belonging to it). */
  async requireFamilyVisible(actor: Actor, familyId: string): Promise<FamilyRole[]> {
    if (actor.kind === UserKind.Child) {
      const [row] = await this.dataSource.query(`SELECT 1 FROM children WHERE user_id = $1 AND family_id = $2`, [actor.userId, familyId]);
      if (!row) throw this.refuse(actor, notFound('Family'), `family:${familyId}`);
      return [];
    }
    const roles = await this.familyRoles(actor.userId, familyId);
    if (roles.length === 0) throw this.refuse(actor, notFound('Family'), `family:${familyId}`);
    return roles;
  }

  /** Visible family, and the caller holds one of `allowed` there. */
  async requireFamilyRole(actor: Actor, familyId: string, allowed: FamilyRole[]): Promise<FamilyRole[]> {
    const roles = await this.requireFamilyVisible(actor, familyId);
    if (!roles.some((r) => allowed.includes(r))) {
      throw this.refuse(actor, forbidden(`Only a family ${allowed.join(' or ')} can do this`), `family:${familyId}`);
    }
    return roles;
  }

  /**
   * Decisions about a family's children (adding a child, inviting a guardian): whoever holds the
   * controls (holdsControls), read with the caller's roles in one query.
   */
  async requireFamilyControl(actor: Actor, familyId: string, what: string): Promise<FamilyRole[]> {
    // a child account holds no family role: refused as requireFamilyRole refuses it (404 outside its family, 403 inside)
    if (actor.kind === UserKind.Child) return this.requireFamilyRole(actor, familyId, [FamilyRole.Parent, FamilyRole.Guardian]);
    const [row]: { roles: FamilyRole[]; hasGuardian: boolean }[] = await this.dataSource.query(
      `SELECT coalesce(array_agg(role) FILTER (WHERE user_id = $2), '{}') AS roles, coalesce(bool_or(role = 'guardian'), false) AS "hasGuardian"
         FROM family_members WHERE family_id = $1`,
      [familyId, actor.userId],
    );
    if (row.roles.length === 0) throw this.refuse(actor, notFound('Family'), `family:${familyId}`);
    if (!holdsControls(row.roles, row.hasGuardian)) throw this.refuse(actor, forbidden(`Only one of the family's guardians can ${what}`), `family:${familyId}`);
    return row.roles;
  }

  /** The child's family adults and its teachers (e.g. to ask for a new contact). */
  async requireChildFamilyAdultOrTeacher(actor: Actor, childId: string): Promise<ChildRelation> {
    const relation = await this.requireChildVisible(actor, childId);
    if (relation.roles.length === 0 && !relation.teachesChild) {
      throw this.refuse(actor, forbidden("Only the child's family or teachers can do this"), `child:${childId}`);
    }
    return relation;
  }

  async childRelation(actor: Actor, childId: string): Promise<ChildRelation | undefined> {
    const [row] = await this.dataSource.query(
      `SELECT c.user_id AS "childId", c.family_id AS "familyId",
              coalesce((SELECT array_agg(m.role) FROM family_members m WHERE m.family_id = c.family_id AND m.user_id = $2), '{}') AS roles,
              EXISTS (SELECT 1 FROM family_members g WHERE g.family_id = c.family_id AND g.role = 'guardian') AS "hasGuardian",
              EXISTS (SELECT 1 FROM class_enrollments e JOIN classes k ON k.id = e.class_id
                      WHERE e.child_id = c.user_id AND k.teacher_id = $2) AS "teachesChild",
              EXISTS (SELECT 1 FROM child_contacts cc WHERE cc.child_id = c.user_id AND cc.contact_user_id = $2) AS "isApprovedContact"
         FROM children c WHERE c.user_id = $1`,
      [childId, actor.userId],
    );
    if (!row) return undefined;
    const roles = (row.roles as FamilyRole[]) ?? [];
    return {
      childId,
      familyId: row.familyId,
      roles,
      isSelf: actor.userId === childId,
      controls: actor.kind === UserKind.Adult && holdsControls(roles, row.hasGuardian),
      teachesChild: row.teachesChild,
      isApprovedContact: row.isApprovedContact,
    };
  }

  /** The child itself, its family's adults and its teachers can see the child. */
  async requireChildVisible(actor: Actor, childId: string): Promise<ChildRelation> {
    const relation = await this.childRelation(actor, childId);
    if (!relation || !(relation.isSelf || relation.roles.length > 0 || relation.teachesChild)) {
      throw this.refuse(actor, notFound('Child'), `child:${childId}`);
    }
    return relation;
  }

  /** Family adults (parent or guardian) of the child. */
  async requireChildFamilyAdult(actor: Actor, childId: string): Promise<ChildRelation> {
    const relation = await this.requireChildVisible(actor, childId);
    if (relation.roles.length === 0) throw this.refuse(actor, forbidden("Only the child's family can do this"), `child:${childId}`);
    return relation;
  }

  /** Guardian decisions: devices, contacts, audit, export, deletion (guarantee 2). */
  async requireChildControl(actor: Actor, childId: string): Promise<ChildRelation> {
    const relation = await this.requireChildVisible(actor, childId);
    if (!relation.controls) throw this.refuse(actor, forbidden("Only the child's guardian can do this"), `child:${childId}`);
    return relation;
  }

  async requireClassVisible(actor: Actor, classId: string): Promise<{ teaches: boolean }> {
    const [row] = await this.dataSource.query(
      `SELECT k.teacher_id = $2 AS teaches,
              EXISTS (SELECT 1 FROM class_enrollments e JOIN children c ON c.user_id = e.child_id
                        JOIN family_members m ON m.family_id = c.family_id
                       WHERE e.class_id = k.id AND m.user_id = $2) AS "familyOfPupil"
         FROM classes k WHERE k.id = $1`,
      [classId, actor.userId],
    );
    if (!row || !(row.teaches || row.familyOfPupil)) throw this.refuse(actor, notFound('Class'), `class:${classId}`);
    return { teaches: row.teaches };
  }

  async requireClassTeacher(actor: Actor, classId: string): Promise<void> {
    const { teaches } = await this.requireClassVisible(actor, classId);
    if (!teaches) throw this.refuse(actor, forbidden("Only the class's teacher can do this"), `class:${classId}`);
  }

  /**
   * Messaging. A conversation is visible to its active members and, read-only, to the guardians of a
   * child who is or was in it (guarantee 2); to anyone else it does not exist. A child member whose
   * thread holds someone who is not (or no longer) its approved contact may neither read nor write.
   */
  async requireConversationVisible(actor: Actor, conversationId: string, em?: EntityManager): Promise<ConversationAccess> {
    const [standing] = await this.conversationStandings([{ actor, conversationId }], em);
    return this.conversationDecision(actor, conversationId, standing, false);
  }

  /** Members write (send, read marks, uploads); a guardian who only watches the child's thread may not. */
  async requireConversationMember(actor: Actor, conversationId: string, em?: EntityManager): Promise<ConversationAccess> {
    const [standing] = await this.conversationStandings([{ actor, conversationId }], em);
    return this.conversationDecision(actor, conversationId, standing, true);
  }

  /**
   * Why a send with this standing (a row of sendStandingsSql) is refused, or undefined when it is
   * allowed (`maySend`): the sign-in has ended, the conversation is not the sender's to see, a child's
   * thread holds someone who is not its approved contact, or the sender only watches it. Logged as
   * every refusal is.
   */
  sendRefusal(actor: Actor, conversationId: string, standing: SendStanding): DomainError | undefined {
    if (!standing.live) return this.refuse(actor, unauthenticated('This sign-in has ended; please sign in again'), `session:${actor.sessionId}`);
    try {
      this.conversationDecision(actor, conversationId, standing, true);
      return undefined;
    } catch (error) {
      return error as DomainError;
    }
  }

  /**
   * Who may receive a conversation's messages right now, checked at delivery: its active members,
   * less any child whose fellow members are not all its approved contacts.
   */
  async deliverableMembers(em: EntityManager, conversationIds: string[]): Promise<Map<string, string[]>> {
    const rows: { conversationId: string; userIds: string[] }[] = await em.query(
      `SELECT conversation_id AS "conversationId", user_ids AS "userIds" FROM (${deliverableMembersSql('$1')}) d`,
      [conversationIds],
    );
    return new Map(rows.map((r) => [r.conversationId, r.userIds]));
  }

  /**
   * Whether `childId` may share a conversation with each of `userIds` (at join): its family's other
   * children, and approved contacts it has not blocked. Answers those who may not.
   */
  async unapprovedForChild(em: EntityManager, childId: string, userIds: string[]): Promise<string[]> {
    const rows: { userId: string }[] = await em.query(
      `SELECT u AS "userId" FROM unnest($2::uuid[]) AS u
        WHERE u <> $1
          AND NOT EXISTS (SELECT 1 FROM children sib JOIN children me ON me.user_id = $1 WHERE sib.user_id = u AND sib.family_id = me.family_id)
          AND (NOT EXISTS (SELECT 1 FROM child_contacts cc WHERE cc.child_id = $1 AND cc.contact_user_id = u)
               OR EXISTS (SELECT 1 FROM child_blocks b WHERE b.child_id = $1 AND b.blocked_user_id = u))`,
      [childId, userIds],
    );
    return rows.map((r) => r.userId);
  }

  /** A message is as visible as its conversation; the conversation access comes with it. */
  async requireMessageVisible(actor: Actor, messageId: string): Promise<ConversationAccess & { senderId: string | null }> {
    const [row] = await this.dataSource.query(`SELECT conversation_id AS "conversationId", sender_id AS "senderId" FROM messages WHERE id = $1`, [messageId]);
    if (!row) throw this.refuse(actor, notFound('Message'), `message:${messageId}`);
    try {
      return { ...(await this.requireConversationVisible(actor, row.conversationId)), senderId: row.senderId };
    } catch (error) {
      throw error instanceof DomainError && error.code === ErrorCode.NotFound ? notFound('Message') : error;
    }
  }

  /** Only its sender may take a message back, and only while still a member. */
  async requireMessageSender(actor: Actor, messageId: string): Promise<ConversationAccess & { senderId: string | null }> {
    const message = await this.requireMessageVisible(actor, messageId);
    if (message.senderId !== actor.userId) throw this.refuse(actor, forbidden('Only the sender can retract a message'), `message:${messageId}`);
    if (!message.isMember) throw this.refuse(actor, forbidden('Only members of the conversation can do this'), `message:${messageId}`);
    return message;
  }

  /** The child itself and its family's adults may block someone from reaching the child. */
  async requireChildBlocker(actor: Actor, childId: string): Promise<ChildRelation> {
    const relation = await this.requireChildVisible(actor, childId);
    if (!relation.isSelf && relation.roles.length === 0) throw this.refuse(actor, forbidden("Only the child or the child's family can do this"), `child:${childId}`);
    return relation;
  }

  /** How each item's actor stands towards its conversation, in item order. */
  private async conversationStandings(
    items: { actor: Actor; conversationId: string }[],
    em: EntityManager = this.dataSource.manager,
  ): Promise<ConversationStanding[]> {
    if (items.length === 0) return [];
    // planned once per connection (in a transaction; outside one, as a plain query)
    return preparedQuery<ConversationStanding>(em, 'access-conversation-standings', standingsSql(false), standingsParams(items));
  }

  private conversationDecision(actor: Actor, conversationId: string, standing: ConversationStanding | undefined, write: boolean): ConversationAccess {
    const resource = `conversation:${conversationId}`;
    if (!standing?.exists || !(standing.member || standing.asGuardian)) throw this.refuse(actor, notFound('Conversation'), resource);
    if (standing.childBarred) {
      throw this.refuse(actor, forbidden('This conversation includes someone who is not your approved contact'), resource);
    }
    if (write && !standing.member) throw this.refuse(actor, forbidden('Only members of the conversation can do this'), resource);
    return { conversationId, kind: standing.kind, familyId: standing.familyId, isMember: standing.member, asGuardian: !standing.member };
  }

  /**
   * Calls (guarantee 2). The child's side of a call is the child itself and its guardians; the other
   * side is one approved contact the child has not blocked (its family's adults are approved on
   * joining). `side` is the side the caller calls from.
   */
  async requireCallSide(actor: Actor, childId: string, side: CallSide): Promise<CallStanding> {
    const standing = await this.callStanding(actor.userId, childId);
    if (!standing?.visible) throw this.refuse(actor, notFound('Child'), `child:${childId}`);
    if (side === CallSide.Child && !standing.childSide) {
      throw this.refuse(actor, forbidden("Only the child or the child's guardian can call for the child"), `child:${childId}`);
    }
    if (side === CallSide.Contact && !standing.contact) {
      throw this.refuse(actor, forbidden("Only the child's approved contacts can call the child"), `child:${childId}`);
    }
    return standing;
  }

  /** Whom the child's side may ring: an approved contact of the child that it has not blocked. */
  async requireCallableContact(actor: Actor, childId: string, contactId: string): Promise<void> {
    const contact = contactId === actor.userId ? undefined : await this.callStanding(contactId, childId);
    if (!contact?.contact) throw this.refuse(actor, forbidden("This person is not one of the child's approved contacts"), `child:${childId}`);
  }

  /**
   * Acting in a call as its caller or on its called side, against the relationships as they are now:
   * a removed contact or a guardian who left loses the call with their next event. The call exists for
   * the child, its family's adults and the people in it; for anyone else it does not.
   */
  async requireCallRole(actor: Actor, call: CallParties, role: 'caller' | 'callee'): Promise<CallStanding> {
    const standing = await this.callStanding(actor.userId, call.childId);
    const involved = actor.userId === call.callerId || actor.userId === call.calleeId;
    if (!standing || !(standing.isSelf || standing.inFamily || involved)) throw this.refuse(actor, notFound('Call'), `call:${call.id}`);
    const allowed =
      role === 'caller'
        ? actor.userId === call.callerId && (call.calleeSide === CallSide.Child ? standing.contact : standing.childSide)
        : call.calleeSide === CallSide.Child
          ? standing.childSide && actor.userId !== call.callerId
          : actor.userId === call.calleeId && standing.contact;
    if (!allowed) {
      const detail = involved ? 'You may no longer take part in this call' : role === 'caller' ? 'Only the caller can do this' : 'Only the called side can do this';
      throw this.refuse(actor, forbidden(detail), `call:${call.id}`);
    }
    return standing;
  }

  private async callStanding(userId: string, childId: string): Promise<CallStanding | undefined> {
    const [row] = await this.dataSource.query(
      `SELECT c.family_id AS "familyId", c.user_id = $2 AS "isSelf",
              EXISTS (SELECT 1 FROM family_members m WHERE m.family_id = c.family_id AND m.user_id = $2) AS "inFamily",
              EXISTS (SELECT 1 FROM family_members m WHERE m.family_id = c.family_id AND m.user_id = $2 AND m.role = 'guardian') AS guardian,
              EXISTS (SELECT 1 FROM class_enrollments e JOIN classes k ON k.id = e.class_id WHERE e.child_id = c.user_id AND k.teacher_id = $2) AS teaches,
              EXISTS (SELECT 1 FROM child_contacts cc WHERE cc.child_id = c.user_id AND cc.contact_user_id = $2)
                AND NOT EXISTS (SELECT 1 FROM child_blocks b WHERE b.child_id = c.user_id AND b.blocked_user_id = $2) AS contact,
              EXISTS (SELECT 1 FROM child_contacts cc WHERE cc.child_id = c.user_id AND cc.contact_user_id = $2) AS "listedContact"
         FROM children c WHERE c.user_id = $1`,
      [childId, userId],
    );
    if (!row) return undefined;
    return {
      childId,
      familyId: row.familyId,
      isSelf: row.isSelf,
      inFamily: row.inFamily,
      childSide: row.isSelf || row.guardian,
      contact: row.contact && !row.isSelf,
      visible: row.isSelf || row.inFamily || row.teaches || row.listedContact,
    };
  }

  /**
   * Logs a refusal as a security event and returns the error to throw. Every refusal decided here goes
   * through it, and so do the few decided elsewhere from state this service does not read (a call's
   * live state, a call plan's turn), so that every refusal is logged in one shape.
   */
  refuse(actor: Actor, error: DomainError, resource: string): DomainError {
    this.logger.warn(
      { event: 'access.refused', actorId: actor.userId, actorKind: actor.kind, resource, status: error.status },
      'access refused',
    );
    return error;
  }
}

/** How the caller stands towards one conversation. */
export interface ConversationAccess {
  conversationId: string;
  kind: string;
  familyId: string | null;
  /** An active member: may write. */
  isMember: boolean;
  /** Sees it only as the guardian of a child in it: may read, not write. */
  asGuardian: boolean;
}

interface ConversationStanding {
  exists: boolean;
  kind: string;
  familyId: string | null;
  member: boolean;
  childBarred: boolean;
  asGuardian: boolean;
}

/** How the sender of one item of a batch of sends stands: a row of sendStandingsSql. */
export interface SendStanding extends ConversationStanding {
  /** The item's place in the batch, from 1. */
  n: string | number;
  /** The sender's sign-in has not ended. */
  live: boolean;
  /** The decision: may this item be stored? (sendRefusal says why not.) */
  maySend: boolean;
  /** On the first item of each conversation: who may receive its messages (as deliverableMembers). */
  recipients: string[] | null;
}

/** Guardians hold a child's and its family's controls; while a family has no guardian, its parents do. */
export function holdsControls(roles: FamilyRole[], hasGuardian: boolean): boolean {
  return roles.includes(FamilyRole.Guardian) || (!hasGuardian && roles.includes(FamilyRole.Parent));
}

/**
 * The parameters $1–$4 of the standings' SQL (standingsSql, sendStandingsSql): the items' user ids,
 * user kinds, session ids and conversation ids. A statement that embeds the SQL passes these first.
 */
export const standingsParams = (items: { actor: Actor; conversationId: string }[]): string[][] => [
  items.map((it) => it.actor.userId),
  items.map((it) => it.actor.kind),
  items.map((it) => it.actor.sessionId),
  items.map((it) => it.conversationId),
];

/**
 * SQL: the access decision for a batch of sends, for a statement that stores what it allows (so
 * that deciding and storing are one round trip; MessagesRepository.sendBatch). One row per item, `n`
 * from 1 in item order, shaped as SendStanding: whether the sign-in is still live (the socket guard's
 * check, folded in so a busy socket costs no extra query), how the sender stands towards the
 * conversation, `maySend` (live, and an active member, and, for a child, every fellow member its
 * approved contact: what sendRefusal and conversationDecision allow), and, on the first item of each
 * conversation, who may receive its messages. Its parameters are $1–$4 (standingsParams).
 */
export const sendStandingsSql = () => `
  SELECT s.*, ${maySendSql('s')} AS "maySend" FROM (${standingsSql(true)}) s`;

/**
 * SQL: whether the sender whose standing is the row `s` may send, from its columns: exactly what
 * sendRefusal (through conversationDecision) allows. Exported for the test that holds the two together.
 */
export const maySendSql = (s: string) => `(${s}.live AND ${s}.exists AND ${s}.member AND NOT ${s}."childBarred")`;

/** SQL: one row per item of standingsParams ($1–$4), in item order: how its actor stands towards its conversation (and, to send, more). */
const standingsSql = (send: boolean) => `
  ${send ? `WITH recipients AS (${deliverableMembersSql('$4')})` : ''}
  SELECT i.n, c.id IS NOT NULL AS exists, c.kind, c.family_id AS "familyId",
         ${send ? `CASE WHEN row_number() OVER (PARTITION BY i.conversation_id ORDER BY i.n) = 1 THEN r.user_ids END AS recipients,` : ''}
         ${send ? `EXISTS (SELECT 1 FROM auth_sessions s WHERE s.id = i.session_id AND s.revoked_at IS NULL) AS live,` : ''}
         (m.user_id IS NOT NULL AND m.removed_at IS NULL) AS member,
         (i.kind = 'child' AND m.user_id IS NOT NULL AND m.removed_at IS NULL AND ch.user_id IS NOT NULL
           AND ${childPairViolation('i.conversation_id', 'ch.user_id', 'ch.family_id')}) AS "childBarred",
         -- a watcher holds the controls of a child in the conversation: mirrors holdsControls
         CASE WHEN c.id IS NULL OR (m.user_id IS NOT NULL AND m.removed_at IS NULL) OR i.kind = 'child' THEN false ELSE
           EXISTS (SELECT 1 FROM conversation_members cm
                     JOIN children kid ON kid.user_id = cm.user_id
                     JOIN family_members g ON g.family_id = kid.family_id AND g.user_id = i.user_id
                    WHERE cm.conversation_id = c.id
                      AND (g.role = 'guardian' OR NOT EXISTS (SELECT 1 FROM family_members g2 WHERE g2.family_id = kid.family_id AND g2.role = 'guardian')))
         END AS "asGuardian"
    FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[]) WITH ORDINALITY AS i(user_id, kind, session_id, conversation_id, n)
    LEFT JOIN conversations c ON c.id = i.conversation_id
    LEFT JOIN conversation_members m ON m.conversation_id = i.conversation_id AND m.user_id = i.user_id
    LEFT JOIN children ch ON ch.user_id = i.user_id
    ${send ? `LEFT JOIN recipients r ON r.conversation_id = i.conversation_id` : ''}
   ORDER BY i.n`;

/**
 * SQL: one row (conversation_id, user_ids) per conversation of the uuid[] parameter `conversationIds`
 * with who may receive its messages: its active members, less any child whose fellow members are
 * not all its approved contacts.
 */
const deliverableMembersSql = (conversationIds: string) => `
  SELECT m.conversation_id, array_agg(m.user_id ORDER BY m.user_id) AS user_ids
    FROM conversation_members m
    LEFT JOIN children ch ON ch.user_id = m.user_id
   WHERE m.conversation_id IN (SELECT unnest(${conversationIds}::uuid[])) AND m.removed_at IS NULL
     AND (ch.user_id IS NULL OR NOT ${childPairViolation('m.conversation_id', 'ch.user_id', 'ch.family_id')})
   GROUP BY m.conversation_id`;

/**
 * SQL: true when the child (`child`, of family `family`) shares conversation `conversation` with an
 * active member who is neither one of its family's children nor an approved contact it has not blocked.
 */
export const childPairViolation = (conversation: string, child: string, family: string) => `EXISTS (
  SELECT 1 FROM conversation_members o
   WHERE o.conversation_id = ${conversation} AND o.user_id <> ${child} AND o.removed_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM children sib WHERE sib.user_id = o.user_id AND sib.family_id = ${family})
     AND (NOT EXISTS (SELECT 1 FROM child_contacts cc WHERE cc.child_id = ${child} AND cc.contact_user_id = o.user_id)
          OR EXISTS (SELECT 1 FROM child_blocks b WHERE b.child_id = ${child} AND b.blocked_user_id = o.user_id)))`;

/** The two sides of a child's call. */
export enum CallSide {
  /** The child and its guardians. */
  Child = 'child',
  /** One approved contact of the child. */
  Contact = 'contact',
}

/** How one person stands towards a child's calls. */
export interface CallStanding {
  childId: string;
  familyId: string;
  isSelf: boolean;
  inFamily: boolean;
  /** The child itself or one of its guardians. */
  childSide: boolean;
  /** An approved contact the child has not blocked. */
  contact: boolean;
  /** Sees the child at all (family, teacher, listed contact): a refusal is a 403, not a 404. */
  visible: boolean;
}

/** Who a call is between, as its record says. */
export interface CallParties {
  id: string;
  childId: string;
  callerId: string | null;
  calleeSide: CallSide;
  calleeId: string | null;
}
