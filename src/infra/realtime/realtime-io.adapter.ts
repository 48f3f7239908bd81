import { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { AppConfig } from '../../config/app-config';
import { toProblem } from '../../common/problem';
import { createRedis, RedisRole } from '../redis/redis.factory';
import { RealtimePublisher, sessionRoom, socketChannelKey, userRoom } from './realtime.publisher';

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
    const server: Server = super.createIOServer(port, {
      ...options,
      path: '/socket.io',
      serveClient: false,
      cors: { origin: true, credentials: false },
    });
    const pub = createRedis(this.config, RedisRole.Blocking, 'socket-pub');
    const sub = pub.duplicate();
    sub.on('error', () => undefined);
    this.clients.push(pub, sub);
    server.adapter(createAdapter(pub, sub, { key: socketChannelKey(this.config.redisPrefix) }));
    server.on('connection', (socket: Socket) => throttleEvents(socket));
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

  override async close(server: Server): Promise<void> {
    await super.close(server);
    for (const client of this.clients) client.disconnect();
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
