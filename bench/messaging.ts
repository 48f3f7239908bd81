/**
 * Messaging benchmark (not a test): the full path (token auth, per-event access check, PostgreSQL
 * commit with a per-conversation seq, delivery through the Redis adapter) next to a bare socket.io
 * relay (no auth, no database), driven by the same load generator in the same run.
 *
 *   npm run bench -- messaging [--sockets=1000] [--inflight=1000] [--seconds=10] [--rate=5000]
 *                              [--rate-seconds=10] [--max-sockets=5000] [--hold=600] [--history=200]
 *                              [--rounds=2] [--only=full|bare] [--profile] [--heap-profile]
 *                              [--node-flags=--a-v8-flag,--another]
 *
 * Figures, each for the full path, the bare relay and their ratio:
 *   - delivered messages/s at saturation: `sockets` sockets in pairs, `inflight` messages in flight
 *     (a sender sends its next message when its partner received the previous one);
 *   - p50 / p99 delivery latency (send → partner's receipt) at a fixed `rate` messages/s;
 *   - server RSS per authenticated idle socket from `sockets` to `max-sockets` (and the JS heap's part
 *     of it, a cross-check: RSS can hide growth in memory the process had freed before), and the RSS
 *     growth over a `hold`-second idle hold;
 *   - the server's CPU time per delivered message at saturation (less sensitive than throughput to
 *     other work on the machine), next to this generator's, PostgreSQL's, Redis's and the whole
 *     machine's (from /proc), which tell what a message costs end to end;
 *   - this generator's own event-loop delay at the fixed rate (it reads the deliveries' times).
 * Each server runs in its own process (bench/messaging-server.ts), so its memory is its own; the
 * memory figures come from one server and the load figures from others (see memoryOf()). The load
 * runs in `rounds` rounds, bare and full alternating (see main()).
 * `--profile` writes each server's CPU profile, `--heap-profile` its sampled allocations, to .local/profiles;
 * `--node-flags` adds node or V8 flags to both servers' (`--trace-gc-nvp` prints every GC's phases).
 */
import { ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { io, Socket } from 'socket.io-client';
import { loadConfig } from '../src/config/app-config';
import { migrate } from '../src/database/migrate';
import { databaseUrl, withPgClient } from '../test/setup/test-config';
import { arg, percentile, script, SECRETS, sleep, textArg } from './lib/common';
import type { Watched } from './messaging-server';

type Mode = 'bare' | 'full';

const SOCKETS = arg('sockets', 1000);
const IN_FLIGHT = arg('inflight', 1000);
const SECONDS = arg('seconds', 10);
const RATE = arg('rate', 5000);
const RATE_SECONDS = arg('rate-seconds', 10);
const MAX_SOCKETS = arg('max-sockets', 5000);
const HOLD_SECONDS = arg('hold', 600);
const HISTORY = arg('history', 200);
const ROUNDS = arg('rounds', 2);
const ONLY = textArg('only');
const PROFILE = process.argv.includes('--profile');
const HEAP_PROFILE = process.argv.includes('--heap-profile');
const WARMUP_MS = 2000;

const log = (...parts: unknown[]) => console.error('[bench]', ...parts);

interface Server {
  process: ChildProcess;
  port: number;
  tokens: string[];
  /** RSS and JS heap in use after a full GC, bytes. */
  memory(): Promise<{ rss: number; heapUsed: number }>;
  /** CPU time (user + system) the server process has used so far, µs. */
  cpuMicros(): Promise<number>;
  /** Starts watching the server's event loop and GC; `watched()` answers what they went through since. */
  watch(): Promise<void>;
  watched(): Promise<Watched>;
  stop(): Promise<void>;
}

/**
 * The V8 flags `npm start` runs the API with (package.json): both servers, the full path and the bare
 * relay, run with them, so the two are measured alike and as deployed.
 */
const API_NODE_FLAGS = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));

/** What both servers run with: npm start's flags, then `--node-flags` (comma-separated, for trying a V8 flag: a later flag wins). */
const SERVER_NODE_FLAGS = [...API_NODE_FLAGS, ...(textArg('node-flags')?.split(',').filter((flag) => flag !== '') ?? [])];

