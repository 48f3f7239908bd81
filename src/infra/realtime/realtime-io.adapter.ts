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
