import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Emitter } from '@socket.io/redis-emitter';
import type { Server } from 'socket.io';
import { AppConfig } from '../../config/app-config';
import { createRedis, RedisRole } from '../redis/redis.factory';
import { publishOrDrop } from './publish-or-drop';

export const userRoom = (userId: string) => `user:${userId}`;
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;
export const socketChannelKey = (prefix: string) => `${prefix}-socket.io`;

/**
 * How services reach sockets without importing a gateway. In an API process it uses the local
 * socket.io server (whose Redis adapter forwards to every node); in a worker it uses the Redis emitter.
 * Delivery here is best effort: the database is the record, the socket is the fast path.
 */
@Injectable()
export class RealtimePublisher implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(RealtimePublisher.name);
  private server?: Server;
  private closed = false;
  private emitterClient?: ReturnType<typeof createRedis>;
  private emitter?: Emitter;

  constructor(private readonly config: AppConfig) {}

  attach(server: Server): void {
    this.server = server;
  }

  toUser(userId: string, event: string, data: unknown): void {
    this.safely(() => this.target().to(userRoom(userId)).emit(event, data));
  }

  /**
   * To every socket of every one of the users, on any node; `exceptSocketId` leaves out one socket
   * (the one that sent what this announces: it already has it in its acknowledgement).
   */
  toUsers(userIds: string[], event: string, data: unknown, options: { exceptSocketId?: string } = {}): void {
    if (userIds.length === 0) return;
    const rooms = userIds.map(userRoom);
    this.safely(() => {
      const target = this.target().to(rooms);
      // a socket id is also a room, on whichever node holds the socket
      return (options.exceptSocketId ? target.except(options.exceptSocketId) : target).emit(event, data);
    });
  }

  /** Closes every socket of a login chain (a logout or a revoked device), on whichever node holds it. */
  disconnectSession(sessionId: string): void {
    this.safely(() => this.target().in(sessionRoom(sessionId)).disconnectSockets(true));
  }

  /**
   * Runs before Nest closes the socket.io server and its Redis clients: from here on nothing is
   * published (the database stays the record), so no publish can hit a closed connection.
   */
  beforeApplicationShutdown(): void {
    this.closed = true;
  }

  onApplicationShutdown(): void {
    this.emitterClient?.disconnect();
  }

  private target(): Pick<Server, 'to' | 'in'> {
    if (this.server) return this.server;
    if (!this.emitter) {
      // a burst (a batch of reminders) publishes many events at once: one write carries them all
      const client = createRedis(this.config, RedisRole.Command, 'emitter', { enableAutoPipelining: true });
      this.emitterClient = client;
      const publisher = { publish: publishOrDrop(client, this.logger) };
      this.emitter = new Emitter(publisher, { key: socketChannelKey(this.config.redisPrefix) });
    }
    return this.emitter as unknown as Pick<Server, 'to' | 'in'>;
  }

  private safely(send: () => unknown): void {
    if (this.closed) return;
    try {
      const result = send();
      if (result instanceof Promise) result.catch((err: Error) => this.logger.warn({ err: err.message }, 'realtime publish failed'));
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'realtime publish failed');
    }
  }
}