function startServer(mode: Mode, env: Record<string, string>): Promise<Server> {
  const server = script(__dirname, 'messaging-server');
  const child = fork(server.file, [mode], {
    execArgv: ['--expose-gc', ...SERVER_NODE_FLAGS, ...(PROFILE ? ['--cpu-prof', '--cpu-prof-dir=.local/profiles'] : []), ...server.execArgv],
    env: { ...process.env, ...env, ...(HEAP_PROFILE ? { BENCH_HEAP_PROFILE: '.local/profiles' } : {}) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const ask = <T>(cmd: string): Promise<T> =>
    new Promise((done) => {
      const id = ++nextId;
      const listener = (answer: { id?: number } & T) => {
        if (answer.id !== id) return;
        child.off('message', listener);
        done(answer);
      };
      child.on('message', listener);
      child.send({ cmd, id });
    });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
    child.once('message', (message: { ready: boolean; port: number; tokens?: string[] }) => {
      resolve({
        process: child,
        port: message.port,
        tokens: message.tokens ?? [],
        memory: () => ask<{ rss: number; heapUsed: number }>('memory'),
        cpuMicros: async () => (await ask<{ cpuMicros: number }>('cpu')).cpuMicros,
        watch: async () => void (await ask('watch')),
        watched: () => ask<Watched>('watched'),
        stop: () =>
          new Promise((done) => {
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.send({ cmd: 'stop' });
          }),
      });
    });
  });
}

/** One simulated device: whom it talks to and how it says it. */
interface Peer {
  socket: Socket;
  /** Bare: its own id and its partner's; full: its user and the pair's conversation. */
  self: string;
  partner: string;
  conversationId?: string;
  /** Starts its messages' clientMsgIds: the same in every round would make a later round's sends duplicates. */
  msgPrefix: string;
  counter: number;
}

async function connectPeers(mode: Mode, server: Server, count: number, offset: number, pairs: Pair[]): Promise<Peer[]> {
  const peers: Peer[] = [];
  // this call's sockets name their messages apart from any earlier server's on the same database
  const tag = randomBytes(3).toString('hex');
  const batch = 100;
  for (let start = 0; start < count; start += batch) {
    const made = await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, (_, j) => {
        const k = offset + start + j;
        const pair = pairs[Math.floor(k / 2) % pairs.length];
        const first = k % 2 === 0;
        const self = first ? pair.a : pair.b;
        const partner = first ? pair.b : pair.a;
        const auth = mode === 'bare' ? { id: self } : { token: server.tokens[(first ? 2 * pairs.indexOf(pair) : 2 * pairs.indexOf(pair) + 1) % server.tokens.length] };
        const socket = io(`http://127.0.0.1:${server.port}`, { path: '/socket.io', transports: ['websocket'], reconnection: false, forceNew: true, auth });
        return new Promise<Peer>((resolve, reject) => {
          socket.once('connect', () => resolve({ socket, self, partner, conversationId: pair.conversationId, msgPrefix: `${self.slice(0, 8)}-${tag}`, counter: 0 }));
          socket.once('connect_error', reject);
        });
      }),
    );
    peers.push(...made);
  }
  return peers;
}

function sendFrom(mode: Mode, peer: Peer, onAck: (ok: boolean) => void): void {
  const body = performance.now().toFixed(3);
  peer.counter++;
  if (mode === 'bare') peer.socket.emit('relay', { to: peer.partner, from: peer.self, body }, (a: { ok: boolean }) => onAck(a.ok));
  else
    peer.socket.emit('message:send', { conversationId: peer.conversationId, clientMsgId: `${peer.msgPrefix}-${peer.counter}`, kind: 'text', body }, (a: { ok: boolean }) =>
      onAck(a.ok),
    );
}

/** Calls `handler(sentAt)` when this peer receives a message from its partner (not its own echo). */
function onDelivered(mode: Mode, peer: Peer, handler: (sentAt: number) => void): void {
  if (mode === 'bare') peer.socket.on('relay', (m: { from: string; body: string }) => m.from === peer.partner && handler(Number(m.body)));
  else peer.socket.on('message:new', (m: { senderId: string; body: string }) => m.senderId === peer.partner && handler(Number(m.body)));
}


/**
 * CPU time the whole machine has spent busy so far (every process: servers, PostgreSQL, Redis, this
 * generator), µs, from /proc/stat; NaN where there is none. With the generator's and the server's own
 * it shows where a message's CPU goes, and what is left for the server on a machine this busy.
 */
