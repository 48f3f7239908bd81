/**
 * The server side of bench/messaging.ts, run in its own process so its memory is its own:
 *   messaging-server.ts bare  — a bare socket.io relay: no auth, no database, no Redis
 *   messaging-server.ts full  — the real application (token auth in the handshake, per-event access
 *                               checks, PostgreSQL commit with seq, delivery through the Redis adapter)
 * It reports `{ready, port, tokens?}` over IPC, answers `{cmd: 'memory'}` with its RSS and JS heap
 * after a GC, `{cmd: 'cpu'}` with the CPU time it has used, and `{cmd: 'watched'}` with its event
 * loop's delay and its GC pauses since `{cmd: 'watch'}`. With BENCH_HEAP_PROFILE=<dir> it
 * samples every allocation (those a scavenge or a mark-compact collects included) from start to stop
 * and writes a .heapprofile there (open it in Chrome's DevTools, Memory tab).
 *
 * The bare relay loads socket.io and nothing else (the application is imported only in full mode):
 * memory the application's start-up frees would otherwise be reused by the relay's first sockets and
 * hide what they cost. It runs with the API nodes' own socket.io options.
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { constants as perf, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { SOCKET_SERVER_OPTIONS } from '../src/infra/realtime/socket-options';

type Request = { cmd: 'memory' | 'cpu' | 'watch' | 'watched'; id: number } | { cmd: 'stop' };

/** What the server's event loop went through while watched: its delay, and the GC pauses by kind. */
export interface Watched {
  lagP99: number;
  lagMax: number;
  scavenges: number;
  scavengeP99: number;
  markCompacts: number;
  markCompactMax: number;
  /** Milliseconds of GC pause in all, of every kind. */
  gcTotal: number;
}

const send = (message: unknown) => process.send!(message);

/** RSS and heap after full collections, a little apart, so the heap has settled and returned what it freed. */
async function memory(): Promise<{ rss: number; heapUsed: number }> {
  const gc = (global as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 250));
  }
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

async function bare(): Promise<() => Promise<void>> {
  const http = createServer();
  const io = new Server(http, SOCKET_SERVER_OPTIONS);
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
  const { DataSource } = await import('typeorm');
  const { createApp } = await import('../src/app.factory');
  const { UserKind } = await import('../src/common/actor');
  const { loadConfig } = await import('../src/config/app-config');
  const { TokensService } = await import('../src/modules/identity/tokens.service');
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

/** Watches the event loop's delay and the GC's pauses until `done()` tells them, ms. */
function watch(): { done: () => Watched } {
  const lag = monitorEventLoopDelay({ resolution: 1 });
  const scavenges: number[] = [];
  const markCompacts: number[] = [];
  let gcTotal = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      gcTotal += entry.duration;
      if (kind === perf.NODE_PERFORMANCE_GC_MINOR) scavenges.push(entry.duration);
      if (kind === perf.NODE_PERFORMANCE_GC_MAJOR) markCompacts.push(entry.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  lag.enable();
  return {
    done: () => {
      lag.disable();
      observer.disconnect();
      scavenges.sort((a, b) => a - b);
      return {
        lagP99: lag.percentile(99) / 1e6,
        lagMax: lag.max / 1e6,
        scavenges: scavenges.length,
        scavengeP99: scavenges[Math.max(0, Math.ceil(0.99 * scavenges.length) - 1)] ?? 0,
        markCompacts: markCompacts.length,
        markCompactMax: Math.max(0, ...markCompacts),
        gcTotal,
      };
    },
  };
}

/** Samples allocations (every 32 KiB on average), collected ones included, until the returned function writes them out. */
async function heapProfile(dir: string, mode: string): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${mode}-${process.pid}.heapprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  const profiled = process.env.BENCH_HEAP_PROFILE ? await heapProfile(process.env.BENCH_HEAP_PROFILE, mode) : undefined;
  const close = mode === 'bare' ? await bare() : await full();
  const stop = async () => {
    await profiled?.();
    await close();
  };
  let watching: ReturnType<typeof watch> | undefined;
  process.on('message', (request: Request) => {
    if (request.cmd === 'watch') {
      watching = watch();
      send({ id: request.id });
    }
    if (request.cmd === 'watched') send({ id: request.id, ...watching?.done() });
    if (request.cmd === 'memory') void memory().then((answer) => send({ id: request.id, ...answer }));
    if (request.cmd === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ id: request.id, cpuMicros: user + system });
    }
    if (request.cmd === 'stop') void stop().finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
