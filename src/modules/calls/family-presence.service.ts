import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { Actor, UserKind } from '../../common/actor';
import { Clock } from '../../common/clock';
import { AppConfig } from '../../config/app-config';
import { Presence } from '../../infra/realtime/presence';
import { RealtimePublisher } from '../../infra/realtime/realtime.publisher';
import { REDIS_COMMAND } from '../../infra/redis/redis.factory';
import { AccessService, CallSide } from '../access/access.service';
import { ChildPresenceResponse, FamilyPresenceResponse, PresenceEvent } from './dto/presence.dto';
import { PresenceRepository } from './presence.repository';

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
    private readonly people: PresenceRepository,
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
    // a child sees its family's adults and itself, as in the presence events it receives
    const people = await this.people.familyPeople(familyId, actor.kind === UserKind.Child ? actor.userId : null);
    const online = await this.presence.onlineAmong(people.map((p) => p.userId));
    return { familyId, members: people.map((p) => ({ ...p, online: online.has(p.userId) })) };
  }

  /** Whether a child's device is connected, for whoever may call the child (a contact outside the family too). */
  async forChild(actor: Actor, childId: string): Promise<ChildPresenceResponse> {
    await this.access.requireCallSide(actor, childId, CallSide.Contact);
    return { childId, online: await this.presence.isOnline(childId) };
  }

  /** A socket connected. Never throws: presence is a courtesy, never a reason to refuse a connection. */
  async connected(userId: string, socketId: string): Promise<void> {
    try {
      // the one registration of the socket; the state below is read after it counts
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
    const circle = await this.people.circleOf(userId);
    if (circle.length === 0) return;
    const event: PresenceEvent = { userId, online, at: this.clock.now().toISOString() };
    this.publisher.toUsers(circle, PRESENCE_EVENT, event);
  }
}