function machineBusyMicros(): number {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    return ((user + nice + system + irq + softirq + steal) * 1e6) / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/** CPU time (user + system) of every process named `comm` so far (postgres, redis-server), µs; NaN without /proc. */
function processesCpuMicros(comm: string): number {
  let ticks = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        if (stat.slice(stat.indexOf('(') + 1, close) !== comm) continue;
        const fields = stat.slice(close + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
      } catch {
        // the process ended meanwhile
      }
    }
  } catch {
    return NaN;
  }
  return (ticks * 1e6) / 100;
}

const ownCpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

interface Saturation {
  perSecond: number;
  refused: number;
  /** CPU µs per delivered message: the server's, this generator's, and the whole machine's. */
  cpuPerMessage: number;
  generatorCpuPerMessage: number;
  postgresCpuPerMessage: number;
  redisCpuPerMessage: number;
  machineCpuPerMessage: number;
  /** Cores the machine kept busy on average. */
  busyCores: number;
}

async function saturation(mode: Mode, server: Server, peers: Peer[]): Promise<Saturation> {
  const byId = new Map(peers.map((p) => [p.self, p]));
  let delivered = 0;
  let refused = 0;
  let running = true;
  const perPeer = Math.max(1, Math.round(IN_FLIGHT / peers.length));
  for (const peer of peers) {
    onDelivered(mode, peer, () => {
      delivered++;
      // the partner's message arrived: the partner sends its next one (closed loop, constant in flight)
      if (running) sendFrom(mode, byId.get(peer.partner)!, (ok) => ok || refused++);
    });
  }
  for (const peer of peers) for (let i = 0; i < perPeer; i++) sendFrom(mode, peer, (ok) => ok || refused++);
  await sleep(WARMUP_MS);
  const from = delivered;
  const cpuFrom = await server.cpuMicros();
  const [ownFrom, pgFrom, redisFrom, machineFrom] = [ownCpuMicros(), processesCpuMicros('postgres'), processesCpuMicros('redis-server'), machineBusyMicros()];
  const started = performance.now();
  await sleep(SECONDS * 1000);
  const cpuTo = await server.cpuMicros();
  const [ownTo, pgTo, redisTo, machineTo] = [ownCpuMicros(), processesCpuMicros('postgres'), processesCpuMicros('redis-server'), machineBusyMicros()];
  const elapsedMs = performance.now() - started;
  const count = delivered - from;
  running = false;
  await sleep(1500);
  for (const peer of peers) peer.socket.off(mode === 'bare' ? 'relay' : 'message:new');
  return {
    perSecond: (count * 1000) / elapsedMs,
    refused,
    cpuPerMessage: (cpuTo - cpuFrom) / count,
    generatorCpuPerMessage: (ownTo - ownFrom) / count,
    postgresCpuPerMessage: (pgTo - pgFrom) / count,
    redisCpuPerMessage: (redisTo - redisFrom) / count,
    machineCpuPerMessage: (machineTo - machineFrom) / count,
    busyCores: (machineTo - machineFrom) / 1000 / elapsedMs,
  };
}

interface FixedRate {
  /** Every delivery's latency, ms, ascending, and their p50 and p99. */
  latencies: number[];
  p50: number;
  p99: number;
  achieved: number;
  /** This generator's own event-loop delay while measuring, p99 and max, ms: a late generator reads late deliveries. */
  generatorLagP99: number;
  generatorLagMax: number;
  /** The server's event loop and GC meanwhile. */
  server: Watched;
}

async function fixedRate(mode: Mode, server: Server, peers: Peer[]): Promise<FixedRate> {
  const latencies: number[] = [];
  let measuring = false;
  let delivered = 0;
  for (const peer of peers) {
    onDelivered(mode, peer, (sentAt) => {
      if (!measuring) return;
      delivered++;
      latencies.push(performance.now() - sentAt);
    });
  }
  // open loop on the clock, not on timer ticks: a late tick sends what is owed, so the offered rate holds
  const begun = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const owed = Math.floor((RATE * (performance.now() - begun)) / 1000) - sent;
    for (let i = 0; i < owed; i++) sendFrom(mode, peers[sent++ % peers.length], () => undefined);
  }, 2);
  await sleep(WARMUP_MS);
  measuring = true;
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  await server.watch();
  const started = performance.now();
  await sleep(RATE_SECONDS * 1000);
  measuring = false;
  const watched = await server.watched();
  lag.disable();
  const achieved = (delivered * 1000) / (performance.now() - started);
  clearInterval(timer);
  await sleep(1500);
  for (const peer of peers) peer.socket.off(mode === 'bare' ? 'relay' : 'message:new');
  latencies.sort((a, b) => a - b);
  return { latencies, p50: percentile(latencies, 50), p99: percentile(latencies, 99), achieved, generatorLagP99: lag.percentile(99) / 1e6, generatorLagMax: lag.max / 1e6, server: watched };
}

