import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { REDIS_COMMAND } from '../redis/redis.factory';

/** Each node re-announces its own sockets this often. */
export const PRESENCE_HEARTBEAT_MS = 30_000;
/** A socket not re-announced for this long is gone (its node crashed or lost Redis). */
export const PRESENCE_TTL_MS = 90_000;

/** What a connect or disconnect changed for the user, so a caller can tell their family. */
export interface PresenceChange {
  userId: string;
  /** This connect was the user's first live socket, or this disconnect their last. */
  changed: boolean;
}

/**
 * Who has a live socket, across every API node, kept in Redis: one sorted set per user whose members
 * are socket ids scored with their last heartbeat. Each node refreshes the sockets it holds every 30 s,
 * so the sockets of a node that died stop counting 90 s later and its keys expire on their own.
 *
 * Presence only chooses a channel (socket now, SMS now); it is never a reason to fail. When Redis
 * cannot answer, everyone is offline: a user then gets an SMS they did not need, never no message.
 */
@Injectable()
export class Presence implements OnApplicationShutdown {
  private readonly logger = new Logger(Presence.name);
  /** The sockets this node holds: socket id → user id. */
  private readonly local = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private lastFailureLog = 0;

  constructor(
    @Inject(REDIS_COMMAND) private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  /** Records a socket that just connected. Never throws. */
  async connected(userId: string, socketId: string): Promise<PresenceChange> {
    this.local.set(socketId, userId);
    this.startHeartbeat();
    const key = this.key(userId);
    const now = Date.now();
    try {
      const results = await this.redis
        .multi()
        .zcount(key, now - PRESENCE_TTL_MS, '+inf')
        .zadd(key, now, socketId)
        .zremrangebyscore(key, '-inf', now - PRESENCE_TTL_MS)
        .pexpire(key, PRESENCE_TTL_MS)
        .exec();
      return { userId, changed: Number(results?.[0]?.[1] ?? 0) === 0 };
    } catch (error) {
      this.failed(error, 'connect');
      return { userId, changed: false };
    }
  }

  /** Forgets a socket that closed. Never throws. */
  async disconnected(userId: string, socketId: string): Promise<PresenceChange> {
    this.local.delete(socketId);
    if (this.local.size === 0) this.stopHeartbeat();
    const key = this.key(userId);
    try {
      const results = await this.redis
        .multi()
        .zrem(key, socketId)
        .zcount(key, Date.now() - PRESENCE_TTL_MS, '+inf')
        .exec();
      return { userId, changed: Number(results?.[1]?.[1] ?? 1) === 0 };
    } catch (error) {
      this.failed(error, 'disconnect');
      return { userId, changed: false };
    }
  }

  /** Whether the user has a live socket on any node; false when Redis cannot say. */
  async isOnline(userId: string): Promise<boolean> {
    return (await this.onlineAmong([userId])).has(userId);
  }

  /** Those of `userIds` with a live socket on any node; none when Redis cannot say. */
  async onlineAmong(userIds: string[]): Promise<Set<string>> {
    const unique = [...new Set(userIds)];
    if (unique.length === 0) return new Set();
    const since = Date.now() - PRESENCE_TTL_MS;
    try {
      const pipeline = this.redis.pipeline();
      for (const userId of unique) pipeline.zcount(this.key(userId), since, '+inf');
      const results = (await pipeline.exec()) ?? [];
      return new Set(unique.filter((_, i) => !results[i]?.[0] && Number(results[i]?.[1]) > 0));
    } catch (error) {
      this.failed(error, 'lookup');
      return new Set();
    }
  }

  /** Re-announces every socket this node holds and drops expired ones of the same users. */
  async heartbeat(): Promise<void> {
    if (this.local.size === 0) return;
    const now = Date.now();
    const pipeline = this.redis.pipeline();
    const users = new Set<string>();
    for (const [socketId, userId] of this.local) {
      pipeline.zadd(this.key(userId), now, socketId);
      users.add(userId);
    }
    for (const userId of users) {
      pipeline.zremrangebyscore(this.key(userId), '-inf', now - PRESENCE_TTL_MS);
      pipeline.pexpire(this.key(userId), PRESENCE_TTL_MS);
    }
    try {
      await pipeline.exec();
    } catch (error) {
      this.failed(error, 'heartbeat');
    }
  }

  /** A node going down takes its sockets with it at once instead of 90 s later. */
  async onApplicationShutdown(): Promise<void> {
    this.stopHeartbeat();
    if (this.local.size === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [socketId, userId] of this.local) pipeline.zrem(this.key(userId), socketId);
    this.local.clear();
    await pipeline.exec().catch(() => undefined);
  }

  private key(userId: string): string {
    return `${this.config.redisPrefix}:presence:user:${userId}`;
  }

  private startHeartbeat(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.heartbeat(), PRESENCE_HEARTBEAT_MS);
    this.timer.unref();
  }

  private stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One warning a minute at most: an outage would otherwise log once per message. */
  private failed(error: unknown, during: string): void {
    const now = Date.now();
    if (now - this.lastFailureLog < 60_000) return;
    this.lastFailureLog = now;
    this.logger.warn({ err: (error as Error).message, during }, 'presence unavailable; users count as offline');
  }
}

/**
 * Global, so family presence (which registers each socket) and the notification dispatcher share one
 * instance per process (the one that knows this node's sockets).
 */
@Global()
@Module({ providers: [Presence], exports: [Presence] })
export class PresenceModule {}
