import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { Actor, UserKind } from '../../common/actor';
import { Clock } from '../../common/clock';
import { AppConfig } from '../../config/app-config';
import { Presence } from '../../infra/realtime/presence';
import { RealtimePublisher } from '../../infra/realtime/realtime.publisher';
import { REDIS_COMMAND } from '../../infra/redis/redis.factory';
import { AccessService, CallSide, FamilyRole } from '../access/access.service';
import { ChildPresenceResponse, FamilyPresenceResponse, PresenceEvent } from './dto/presence.dto';

export const PRESENCE_EVENT = 'presence';
/** The last state told to a user's circle; it only saves repeats, so losing it costs one extra event. */
const ANNOUNCED_TTL_SECONDS = 24 * 3600;

/**
 * Family presence: who is reachable now. The registry of live sockets is Presence (shared with the
 * notification dispatcher); this tells a user's circle — the adults of their families, the children
 * who have them as an approved contact, and for a child its approved contacts — when the user's first
 * socket connects or their last one closes, and answers the current state for a family or a child.
 */
@Injectable()
export class FamilyPresenceService {
  private readonly logger = new Logger(FamilyPresenceService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly access: AccessService,
    private readonly presence: Presence,
    private readonly publisher: RealtimePublisher,
    @Inject(REDIS_COMMAND) private readonly redis: Redis,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** The adults and children of a family with whether each is online, for its members. */
  async forFamily(actor: Actor, familyId: string): Promise<FamilyPresenceResponse> {
    await this.access.requireFamilyVisible(actor, familyId);
    const rows: { userId: string; displayName: string; kind: UserKind; roles: FamilyRole[] }[] = await this.dataSource.query(
      `SELECT u.id AS "userId", u.display_name AS "displayName", u.kind, array_agg(DISTINCT m.role ORDER BY m.role) AS roles
         FROM family_members m JOIN users u ON u.id = m.user_id
        WHERE m.family_id = $1 GROUP BY u.id
       UNION ALL
       SELECT u.id, u.display_name, u.kind, '{}'::text[] FROM children c JOIN users u ON u.id = c.user_id
        WHERE c.family_id = $1 AND ($2::uuid IS NULL OR c.user_id = $2)
        ORDER BY 3, 2`,
      // a child sees its family's adults and itself, as in the presence events it receives
      [familyId, actor.kind === UserKind.Child ? actor.userId : null],
    );
    const online = await this.presence.onlineAmong(rows.map((r) => r.userId));
    return { familyId, members: rows.map((r) => ({ ...r, roles: r.roles ?? [], online: online.has(r.userId) })) };
  }

  /** Whether a child's device is connected, for whoever may call the child (a contact outside the family too). */
  async forChild(actor: Actor, childId: string): Promise<ChildPresenceResponse> {
    await this.access.requireCallSide(actor, childId, CallSide.Contact);
    return { childId, online: await this.presence.isOnline(childId) };
  }

  /** A socket connected. Never throws: presence is a courtesy, never a reason to refuse a connection. */
  async connected(userId: string, socketId: string): Promise<void> {
    try {
      // the session gateway registers the socket too; registering is idempotent, and doing it here
      // means the state below is read after this socket counts, whichever gateway runs first
      await this.presence.connected(userId, socketId);
      await this.announceIfChanged(userId, true);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'presence announcement failed');
    }
  }

  /** A socket closed: tell the circle if it was the user's last anywhere. Never throws. */
  async disconnected(userId: string, socketId: string): Promise<void> {
    try {
      const { changed } = await this.presence.disconnected(userId, socketId);
      if (!changed) return;
      await this.announceIfChanged(userId, false);
      // a socket of the user may have connected on another node in between: if so, say online again
      if (await this.presence.isOnline(userId)) await this.announceIfChanged(userId, true);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'presence announcement failed');
    }
  }

  /** Swaps the announced state in one command, so of two nodes seeing the same change only one tells. */
  private async announceIfChanged(userId: string, online: boolean): Promise<void> {
    const state = online ? 'online' : 'offline';
    const previous = await this.redis.set(`${this.config.redisPrefix}:presence-announced:${userId}`, state, 'EX', ANNOUNCED_TTL_SECONDS, 'GET');
    if (previous === state) return;
    const circle = await this.circleOf(userId);
    if (circle.length === 0) return;
    const event: PresenceEvent = { userId, online, at: this.clock.now().toISOString() };
    this.publisher.toUsers(circle, PRESENCE_EVENT, event);
  }

  /** Who sees a user's presence: the same people who may call or be called by them. */
  private async circleOf(userId: string): Promise<string[]> {
    const rows: { userId: string }[] = await this.dataSource.query(
      `WITH families AS (
         SELECT family_id FROM family_members WHERE user_id = $1
         UNION SELECT family_id FROM children WHERE user_id = $1
       )
       SELECT m.user_id AS "userId" FROM family_members m WHERE m.family_id IN (SELECT family_id FROM families)
       UNION SELECT cc.child_id FROM child_contacts cc WHERE cc.contact_user_id = $1
         AND NOT EXISTS (SELECT 1 FROM child_blocks b WHERE b.child_id = cc.child_id AND b.blocked_user_id = $1)
       UNION SELECT cc.contact_user_id FROM child_contacts cc WHERE cc.child_id = $1
         AND NOT EXISTS (SELECT 1 FROM child_blocks b WHERE b.child_id = $1 AND b.blocked_user_id = cc.contact_user_id)`,
      [userId],
    );
    return rows.map((r) => r.userId).filter((id) => id !== userId);
  }
}