interface Memory {
  perSocketKiB: number;
  heapPerSocketKiB: number;
  holdGrowthPct: number;
  /** The JS heap's growth over the hold: what the sockets keep, without the young generation's pages RSS counts. */
  heapHoldGrowthPct: number;
  samples: string[];
}

/** The memory figures of a side not measured (no hold, or skipped with --only). */
const NO_MEMORY: Memory = { perSocketKiB: NaN, heapPerSocketKiB: NaN, holdGrowthPct: NaN, heapHoldGrowthPct: NaN, samples: [] };

/** Least-squares slope over every step: one noisy reading does not make the figure. */
function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  return points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
}

async function memory(
  mode: Mode,
  server: Server,
  peers: Peer[],
  pairs: Pair[],
): Promise<Memory> {
  await sleep(2000);
  const first = await server.memory();
  const points: [number, number][] = [[peers.length, first.rss]];
  const heapPoints: [number, number][] = [[peers.length, first.heapUsed]];
  const step = 1000;
  while (peers.length < MAX_SOCKETS) {
    peers.push(...(await connectPeers(mode, server, Math.min(step, MAX_SOCKETS - peers.length), peers.length, pairs)));
    await sleep(1000);
    const { rss, heapUsed } = await server.memory();
    points.push([peers.length, rss]);
    heapPoints.push([peers.length, heapUsed]);
  }
  const perSocketKiB = slope(points) / 1024;
  const heapPerSocketKiB = slope(heapPoints) / 1024;
  const n = points.length;
  log(`${mode}: holding ${peers.length} idle sockets for ${HOLD_SECONDS} s`);
  const holdStart = points[n - 1][1];
  const heapHoldStart = heapPoints[n - 1][1];
  const deadline = Date.now() + HOLD_SECONDS * 1000;
  while (Date.now() < deadline) await sleep(Math.min(60_000, deadline - Date.now()));
  const { rss: holdEnd, heapUsed: heapHoldEnd } = await server.memory();
  const connected = peers.filter((p) => p.socket.connected).length;
  if (connected !== peers.length) log(`${mode}: ${peers.length - connected} sockets dropped during the hold`);
  const samples = [...points.map(([x, y]) => `${x}:${(y / 1048576).toFixed(1)}MiB`), `after hold:${(holdEnd / 1048576).toFixed(1)}MiB`];
  return {
    perSocketKiB,
    heapPerSocketKiB,
    holdGrowthPct: ((holdEnd - holdStart) / holdStart) * 100,
    heapHoldGrowthPct: ((heapHoldEnd - heapHoldStart) / heapHoldStart) * 100,
    samples,
  };
}

interface Pair {
  a: string;
  b: string;
  conversationId?: string;
}

/**
 * A fresh, migrated database with SOCKETS/2 two-adult families, each with its family thread holding
 * HISTORY earlier messages, and statistics, as a service that has been running has: on empty tables
 * the plans PostgreSQL caches per connection would be made for empty tables, and go stale as the run
 * fills them faster than autovacuum looks.
 */
