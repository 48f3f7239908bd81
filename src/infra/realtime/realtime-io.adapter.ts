import { INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type Redis from 'ioredis';
import { isObservable, Observable } from 'rxjs';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { AppConfig } from '../../config/app-config';
import { toProblem } from '../../common/problem';
import { createRedis, RedisRole } from '../redis/redis.factory';
import { createBatchingAdapter } from './batching-redis-adapter';
import { coalesceWrites } from './coalesce-writes';
import { OwnEchoParser } from './own-echo-parser';
import { publishOrDrop } from './publish-or-drop';
import { RealtimePublisher, sessionRoom, socketChannelKey, userRoom } from './realtime.publisher';
import { SOCKET_SERVER_OPTIONS } from './socket-options';

export interface SocketIdentity {
  userId: string;
  sessionId: string;
}

export type SocketAuthenticator = (token: unknown) => Promise<SocketIdentity & Record<string, unknown>>;

/**
 * socket.io with the Redis adapter (events reach a user on any node) and authentication in the
 * handshake: Nest guards do not run on connection, so a bad token is refused here, before `connect`.
 */
export class RealtimeIoAdapter extends IoAdapter {
  private readonly logger = new Logger(RealtimeIoAdapter.name);
  private readonly clients: ReturnType<typeof createRedis>[] = [];

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly authenticate: SocketAuthenticator,
    private readonly publisher: RealtimePublisher,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server: Server = super.createIOServer(port, { ...options, ...SOCKET_SERVER_OPTIONS });
    // the publisher fails fast (its broadcasts are dropped while Redis is away, see publishOrDrop); the
    // adapter publishes a tick's broadcasts (a committed batch's messages) as one message
    // (BatchingRedisAdapter), so there is nothing left for ioredis to auto-pipeline, and with it on, the
    // frames' Buffers outlived two young GCs and died in the old generation: their bytes then counted as
    // external memory until a full GC, and that pressure alone started a mark-compact every few seconds
    // under load. The subscriber reconnects and resubscribes for as long as it takes.
    const pub = createRedis(this.config, RedisRole.Command, 'socket-pub');
    pub.publish = publishOrDrop(pub, this.logger) as Redis['publish'];
    const sub = createRedis(this.config, RedisRole.Blocking, 'socket-sub');
    this.clients.push(pub, sub);
    // one adapter per namespace, each registering its uid with the shared parser
    server.adapter(createBatchingAdapter(pub, sub, { key: socketChannelKey(this.config.redisPrefix), parser: new OwnEchoParser() }));
    server.on('connection', (socket: Socket) => {
      throttleEvents(socket);
      coalesceWrites(socket);
    });
    server.use((socket: Socket, next) => {
      this.authenticate(socket.handshake.auth?.token)
        .then((identity) => {
          socket.data.actor = identity;
          void socket.join([userRoom(identity.userId), sessionRoom(identity.sessionId)]);
          next();
        })
        .catch((error: unknown) => {
          const problem = toProblem(error);
          next(Object.assign(new Error(problem.title), { data: { status: problem.status, title: problem.title, detail: problem.detail } }));
        });
    });
    this.publisher.attach(server);
    return server;
  }

  /**
   * Nest's IoAdapter binds every gateway handler to every socket through an rxjs pipeline (fromEvent,
   * mergeMap, takeUntil the disconnect, subscribe): about 36 subscribers and 200 closures per socket,
   * most of what an idle socket cost. One plain listener per handler does the same work: it runs the
   * handler Nest built (guards, pipes, filters) and answers through the acknowledgement, or with the
   * `{event, data}` the handler returned; nothing is answered to a socket that has closed meanwhile.
   */
  override bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[], _transform: (data: unknown) => Observable<unknown>): void {
    for (const { message, callback, isAckHandledManually } of handlers) {
      socket.on(message as string, (...args: unknown[]) => {
        // the payload as rxjs' fromEvent hands it to Nest: the one argument, or all of them
        const { data, ack } = this.mapPayload(args.length > 1 ? args : args[0]);
        const answer = (response: unknown) => {
          if (response === undefined || response === null || !socket.connected) return;
          const reply = response as { event?: string; data?: unknown };
          if (reply.event) socket.emit(reply.event, reply.data);
          else if (!isAckHandledManually && typeof ack === 'function') ack(response);
        };
        Promise.resolve(callback(data, ack))
          .then((result) => (isObservable(result) ? void result.subscribe({ next: answer, error: (error) => this.unanswered(message, error) }) : answer(result)))
          .catch((error: unknown) => this.unanswered(message, error));
      });
    }
  }

  override async close(server: Server): Promise<void> {
    await super.close(server);
    for (const client of this.clients) client.disconnect();
  }

  /** The handler's exception filter answers errors; one that escapes it is logged, never thrown. */
  private unanswered(message: unknown, error: unknown): void {
    this.logger.warn({ err: (error as Error)?.message, event: String(message) }, 'socket event failed outside its filter');
  }
}

/** Events a socket may send per second (burst) before it is throttled. */
export const SOCKET_EVENTS_PER_SECOND = 50;

/**
 * A token bucket per socket, in memory on the node that holds it: a socket flooding events gets a 429
 * in its acknowledgement (and no processing) while every other socket goes on at full speed.
 */
function throttleEvents(socket: Socket): void {
  let tokens = SOCKET_EVENTS_PER_SECOND;
  let refilledAt = Date.now();
  socket.use((packet, next) => {
    const now = Date.now();
    tokens = Math.min(SOCKET_EVENTS_PER_SECOND, tokens + ((now - refilledAt) / 1000) * SOCKET_EVENTS_PER_SECOND);
    refilledAt = now;
    if (tokens >= 1) {
      tokens -= 1;
      return next();
    }
    const ack = packet[packet.length - 1];
    if (typeof ack === 'function') {
      ack({ ok: false, error: { status: 429, title: 'Too many requests', detail: 'Slow down: too many events from this connection', code: 'rate_limited' } });
    }
  });
}
