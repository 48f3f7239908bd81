/**
 * The server side of bench/messaging.ts, run in its own process so its memory is its own:
 *   messaging-server.ts bare  — a bare socket.io relay: no auth, no database, no Redis
 *   messaging-server.ts full  — the real application (token auth in the handshake, per-event access
 *                               checks, PostgreSQL commit with seq, delivery through the Redis adapter)
 * It reports `{ready, port, tokens?}` over IPC and answers `{cmd: 'rss'}` with its RSS after a GC.
 */
import 'reflect-metadata';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { DataSource } from 'typeorm';
import { createApp } from '../src/app.factory';
import { UserKind } from '../src/common/actor';
import { loadConfig } from '../src/config/app-config';
import { TokensService } from '../src/modules/identity/tokens.service';

type Request = { cmd: 'rss'; id: number } | { cmd: 'stop' };

const send = (message: unknown) => process.send!(message);

/** RSS after full collections, a little apart, so the heap has settled and returned what it freed. */
async function measure(): Promise<number> {
  const gc = (global as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 250));
  }
  return process.memoryUsage().rss;
}

async function bare(): Promise<() => Promise<void>> {
  const http = createServer();
  const io = new Server(http, { path: '/socket.io', serveClient: false, transports: ['websocket'] });
  io.on('connection', (socket) => {
    const id = String(socket.handshake.auth?.id ?? socket.id);
    void socket.join(`user:${id}`);
    socket.on('relay', (payload: { to: string; body: string }, ack?: (answer: unknown) => void) => {
      io.to(`user:${payload.to}`).emit('relay', payload);
      ack?.({ ok: true });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  send({ ready: true, port: (http.address() as AddressInfo).port });
  return async () => {
    io.close();
  };
}

async function full(): Promise<() => Promise<void>> {
  const config = loadConfig({ APP_ROLE: 'api', LOG_LEVEL: 'error', ACCESS_TOKEN_TTL_SECONDS: '3600' });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const userIds = JSON.parse(process.env.BENCH_USER_IDS ?? '[]') as string[];
  const tokens: string[] = [];
  const dataSource = app.get(DataSource);
  const issuer = app.get(TokensService);
  for (const userId of userIds) {
    tokens.push(await dataSource.transaction(async (em) => (await issuer.startSession(em, userId, UserKind.Adult)).accessToken));
  }
  send({ ready: true, port: (app.getHttpServer().address() as AddressInfo).port, tokens });
  return () => app.close();
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  const stop = mode === 'bare' ? await bare() : await full();
  process.on('message', (request: Request) => {
    if (request.cmd === 'rss') void measure().then((rss) => send({ id: request.id, rss }));
    if (request.cmd === 'stop') void stop().finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
