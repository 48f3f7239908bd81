import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../../common/actor';
import { Clock } from '../../common/clock';
import { conflict, invalidField, notFound } from '../../common/errors';
import { updateReturning } from '../../database/sql';
import { Transactions } from '../../database/transaction';
import { AccessService } from '../access/access.service';
import { AuditAction } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { NotificationChannel } from '../notifications/notification.entity';
import { NotificationsService } from '../notifications/notifications.service';
import { NotificationKind } from '../notifications/templates';
import { BlockDto, BlockResponse } from './dto/conversation.dto';
import { ReportMessageDto, ReportResponse } from './dto/message.dto';
import { MessagesRepository } from './messages.repository';

interface ChildController {
  childId: string;
  familyId: string;
  childName: string;
  controllerId: string | null;
}

/**
 * What keeps a child safe in conversations: any member (the child too) can report a message, and the
 * child or its family can block someone. The child's guardians hear of both; both are audited.
 */
@Injectable()
export class SafetyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly access: AccessService,
    private readonly messages: MessagesRepository,
    private readonly notifications: NotificationsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Anyone who can see the message may report it, once; the guardians of every child in the thread are told. */
  async report(actor: Actor, messageId: string, input: ReportMessageDto): Promise<ReportResponse> {
    const message = await this.access.requireMessageVisible(actor, messageId);
    return this.transactions.run(async (em) => {
      const [inserted] = await em.query(
        `INSERT INTO message_reports (message_id, reporter_id, reason) VALUES ($1, $2, $3)
         ON CONFLICT (message_id, reporter_id) DO NOTHING RETURNING id, created_at AS "createdAt"`,
        [messageId, actor.userId, input.reason],
      );
      if (!inserted) {
        const [existing] = await em.query(`SELECT id, created_at AS "createdAt" FROM message_reports WHERE message_id = $1 AND reporter_id = $2`, [
          messageId,
          actor.userId,
        ]);
        return { id: existing.id, messageId, createdAt: new Date(existing.createdAt).toISOString() };
      }
      const reporterName = await this.displayName(em, actor.userId);
      const children = await this.controllersOfChildrenIn(em, message.conversationId);
      const details = { messageId, reportId: inserted.id, conversationId: message.conversationId };
      const childIds = [...new Set(children.map((c) => c.childId))];
      if (childIds.length === 0) await this.audit.record(em, { action: AuditAction.MessageReported, actorId: actor.userId, familyId: message.familyId, details });
      for (const childId of childIds) {
        const child = children.find((c) => c.childId === childId)!;
        await this.audit.record(em, { action: AuditAction.MessageReported, actorId: actor.userId, familyId: child.familyId, childId, details });
      }
      for (const c of children) {
        if (!c.controllerId || c.controllerId === actor.userId) continue;
        await this.notifications.notify(em, {
          userId: c.controllerId,
          kind: NotificationKind.MessageReported,
          params: { reporterName, childName: c.childName },
          channel: NotificationChannel.Socket,
        });
      }
      return { id: inserted.id, messageId, createdAt: new Date(inserted.createdAt).toISOString() };
    });
  }

  /**
   * The child, or an adult of its family, blocks someone the child knows through the service (an
   * approved contact, or someone it shares a thread with). The child leaves every thread with them
   * and may not be put in one again while the block stands. Family members cannot be blocked: they
   * stay the child's contacts while they are in the family.
   */
  async block(actor: Actor, childId: string, input: BlockDto): Promise<BlockResponse> {
    const child = await this.access.requireChildBlocker(actor, childId);
    if (input.userId === childId) throw invalidField('userId', 'a child cannot block itself');
    return this.transactions.run(async (em) => {
      const [target] = await em.query(
        `SELECT u.id, u.display_name AS "displayName",
                EXISTS (SELECT 1 FROM family_members f WHERE f.family_id = $3 AND f.user_id = u.id)
                  OR EXISTS (SELECT 1 FROM children s WHERE s.family_id = $3 AND s.user_id = u.id) AS "inFamily"
           FROM users u
          WHERE u.id = $1
            AND (EXISTS (SELECT 1 FROM child_contacts cc WHERE cc.child_id = $2 AND cc.contact_user_id = u.id)
                 OR EXISTS (SELECT 1 FROM conversation_members a JOIN conversation_members b ON b.conversation_id = a.conversation_id
                             WHERE a.user_id = $2 AND b.user_id = u.id)
                 OR EXISTS (SELECT 1 FROM child_blocks x WHERE x.child_id = $2 AND x.blocked_user_id = u.id))`,
        [input.userId, childId, child.familyId],
      );
      if (!target) throw notFound('Contact');
      if (target.inFamily) throw conflict("This person is in the child's family; family members stay the child's contacts");
      const [inserted] = await em.query(
        `INSERT INTO child_blocks (child_id, blocked_user_id, blocked_by) VALUES ($1, $2, $3) ON CONFLICT (child_id, blocked_user_id) DO NOTHING RETURNING child_id`,
        [childId, input.userId, actor.userId],
      );
      if (inserted) {
        const conversations = await this.messages.removeChildFromThreadsWith(em, childId, input.userId, 'blocked', this.clock.now());
        await this.audit.record(em, {
          action: AuditAction.ChildBlocked,
          actorId: actor.userId,
          familyId: child.familyId,
          childId,
          details: { blockedUserId: input.userId, conversationIds: conversations },
        });
        const name = await this.displayName(em, actor.userId);
        const childName = await this.displayName(em, childId);
        for (const controllerId of await this.controllersOf(em, childId)) {
          if (controllerId === actor.userId) continue;
          await this.notifications.notify(em, {
            userId: controllerId,
            kind: NotificationKind.ChildBlocked,
            params: { name, blockedName: target.displayName, childName },
            channel: NotificationChannel.Socket,
          });
        }
      }
      return (await this.blocksOf(em, childId, input.userId))[0];
    });
  }

  async list(actor: Actor, childId: string): Promise<BlockResponse[]> {
    await this.access.requireChildBlocker(actor, childId);
    return this.blocksOf(this.dataSource.manager, childId);
  }

  /** Lifting a block is a guardian's decision; the child is not put back into threads by it. */
  async unblock(actor: Actor, childId: string, userId: string): Promise<void> {
    const child = await this.access.requireChildControl(actor, childId);
    await this.transactions.run(async (em) => {
      const [removed] = await updateReturning(em, `DELETE FROM child_blocks WHERE child_id = $1 AND blocked_user_id = $2 RETURNING child_id`, [childId, userId]);
      if (!removed) throw notFound('Block');
      await this.audit.record(em, { action: AuditAction.ChildUnblocked, actorId: actor.userId, familyId: child.familyId, childId, details: { blockedUserId: userId } });
    });
  }

  private async blocksOf(em: EntityManager, childId: string, userId?: string): Promise<BlockResponse[]> {
    const rows: { userId: string; displayName: string; blockedBy: string | null; createdAt: Date }[] = await em.query(
      `SELECT b.blocked_user_id AS "userId", u.display_name AS "displayName", b.blocked_by AS "blockedBy", b.created_at AS "createdAt"
         FROM child_blocks b JOIN users u ON u.id = b.blocked_user_id
        WHERE b.child_id = $1 AND ($2::uuid IS NULL OR b.blocked_user_id = $2)
        ORDER BY b.created_at, b.blocked_user_id`,
      [childId, userId ?? null],
    );
    return rows.map((r) => ({ childId, userId: r.userId, displayName: r.displayName, blockedBy: r.blockedBy, createdAt: new Date(r.createdAt).toISOString() }));
  }

  /** Each child who is or was in the conversation, with each of its controllers (guardians; parents while it has none). */
  private controllersOfChildrenIn(em: EntityManager, conversationId: string): Promise<ChildController[]> {
    return em.query(
      `SELECT DISTINCT kid.user_id AS "childId", kid.family_id AS "familyId", ku.display_name AS "childName", g.user_id AS "controllerId"
         FROM conversation_members cm
         JOIN children kid ON kid.user_id = cm.user_id
         JOIN users ku ON ku.id = kid.user_id
         LEFT JOIN family_members g ON g.family_id = kid.family_id
              AND (g.role = 'guardian' OR NOT EXISTS (SELECT 1 FROM family_members g2 WHERE g2.family_id = kid.family_id AND g2.role = 'guardian'))
        WHERE cm.conversation_id = $1
        ORDER BY 1, 4`,
      [conversationId],
    );
  }

  private async controllersOf(em: EntityManager, childId: string): Promise<string[]> {
    const rows: { userId: string }[] = await em.query(
      `SELECT DISTINCT g.user_id AS "userId" FROM children kid JOIN family_members g ON g.family_id = kid.family_id
        WHERE kid.user_id = $1
          AND (g.role = 'guardian' OR NOT EXISTS (SELECT 1 FROM family_members g2 WHERE g2.family_id = kid.family_id AND g2.role = 'guardian'))
        ORDER BY 1`,
      [childId],
    );
    return rows.map((r) => r.userId);
  }

  private async displayName(em: EntityManager, userId: string): Promise<string> {
    const [row] = await em.query(`SELECT display_name AS "displayName" FROM users WHERE id = $1`, [userId]);
    return row?.displayName ?? '';
  }
}