async function seed(adminUrl: string): Promise<{ url: string; name: string; pairs: Pair[]; userIds: string[] }> {
  const name = `hl_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  await withPgClient(adminUrl, (admin) => admin.query(`CREATE DATABASE "${name}"`));
  const url = databaseUrl(adminUrl, name);
  await migrate(loadConfig({ ...SECRETS, DATABASE_URL: url }), 'up');
  const pairs = await withPgClient(url, async (db) => {
    const n = SOCKETS / 2;
    const { rows: users } = await db.query<{ id: string }>(
      `INSERT INTO users (kind, display_name, phone, password_hash)
       SELECT 'adult', 'bench ' || g, '+86139' || lpad(g::text, 8, '0'), 'not-a-login' FROM generate_series(1, $1::int) g RETURNING id`,
      [2 * n],
    );
    const ids = users.map((u) => u.id);
    const made: Pair[] = [];
    for (let i = 0; i < n; i++) {
      const [a, b] = [ids[2 * i], ids[2 * i + 1]];
      const { rows: family } = await db.query<{ id: string }>(`INSERT INTO families (name, created_by) VALUES ($1, $2) RETURNING id`, [`bench ${i}`, a]);
      await db.query(`INSERT INTO family_members (family_id, user_id, role) VALUES ($1, $2, 'parent'), ($1, $3, 'guardian')`, [family[0].id, a, b]);
      const { rows: conversation } = await db.query<{ id: string }>(`INSERT INTO conversations (kind, family_id, created_by) VALUES ('family', $1, $2) RETURNING id`, [
        family[0].id,
        a,
      ]);
      await db.query(`INSERT INTO conversation_members (conversation_id, user_id) VALUES ($1, $2), ($1, $3)`, [conversation[0].id, a, b]);
      made.push({ a, b, conversationId: conversation[0].id });
    }
    // each thread's history, its two members taking turns
    await db.query(
      `INSERT INTO messages (conversation_id, seq, client_msg_id, sender_id, kind, body, created_at)
       SELECT p.conversation_id, g, 'history-' || g, CASE WHEN g % 2 = 0 THEN p.a ELSE p.b END, 'text', '早上好 ' || g, now() - make_interval(mins => $4 - g)
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS p(conversation_id, a, b)
        CROSS JOIN generate_series(1, $4::int) g`,
      [made.map((p) => p.conversationId), made.map((p) => p.a), made.map((p) => p.b), HISTORY],
    );
    await db.query(`UPDATE conversations SET last_seq = $1`, [HISTORY]);
    await db.query('ANALYZE');
    return made;
  });
  return { url, name, pairs, userIds: pairs.flatMap((p) => [p.a, p.b]) };
}

interface Figures extends Saturation, FixedRate, Memory {}

/** What one load round measured on one server: saturation, then the fixed rate. */
type Load = Saturation & FixedRate;

/** The load figures of one round, each on a fresh server of its own. */
async function load(mode: Mode, env: Record<string, string>, pairs: Pair[]): Promise<Load> {
  return onServer(mode, env, benchPairs(mode, pairs), async (server, peers) => {
    log(`${mode}: saturation with ${IN_FLIGHT} in flight for ${SECONDS} s`);
    const sat = await saturation(mode, server, peers);
    log(`${mode}: ${sat.perSecond.toFixed(0)} msg/s; fixed ${RATE} msg/s for ${RATE_SECONDS} s`);
    const lat = await fixedRate(mode, server, peers);
    log(`${mode}: p50 ${lat.p50.toFixed(2)} ms, p99 ${lat.p99.toFixed(2)} ms`);
    return { ...sat, ...lat };
  });
}

/**
 * The rounds' figures as one: percentiles of every round's latencies together, the largest of each
 * maximum (a field named …Max), the refused sends of all rounds, the mean of every other figure.
 */
function combine(rounds: Load[]): Load {
  const merge = (values: Record<string, unknown>[]): Record<string, unknown> =>
    Object.fromEntries(
      Object.keys(values[0]).map((key) => {
        const of = values.map((v) => v[key]);
        if (typeof of[0] === 'object' && of[0] !== null && !Array.isArray(of[0])) return [key, merge(of as Record<string, unknown>[])];
        if (typeof of[0] !== 'number') return [key, of[0]];
        const numbers = of as number[];
        const sum = numbers.reduce((a, b) => a + b, 0);
        return [key, key.endsWith('Max') ? Math.max(...numbers) : key === 'refused' ? sum : sum / numbers.length];
      }),
    );
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  return { ...(merge(rounds as unknown as Record<string, unknown>[]) as unknown as Load), latencies, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/**
 * Memory on a server of its own that carries no traffic, so no garbage of the load blurs it (the load
 * runs on others, because the memory readings force full GCs: atomic mark-compacts of a heap holding
 * thousands of sockets leave V8 measuring a GC speed that makes it grow the old generation by only
 * 1.1–1.4 times under load, a mark-compact every 2–3 s, which no server in service does).
 */
async function memoryOf(mode: Mode, env: Record<string, string>, pairs: Pair[]): Promise<Memory> {
  if (HOLD_SECONDS < 0 || MAX_SOCKETS <= SOCKETS) return NO_MEMORY;
  const paired = benchPairs(mode, pairs);
  return onServer(mode, env, paired, (server, peers) => memory(mode, server, peers, paired));
}

/** The order of a load round: the bare relay first in even rounds (from 0), the full path first in odd ones. */
const bareFirst = (round: number): boolean => round % 2 === 0;

/** The bare relay's sockets name themselves; the full path's are the seeded users. */
const benchPairs = (mode: Mode, pairs: Pair[]): Pair[] => (mode === 'bare' ? pairs.map((_, i) => ({ a: `a${i}`, b: `b${i}` })) : pairs);

/** Starts a server, connects SOCKETS sockets to it, does the work (which may connect more), then closes them all and stops it. */
async function onServer<T>(mode: Mode, env: Record<string, string>, pairs: Pair[], work: (server: Server, peers: Peer[]) => Promise<T>): Promise<T> {
  const server = await startServer(mode, env);
  log(`${mode}: server on port ${server.port}; connecting ${SOCKETS} sockets`);
  const peers = await connectPeers(mode, server, SOCKETS, 0, pairs);
  await sleep(1000);
  const result = await work(server, peers);
  for (const peer of peers) peer.socket.close();
  await sleep(500);
  await server.stop();
  return result;
}

/**
 * Seeds its own database, then measures the load in ROUNDS rounds, the bare relay and the full path
 * each on a fresh server, in the order bare, full, full, bare, … so that both sides meet the same
 * machine (its speed drifts by tens of percent over minutes) and the same generator; then the memory
 * of each on servers of their own. Prints the figures: the load's combined over the rounds.
 */
async function main(): Promise<void> {
  const config = loadConfig(SECRETS);
  log(`seeding ${SOCKETS / 2} conversations of two`);
  const db = await seed(config.databaseUrl);
  const prefix = `bench${randomBytes(3).toString('hex')}`;
  const envs: Record<Mode, Record<string, string>> = {
    bare: {},
    full: { ...SECRETS, DATABASE_URL: db.url, REDIS_PREFIX: prefix, BENCH_USER_IDS: JSON.stringify(db.userIds) },
  };
  const modes = (['bare', 'full'] as Mode[]).filter((mode) => ONLY === undefined || ONLY === mode);
  try {
    const rounds: Record<Mode, Load[]> = { bare: [], full: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of bareFirst(round) ? modes : [...modes].reverse()) rounds[mode].push(await load(mode, envs[mode], db.pairs));
    }
    const memories: Partial<Record<Mode, Memory>> = {};
    for (const mode of modes) memories[mode] = await memoryOf(mode, envs[mode], db.pairs);
    const skipped: Figures = { perSecond: NaN, refused: 0, cpuPerMessage: NaN, generatorCpuPerMessage: NaN, postgresCpuPerMessage: NaN, redisCpuPerMessage: NaN, machineCpuPerMessage: NaN, busyCores: NaN, latencies: [], p50: NaN, p99: NaN, achieved: NaN, generatorLagP99: NaN, generatorLagMax: NaN, server: { lagP99: NaN, lagMax: NaN, scavenges: NaN, scavengeP99: NaN, markCompacts: NaN, markCompactMax: NaN, gcTotal: NaN }, ...NO_MEMORY };
    const figures = (mode: Mode): Figures => ({ ...skipped, ...(rounds[mode].length ? combine(rounds[mode]) : {}), ...memories[mode] });
    const [bare, full] = [figures('bare'), figures('full')];
    // a figure not measured (no bare figure for it, or a side skipped with --only) prints as —, without a ratio
    const shown = (v: number | null, unit: string, digits: number) => (v === null || Number.isNaN(v) ? '—' : `${v.toFixed(digits)} ${unit}`);
    const row = (figure: string, f: number, b: number | null, unit: string, digits = 1) =>
      `${figure.padEnd(44)} ${shown(f, unit, digits).padStart(14)} ${shown(b, unit, digits).padStart(14)}` +
      (b === null || Number.isNaN(b) || Number.isNaN(f) ? '' : ` ${(f / b).toFixed(2).padStart(7)}x`);
    console.log('');
    console.log(
      `messaging benchmark: ${SOCKETS} sockets in pairs, ${IN_FLIGHT} in flight, fixed rate ${RATE}/s, ${SOCKETS}→${MAX_SOCKETS} idle sockets, hold ${HOLD_SECONDS} s; load figures over ${ROUNDS} round(s) (means; latency percentiles of all rounds' deliveries); servers run with ${SERVER_NODE_FLAGS.join(' ') || 'no V8 flags'}`,
    );
    console.log(`${'figure'.padEnd(44)} ${'full path'.padStart(14)} ${'bare relay'.padStart(14)} ${'ratio'.padStart(8)}`);
    console.log(row('delivered messages/s at saturation', full.perSecond, bare.perSecond, '/s', 0));
    console.log(row('server CPU per delivered message', full.cpuPerMessage, bare.cpuPerMessage, 'µs', 0));
    console.log(row('  load generator CPU per message', full.generatorCpuPerMessage, bare.generatorCpuPerMessage, 'µs', 0));
    // the bare relay uses neither: their processes idle through its run
    console.log(row('  PostgreSQL CPU per message', full.postgresCpuPerMessage, null, 'µs', 0));
    console.log(row('  Redis CPU per message', full.redisCpuPerMessage, null, 'µs', 0));
    console.log(row('  whole machine CPU per message', full.machineCpuPerMessage, bare.machineCpuPerMessage, 'µs', 0));
    console.log(row('  machine busy at saturation', full.busyCores, bare.busyCores, 'cores', 2));
    console.log(row(`p50 delivery latency at ${RATE}/s`, full.p50, bare.p50, 'ms', 2));
    console.log(row(`p99 delivery latency at ${RATE}/s`, full.p99, bare.p99, 'ms', 2));
    console.log(row(`delivered at the fixed rate`, full.achieved, bare.achieved, '/s', 0));
    console.log(row(`  server's event-loop delay, p99`, full.server.lagP99, bare.server.lagP99, 'ms', 2));
    console.log(row(`  server's event-loop delay, max`, full.server.lagMax, bare.server.lagMax, 'ms', 2));
    console.log(row(`  server's scavenges (young GC)`, full.server.scavenges, bare.server.scavenges, '', 1));
    console.log(row(`  server's scavenge pause, p99`, full.server.scavengeP99, bare.server.scavengeP99, 'ms', 2));
    console.log(row(`  server's mark-compacts (full GC)`, full.server.markCompacts, bare.server.markCompacts, '', 1));
    console.log(row(`  server's longest mark-compact pause`, full.server.markCompactMax, bare.server.markCompactMax, 'ms', 2));
    console.log(row(`  server's GC pauses in all`, full.server.gcTotal, bare.server.gcTotal, 'ms', 0));
    console.log(row(`  load generator's event-loop delay, p99`, full.generatorLagP99, bare.generatorLagP99, 'ms', 2));
    console.log(row(`  load generator's event-loop delay, max`, full.generatorLagMax, bare.generatorLagMax, 'ms', 2));
    console.log(row(`RSS per idle socket (${SOCKETS}→${MAX_SOCKETS})`, full.perSocketKiB, bare.perSocketKiB, 'KiB', 1));
    console.log(row(`  of which JS heap in use`, full.heapPerSocketKiB, bare.heapPerSocketKiB, 'KiB', 1));
    console.log(row(`RSS growth over a ${HOLD_SECONDS} s idle hold`, full.holdGrowthPct, bare.holdGrowthPct, '%', 2));
    console.log(row(`  JS heap in use, growth over the hold`, full.heapHoldGrowthPct, bare.heapHoldGrowthPct, '%', 2));
    console.log(`refused sends at saturation, all rounds: full ${full.refused}, bare ${bare.refused}`);
    // each round on its own, in the order run: a round whose relay drifted shows here, not only in the means
    for (let round = 0; round < ROUNDS; round++) {
      const [f, b] = [rounds.full[round], rounds.bare[round]];
      const side = (name: string, l: Load | undefined) =>
        l ? `${name} ${l.perSecond.toFixed(0)} /s, p99 ${l.p99.toFixed(2)} ms, ${l.server.scavenges} scavenges, ${l.server.markCompacts} mark-compacts` : `${name} —`;
      const ratio = f && b ? `; ${(f.perSecond / b.perSecond).toFixed(2)}x, p99 ${(f.p99 / b.p99).toFixed(2)}x` : '';
      console.log(`round ${round + 1} (${bareFirst(round) ? 'bare first' : 'full first'}): ${side('full', f)}; ${side('bare', b)}${ratio}`);
    }
    console.log(`RSS samples (sockets:RSS): full ${full.samples.join(' ')}; bare ${bare.samples.join(' ')}`);
  } finally {
    await withPgClient(config.databaseUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${db.name}" WITH (FORCE)`));
  }
}

main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
