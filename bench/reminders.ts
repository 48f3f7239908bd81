/**
 * Reminder benchmark (not a test): 10,000 families whose weekly calls all start at the same instant.
 *
 *   npm run bench -- reminders [--families=10000] [--concurrency=16] [--gap=75] [--pool=N] [--bare-concurrency=512] [--profile]
 *
 * 1. Its own database (a clone of the migrated test template, else migrated here) and Redis prefix,
 *    both dropped at the end. `families` + 1 (the lone one) + 200 (calibration) families are seeded with
 *    set-based SQL: parent, guardian, child with consent, contacts, preferences channels = ['socket'].
 * 2. Plan creation throughput: the API app runs in this process (APP_ROLE=api, no workers) and every
 *    plan is proposed by the parent and accepted by the guardian through CallPlansService, `concurrency`
 *    at a time; acceptance books the 8-week horizon and plans its reminders. All plans share a weekday
 *    and local time, so every family's first call starts at one instant T; T is chosen (from a
 *    calibration run on other families) so the 15-minute reminders fall due about `gap` s after the last plan.
 * 3. One worker process (src/worker.ts, APP_ROLE=worker, started before planning as in production)
 *    does the real work: the instant's wake-up jobs (one per lane) send its reminders in batches, each one
 *    transaction (re-check, compare-and-set, notification stored as sent with its socket attempt), then the Redis emitter
 *    publishes their socket events. Lateness per 15-min reminder against its due_at:
 *    reminders.sent_at (job start), the socket attempt's attempted_at, and the moment this process saw
 *    the emitter's publish on Redis (psubscribe on the socket.io channel).
 * 4. Bare baseline in the same run: as many delayed no-op BullMQ jobs due at one instant, run by one
 *    bare Worker in a child process (bench/reminders-bare-worker.ts) with the app's lock settings and
 *    `--bare-concurrency` (512) jobs in flight.
 * 5. A lone family at another instant, when nothing else is due.
 * Progress goes to stderr; figures to stdout. Exits 1 only when a reminder was early, lost or duplicated.
 */
import 'reflect-metadata';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { DateTime } from 'luxon';
import { ChildProcess, fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { configureApp } from '../src/app.factory';
import { AppModule } from '../src/app.module';
import { Actor, UserKind } from '../src/common/actor';
import { AppConfig, loadConfig } from '../src/config/app-config';
import { migrate } from '../src/database/migrate';
import { defaultJobOptions, QueueName, recurringJobs } from '../src/infra/queue/job-catalogue';
import { Queues } from '../src/infra/queue/queues';
import { socketChannelKey } from '../src/infra/realtime/realtime.publisher';
import { NotificationKind } from '../src/modules/notifications/templates';
import { CallPlansService } from '../src/modules/scheduling/call-plans.service';
import { CreateCallPlanDto } from '../src/modules/scheduling/dto/call-plan.dto';
import { OccurrencesService } from '../src/modules/scheduling/occurrences.service';
import { addDays, dayOfWeek, localDateOf, resolveLocal } from '../src/modules/scheduling/recurrence';
import { RemindersService } from '../src/modules/scheduling/reminders.service';
import { databaseUrl, templateDatabaseName, withPgClient } from '../test/setup/test-config';
import type { BareResult } from './reminders-bare-worker';
import { arg, percentile, ROOT, script, SECRETS, sleep, textArg } from './lib/common';

const FAMILIES = arg('families', 10_000);
const CONCURRENCY = arg('concurrency', 16);
const GAP_MS = arg('gap', 90) * 1000;
const POOL = textArg('pool');
const PROFILE = process.argv.includes('--profile');
const CALIBRATION = 300;
/** Calibration plans not counted: the first ones pay for a cold process (JIT, pools). */
const WARM_UP = 100;
const ZONE = 'Asia/Shanghai';
const BARE_QUEUE = 'bench-bare';
/** Jobs in flight in the bare worker: no-op jobs drain fastest with many at once (it is BullMQ's best, not the app's setting). */
const BARE_CONCURRENCY = arg('bare-concurrency', 512);
const MINUTE = 60_000;
/**
 * Planning time = calibrated time × this. The calibration (a fresh process, small tables) has measured
 * 1.4–1.6x slower than the main run on the development machine; the gap absorbs the rest.
 */
const SAFETY = 0.8;

const log = (...parts: unknown[]) => console.error(`[bench ${new Date().toISOString().slice(11, 23)}]`, ...parts);
const iso = (ms: number) => new Date(ms).toISOString();
const ceilMinute = (ms: number) => Math.ceil(ms / MINUTE) * MINUTE;

// ---------------------------------------------------------------------------------------------- figures

interface Dist {
  n: number;
  p50: number;
  p99: number;
  max: number;
  min: number;
}
function dist(values: number[]): Dist {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN, min: sorted[0] ?? NaN };
}
const ms = (v: number, digits = 0) => (Number.isFinite(v) ? `${v.toFixed(digits)} ms` : 'n/a');
const secs = (v: number) => `${(v / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------------------------- CPU

const CLK_TCK = 100;
/** user + system CPU of a process, ms (0 when it is gone). */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}
function machineCpuMs(): { busy: number; total: number } {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const n = values.map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = n[3] + n[4];
  return { busy: ((total - idle) * 1000) / CLK_TCK, total: (total * 1000) / CLK_TCK };
}
interface CpuSnapshot {
  at: number;
  machine: { busy: number; total: number };
  worker: number;
  bench: number;
  postgres: number;
  redis: number;
}
async function cpuSnapshot(db: Client, dbName: string, workerPid: number, redisPid: number): Promise<CpuSnapshot> {
  const { rows } = await db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [dbName]);
  return {
    at: Date.now(),
    machine: machineCpuMs(),
    worker: processCpuMs(workerPid),
    bench: processCpuMs(process.pid),
    // backends of this database only (connections are pooled, so they live through the window)
    postgres: rows.reduce((sum, r) => sum + processCpuMs(r.pid), 0),
    redis: processCpuMs(redisPid),
  };
}
function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): string {
  const wall = b.at - a.at;
  const cores = (x: number) => (x / wall).toFixed(2);
  const ours = b.worker - a.worker + (b.bench - a.bench) + (b.postgres - a.postgres) + (b.redis - a.redis);
  const machine = b.machine.busy - a.machine.busy;
  return (
    `over ${secs(wall)}: worker ${cores(b.worker - a.worker)}, postgres (this db) ${cores(b.postgres - a.postgres)}, ` +
    `redis ${cores(b.redis - a.redis)}, bench/API process ${cores(b.bench - a.bench)}, everything else ${cores(Math.max(0, machine - ours))} ` +
    `(machine busy ${cores(machine)} of ${cpus().length} cores)`
  );
}

// ---------------------------------------------------------------------------------------------- database

/** A clone of the migrated test template when there is one (milliseconds), else an empty database migrated here. */
async function createDatabase(adminUrl: string, name: string, env: Record<string, string>): Promise<string> {
  const template = templateDatabaseName();
  const cloned = await withPgClient(adminUrl, async (c) => {
    const { rowCount } = await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [template]);
    if (!rowCount) return false;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        return true;
      } catch (error) {
        // someone is connected to the template this instant (a test run cloning it): try again shortly
        if ((error as { code?: string }).code !== '55006') throw error;
        await sleep(500);
      }
    }
    return false;
  });
  if (cloned) return `cloned from ${template}`;
  await withPgClient(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  await migrate(loadConfig({ ...env, DATABASE_URL: databaseUrl(adminUrl, name) }), 'up');
  return 'migrated here';
}

interface Family {
  familyId: string;
  parentId: string;
  guardianId: string;
  childId: string;
}

/** Set-based: every table in a handful of statements, whatever the count. */
async function seed(db: Client, count: number, noticeVersion: string): Promise<Family[]> {
  await db.query('BEGIN');
  await db.query(
    `CREATE TEMP TABLE seed ON COMMIT DROP AS
       SELECT g, gen_random_uuid() AS family_id, gen_random_uuid() AS parent_id, gen_random_uuid() AS guardian_id, gen_random_uuid() AS child_id
         FROM generate_series(1, $1::int) g`,
    [count],
  );
  // one parent in ten works abroad and reads English: their reminder is rendered in their own zone and language
  await db.query(
    `INSERT INTO users (id, kind, display_name, phone, password_hash, locale, time_zone)
     SELECT parent_id, 'adult', '家长' || g, '+86139' || lpad(g::text, 8, '0'), 'bench-no-login',
            CASE WHEN g % 10 = 0 THEN 'en' ELSE 'zh-CN' END, CASE WHEN g % 10 = 0 THEN 'Europe/Berlin' ELSE 'Asia/Shanghai' END FROM seed
     UNION ALL
     SELECT guardian_id, 'adult', '奶奶' || g, '+86137' || lpad(g::text, 8, '0'), 'bench-no-login', 'zh-CN', 'Asia/Shanghai' FROM seed
     UNION ALL
     SELECT child_id, 'child', '小明' || g, NULL, NULL, 'zh-CN', 'Asia/Shanghai' FROM seed`,
  );
  await db.query(`INSERT INTO families (id, name, created_by) SELECT family_id, '家' || g, guardian_id FROM seed`);
  await db.query(
    `INSERT INTO family_members (family_id, user_id, role)
     SELECT family_id, parent_id, 'parent' FROM seed UNION ALL SELECT family_id, guardian_id, 'guardian' FROM seed`,
  );
  await db.query(
    `INSERT INTO children (user_id, family_id, birth_year, created_by, consent_given_by, consent_given_at, consent_notice_version)
     SELECT child_id, family_id, 2012 + g % 8, guardian_id, guardian_id, now(), $1 FROM seed`,
    [noticeVersion],
  );
  await db.query(
    `INSERT INTO child_contacts (child_id, contact_user_id, source, approved_by)
     SELECT child_id, parent_id, 'family', guardian_id FROM seed UNION ALL SELECT child_id, guardian_id, 'family', guardian_id FROM seed`,
  );
  await db.query(
    `INSERT INTO notification_preferences (user_id, channels)
     SELECT parent_id, ARRAY['socket'] FROM seed UNION ALL SELECT guardian_id, ARRAY['socket'] FROM seed`,
  );
  const { rows } = await db.query<{ family_id: string; parent_id: string; guardian_id: string; child_id: string }>(
    `SELECT family_id, parent_id, guardian_id, child_id FROM seed ORDER BY g`,
  );
  await db.query('COMMIT');
  await db.query('ANALYZE');
  return rows.map((r) => ({ familyId: r.family_id, parentId: r.parent_id, guardianId: r.guardian_id, childId: r.child_id }));
}

const countOf = async (db: Client, sql: string, params: unknown[] = []): Promise<number> => Number((await db.query<{ n: string }>(sql, params)).rows[0].n);

/** Polls until `done` answers true; returns how long it took, or NaN after `timeoutMs`. */
async function until(done: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await done()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) return NaN;
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------- processes

interface WorkerChild {
  child: ChildProcess;
  stop(): Promise<void>;
  request<T>(message: object, answerKey: string, timeoutMs: number): Promise<T | undefined>;
}

/** The worker as production runs it (compiled, when the bench runs from dist/), its log in .local/. */
function startWorker(env: Record<string, string>, logFile: string): WorkerChild {
  const worker = PROFILE ? script(__dirname, 'reminders-profiled-worker') : script(join(__dirname, '..', 'src'), 'worker');
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...worker.execArgv, worker.file], {
    cwd: ROOT,
    stdio: ['ignore', out, out, 'ipc'],
    env: { PATH: process.env.PATH, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...env, APP_ROLE: 'worker', LOG_LEVEL: 'info' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    request: <T>(message: object, answerKey: string, timeoutMs: number) =>
      new Promise<T | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        const listener = (answer: Record<string, unknown>) => {
          if (!(answerKey in answer)) return;
          clearTimeout(timer);
          child.off('message', listener);
          resolve(answer[answerKey] as T);
        };
        child.on('message', listener);
        child.send(message);
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

interface BareRound extends BareResult {
  due: number;
  addMs: number;
  drainMs: number;
}

/**
 * One bare Worker in a child process: `count` delayed no-op jobs due at one instant, then a single
 * job alone (the floor for the lone reminder).
 */
async function bareBaseline(redisUrl: string, prefix: string, count: number, concurrency: number): Promise<{ burst: BareRound; lone: BareRound }> {
  const bare = script(__dirname, 'reminders-bare-worker');
  const child = fork(bare.file, [], {
    execArgv: bare.execArgv,
    env: {
      PATH: process.env.PATH,
      TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
      REDIS_URL: redisUrl,
      BARE_PREFIX: prefix,
      BARE_QUEUE,
      BARE_CONCURRENCY: String(concurrency),
      BARE_LOCK_MS: '30000',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  child.on('message', (m: Record<string, unknown>) => {
    messages.push(m);
    for (const w of waiters.splice(0)) w();
  });
  const next = async (key: string, timeoutMs: number): Promise<unknown> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = messages.findIndex((m) => key in m);
      if (at >= 0) return messages.splice(at, 1)[0][key];
      if (Date.now() > deadline) throw new Error(`bare worker: no "${key}" within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 250);
      });
    }
  };
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(BARE_QUEUE, { connection, prefix, defaultJobOptions });
  let added = 0;
  // the same job options as the app's queues (attempts, backoff, removeOnComplete)
  const round = async (n: number, leadMs: number): Promise<BareRound> => {
    child.send({ cmd: 'expect', count: n });
    await next('expecting', 10_000);
    const due = Date.now() + leadMs;
    const addStart = Date.now();
    for (let start = 0; start < n; start += 1000) {
      const size = Math.min(1000, n - start);
      await queue.addBulk(
        Array.from({ length: size }, () => ({ name: 'noop', data: { due }, opts: { jobId: `bare-${added++}`, delay: due - Date.now() } })),
      );
    }
    const addMs = Date.now() - addStart;
    if (Date.now() > due - 1000) log(`bare: adding ${n} jobs took ${addMs} ms, close to their due time`);
    const result = (await next('done', 180_000)) as BareResult;
    return { ...result, due, addMs, drainMs: result.lastStart - due };
  };
  try {
    await next('ready', 60_000);
    const burst = await round(count, 8000);
    await sleep(1000);
    const lone = await round(1, 2500);
    return { burst, lone };
  } finally {
    child.send({ cmd: 'stop' });
    await new Promise<void>((r) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        r();
      }, 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        r();
      });
    });
    await queue.close();
    connection.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------- planning

interface PlanTerms {
  daysOfWeek: number[];
  startTime: string;
  startsOn: string;
}
interface PlanRun {
  count: number;
  wallMs: number;
  proposeMs: number[];
  acceptMs: number[];
  /** performance.now() as each plan was accepted. */
  doneAt: number[];
  failures: string[];
}

const adult = (userId: string): Actor => ({ userId, kind: UserKind.Adult, sessionId: randomUUID() });

/** The parent proposes, the guardian accepts; `concurrency` families at a time. */
async function planAll(plans: CallPlansService, families: Family[], terms: PlanTerms, concurrency: number): Promise<PlanRun> {
  const run: PlanRun = { count: 0, wallMs: 0, proposeMs: [], acceptMs: [], doneAt: [], failures: [] };
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, families.length) }, async () => {
      while (next < families.length) {
        const family = families[next++];
        try {
          const t0 = performance.now();
          const input: CreateCallPlanDto = { childId: family.childId, ...terms, durationMinutes: 30, timeZone: ZONE };
          const plan = await plans.propose(adult(family.parentId), input);
          const t1 = performance.now();
          await plans.accept(adult(family.guardianId), plan.id);
          run.proposeMs.push(t1 - t0);
          run.acceptMs.push(performance.now() - t1);
          run.doneAt.push(performance.now());
          run.count++;
        } catch (error) {
          run.failures.push((error as Error).message);
        }
      }
    }),
  );
  run.wallMs = performance.now() - start;
  return run;
}

/** Weekly terms whose first call starts exactly at `startsAt` in ZONE. */
function termsStartingAt(startsAt: number): PlanTerms {
  const localDate = localDateOf(new Date(startsAt), ZONE);
  const startTime = DateTime.fromMillis(startsAt, { zone: ZONE }).toFormat('HH:mm');
  if (resolveLocal(localDate, startTime, ZONE).getTime() !== startsAt) throw new Error(`cannot express ${iso(startsAt)} as a local time in ${ZONE}`);
  return { daysOfWeek: [dayOfWeek(localDate)], startTime, startsOn: localDate };
}

/** Wraps a service method to time every call; production code is untouched. */
function timeCalls<T extends object, K extends keyof T>(target: T, method: K, into: number[]): void {
  const original = (target[method] as unknown as (...args: unknown[]) => Promise<unknown>).bind(target);
  (target as unknown as Record<K, unknown>)[method] = async (...args: unknown[]) => {
    const t = performance.now();
    try {
      return await original(...args);
    } finally {
      into.push(performance.now() - t);
    }
  };
}

// ---------------------------------------------------------------------------------------------- lateness

interface ReminderRow {
  id: string;
  user_id: string;
  state: string;
  due: string;
  sent: string | null;
  notification_id: string | null;
  attempts: number;
  attempted: string | null;
}

interface Lateness {
  expected: number;
  rows: ReminderRow[];
  sent: Dist;
  attempt: Dist;
  publish: Dist;
  problems: string[];
  lastPublish: number;
}

/** The 15-minute reminders due at `due`, with their socket attempts and the publishes seen on Redis. */
async function lateness(db: Client, due: number, expected: number, published: Map<string, number[]>): Promise<Lateness> {
  const { rows } = await db.query<ReminderRow>(
    `SELECT r.id, r.user_id, r.state, extract(epoch FROM r.due_at) * 1000 AS due, extract(epoch FROM r.sent_at) * 1000 AS sent, r.notification_id,
            coalesce(a.n, 0)::int AS attempts, a.first AS attempted
       FROM reminders r
       LEFT JOIN LATERAL (
         SELECT count(*) AS n, extract(epoch FROM min(x.attempted_at)) * 1000 AS first
           FROM notification_attempts x WHERE x.notification_id = r.notification_id AND x.channel = 'socket' AND x.state = 'sent'
       ) a ON true
      WHERE r.offset_minutes = 15 AND r.due_at = $1`,
    [new Date(due)],
  );
  const problems: string[] = [];
  const sent = rows.filter((r) => r.state === 'sent');
  if (rows.length !== expected) problems.push(`${rows.length} reminder rows, expected ${expected}`);
  const notSent = rows.filter((r) => r.state !== 'sent');
  if (notSent.length) problems.push(`lost: ${notSent.length} not sent (${[...new Set(notSent.map((r) => r.state))].join(', ')})`);
  const early = sent.filter((r) => Number(r.sent) < Number(r.due));
  if (early.length) problems.push(`early: ${early.length} sent_at before due_at`);
  const earlyAttempt = sent.filter((r) => r.attempted !== null && Number(r.attempted) < Number(r.due));
  if (earlyAttempt.length) problems.push(`early: ${earlyAttempt.length} socket attempts before due_at`);
  const noNotification = sent.filter((r) => !r.notification_id);
  if (noNotification.length) problems.push(`lost: ${noNotification.length} sent reminders without a notification`);
  const noAttempt = sent.filter((r) => r.notification_id && r.attempts === 0);
  if (noAttempt.length) problems.push(`lost: ${noAttempt.length} notifications never attempted on the socket`);
  const twice = sent.filter((r) => r.attempts > 1);
  if (twice.length) problems.push(`duplicated: ${twice.length} notifications with more than one socket attempt`);
  const publishTimes = sent.map((r) => (r.notification_id ? published.get(r.notification_id) : undefined));
  const publishedTwice = publishTimes.filter((p) => p && p.length > 1).length;
  if (publishedTwice) problems.push(`duplicated: ${publishedTwice} notifications published twice on the socket`);
  const unseen = publishTimes.filter((p) => !p).length;
  const earlyPublish = sent.filter((r, i) => publishTimes[i] && publishTimes[i]![0] < Number(r.due)).length;
  if (earlyPublish) problems.push(`early: ${earlyPublish} publishes before due_at`);
  return {
    expected,
    rows,
    sent: dist(sent.map((r) => Number(r.sent) - Number(r.due))),
    attempt: dist(sent.filter((r) => r.attempted !== null).map((r) => Number(r.attempted) - Number(r.due))),
    publish: dist(sent.flatMap((r, i) => (publishTimes[i] ? [publishTimes[i]![0] - Number(r.due)] : []))),
    problems: unseen ? [...problems, `note: ${unseen} publishes not seen by this process's subscriber (the socket is best effort)`] : problems,
    lastPublish: Math.max(0, ...publishTimes.flatMap((p) => (p ? [p[0]] : []))),
  };
}

/** Where the time of a reminder goes: its instant's wake-up jobs (as BullMQ kept them), its batch's start (sent_at) and its publish. */
async function stages(queues: Queues, rows: ReminderRow[], published: Map<string, number[]>): Promise<{ wakeUps: number; lines: string[] }> {
  const starts = new Map<number, number>();
  let wakeUps = 0;
  for (const job of await queues.get(QueueName.Reminders).getJobs(['completed'], 0, -1)) {
    const dueAt = Date.parse((job.data as { dueAt?: string }).dueAt ?? '');
    if (Number.isNaN(dueAt) || !job.processedOn) continue;
    wakeUps++;
    starts.set(dueAt, Math.min(starts.get(dueAt) ?? Infinity, job.processedOn));
  }
  const parts: Record<string, number[]> = {
    'due → the first wake-up of the instant starts (queue wait)': [],
    'wake-up starts → the reminder batch starts (batches ahead)': [],
    'batch starts → publish seen (re-check, CAS, rows, commit)': [],
  };
  const keys = Object.keys(parts);
  for (const r of rows) {
    const start = starts.get(Number(r.due));
    const pub = r.notification_id ? published.get(r.notification_id)?.[0] : undefined;
    if (start === undefined || r.sent === null || pub === undefined) continue;
    const sent = Number(r.sent);
    [start - Number(r.due), sent - start, pub - sent].forEach((v, i) => parts[keys[i]].push(v));
  }
  return {
    wakeUps,
    lines: keys.map((k) => {
      const d = dist(parts[k]);
      return `  ${k.padEnd(62)} ${ms(d.p50, 1).padStart(11)} ${ms(d.p99, 1).padStart(11)} ${ms(d.max, 1).padStart(11)}`;
    }),
  };
}

// ---------------------------------------------------------------------------------------------- main

async function main(): Promise<number> {
  const started = Date.now();
  const load = loadavg()[0];
  const base = loadConfig({ ...SECRETS });
  const epoch = Math.floor(started / 1000);
  const dbName = `bench_reminders_${epoch}`;
  const prefix = `brem${epoch}`;
  const dbUrl = databaseUrl(base.databaseUrl, dbName);
  const env: Record<string, string> = {
    ...SECRETS,
    NODE_ENV: 'production',
    // production requires an SMS gateway; the bench's families take notifications on the socket only,
    // so none is sent (one that were would fail on this closed port and show in the failures)
    SMS_GATEWAY_URL: 'http://127.0.0.1:9/sms',
    SMS_GATEWAY_SECRET: 'bench-sms-gateway-secret',
    DATABASE_URL: dbUrl,
    REDIS_URL: base.redisUrl,
    REDIS_PREFIX: prefix,
    ...(POOL ? { DATABASE_POOL_SIZE: POOL } : {}),
    // the reminder worker's settings may be tried from the environment: REMINDER_LANES=8 npm run bench -- reminders
    ...Object.fromEntries(['REMINDER_BATCH_MAX', 'REMINDER_LANES'].flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : []))),
  };
  mkdirSync(join(ROOT, '.local'), { recursive: true });
  const workerLog = join(ROOT, '.local', `bench-reminders-worker-${epoch}.log`);

  let app: NestExpressApplication | undefined;
  let worker: WorkerChild | undefined;
  let db: Client | undefined;
  const sub = new Redis(base.redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: false });
  sub.on('error', () => undefined);
  const redisCmd = new Redis(base.redisUrl, { maxRetriesPerRequest: null });
  redisCmd.on('error', () => undefined);
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    const cleanStart = Date.now();
    log('cleaning up: worker, app, Redis keys, database');
    await worker?.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    sub.disconnect();
    redisCmd.disconnect();
    await db?.end().catch(() => undefined);
    const redis = new Redis(base.redisUrl);
    try {
      let cursor = '0';
      do {
        // every key the app and BullMQ write is `<prefix>:…` (socket.io channels are not keys)
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
        if (keys.length) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    await withPgClient(base.databaseUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    log(`cleaned up in ${secs(Date.now() - cleanStart)}`);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143)));

  try {
    // -------------------------------------------------------------------- 1. database, seed
    log(`database ${dbName} (${await createDatabase(base.databaseUrl, dbName, env)}), Redis prefix ${prefix}; machine load ${load.toFixed(2)} on ${cpus().length} CPUs`);
    db = new Client({ connectionString: dbUrl });
    await db.connect();
    const seedStart = Date.now();
    const families = await seed(db, FAMILIES + 1 + CALIBRATION, base.privacyNoticeVersion);
    const main = families.slice(0, FAMILIES);
    const lone = families[FAMILIES];
    const calibration = families.slice(FAMILIES + 1);
    log(`seeded ${families.length} families (${3 * families.length} users) in ${secs(Date.now() - seedStart)}`);

    // the socket path as an API node sees it: every emitter publish on the socket.io channel
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const notepack = require('notepack.io') as { decode(b: Buffer): unknown };
    const published = new Map<string, number[]>();
    sub.on('pmessageBuffer', (_pattern: Buffer, _channel: Buffer, message: Buffer) => {
      const at = Date.now();
      try {
        const [, packet] = notepack.decode(message) as [string, { data?: [string, { id?: string }] }];
        const id = packet?.data?.[1]?.id;
        if (id) published.set(id, [...(published.get(id) ?? []), at]);
      } catch {
        // not a broadcast of ours
      }
    });
    const redisPid = Number(/process_id:(\d+)/.exec(await sub.info('server'))?.[1] ?? 0);
    const redisMemory = async () => Number(/used_memory:(\d+)/.exec(await redisCmd.info('memory'))?.[1] ?? NaN);
    await sub.psubscribe(`${socketChannelKey(prefix)}#/#*`);

    // -------------------------------------------------------------------- 2. worker process, API app
    worker = startWorker(env, workerLog);
    const config: AppConfig = loadConfig({ ...env, APP_ROLE: 'api', LOG_LEVEL: 'warn' });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
    app = configureApp(moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: ['error', 'warn'] }), config);
    await app.listen(0, '127.0.0.1');
    const plans = app.get(CallPlansService);
    const queues = app.get(Queues);
    const materialiseMs: number[] = [];
    const planForMs: number[] = [];
    timeCalls(app.get(OccurrencesService), 'materialise', materialiseMs);
    timeCalls(app.get(RemindersService), 'planFor', planForMs);
    const schedulers = Object.keys(recurringJobs).length;
    const workerUp = await until(async () => (await queues.get(QueueName.Maintenance).getJobSchedulersCount()) >= schedulers, 120_000, 200);
    if (Number.isNaN(workerUp)) throw new Error(`the worker did not start; see ${workerLog}`);
    log(`worker process ${worker.child.pid} up (log: ${workerLog}); API app in this process`);

    const settled = async () =>
      (await countOf(db!, `SELECT (SELECT count(*) FROM outbox) + (SELECT count(*) FROM notifications WHERE state = 'pending') AS n`)) === 0;

    // -------------------------------------------------------------------- 3. calibration, then choose T
    const calTerms = termsStartingAt(resolveLocal(addDays(localDateOf(new Date(), ZONE), 3), '19:30', ZONE).getTime());
    const cal = await planAll(plans, calibration, calTerms, CONCURRENCY);
    if (cal.failures.length) throw new Error(`calibration failed: ${cal.failures[0]}`);
    await until(settled, 60_000);
    const perPlanMs = (cal.doneAt[cal.doneAt.length - 1] - cal.doneAt[WARM_UP - 1]) / (cal.count - WARM_UP);
    const estimateMs = perPlanMs * FAMILIES * SAFETY;
    const due = ceilMinute(Date.now() + estimateMs + GAP_MS + 5000);
    const callAt = due + 15 * MINUTE;
    const terms = termsStartingAt(callAt);
    const startAt = due - GAP_MS - estimateMs;
    // the lone family's call starts a minute before everyone else's: its reminder falls in the quiet gap
    let loneDue = due - MINUTE;
    log(
      `calibration: ${cal.count} plans, ${(1000 / perPlanMs).toFixed(1)}/s after the first ${WARM_UP}; calls at ${iso(callAt)} (${terms.startsOn} ${terms.startTime} ${ZONE}), ` +
        `15-min reminders due ${iso(due)}, the lone family's at ${iso(loneDue)}; planning starts in ${secs(startAt - Date.now())}`,
    );
    const expectedBurst = 2 * main.length;
    let bare: { burst: BareRound; lone: BareRound } | undefined;
    const runBare = async (when: string) => {
      log(`bare baseline (${when}): ${expectedBurst} delayed no-op jobs, one Worker (concurrency ${BARE_CONCURRENCY}) in a child process`);
      const result = await bareBaseline(base.redisUrl, prefix, expectedBurst, BARE_CONCURRENCY);
      log(`bare: drained ${ms(result.burst.drainMs)} after due; a lone bare job ran ${ms(result.lone.handlerLateMs[0])} late`);
      return result;
    };
    let bareWhen = 'after the burst';
    if (startAt - Date.now() > 35_000) {
      bareWhen = 'before planning, while the app was idle';
      bare = await runBare(bareWhen);
    }
    await sleep(startAt - Date.now());
    const loneRun = await planAll(plans, [lone], termsStartingAt(loneDue + 15 * MINUTE), 1);
    if (loneRun.failures.length) throw new Error(`lone plan failed: ${loneRun.failures[0]}`);
    materialiseMs.length = 0;
    planForMs.length = 0;

    // -------------------------------------------------------------------- 4. plan creation throughput
    let outboxPeak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        outboxPeak = Math.max(outboxPeak, await countOf(db!, `SELECT count(*) AS n FROM outbox`));
        await sleep(2000);
      }
    })();
    log(`planning ${FAMILIES} plans, ${CONCURRENCY} at a time`);
    const memoryBefore = await redisMemory();
    const cpuPlanStart = await cpuSnapshot(db, dbName, worker.child.pid!, redisPid);
    const run = await planAll(plans, main, terms, CONCURRENCY);
    const cpuPlanEnd = await cpuSnapshot(db, dbName, worker.child.pid!, redisPid);
    sampling = false;
    await sampler;
    const planEnd = Date.now();
    log(`planned ${run.count} in ${secs(run.wallMs)} (${((run.count * 1000) / run.wallMs).toFixed(1)}/s); ${run.failures.length} failures`);
    if (run.failures.length) log(`first failures: ${[...new Set(run.failures)].slice(0, 3).join(' | ')}`);
    const drainMs = await until(async () => (await countOf(db!, `SELECT count(*) AS n FROM outbox`)) === 0, Math.max(1000, due - Date.now() - 5000));
    const settleMs = await until(settled, Math.max(1000, due - Date.now() - 2000));
    const { rows: planned } = await db.query<{ state: string; n: string }>(
      `SELECT state, count(*) AS n FROM reminders WHERE offset_minutes = 15 AND due_at = $1 GROUP BY state`,
      [new Date(due)],
    );
    const scheduled = Number(planned.find((p) => p.state === 'scheduled')?.n ?? 0);
    const expected = 2 * run.count;
    const delayed = await queues.get(QueueName.Reminders).getDelayedCount();
    const memoryGrowth = (await redisMemory()) - memoryBefore;
    const totals = (
      await db.query<{ occurrences: string; reminders: string }>(
        `SELECT (SELECT count(*) FROM call_occurrences) AS occurrences, (SELECT count(*) FROM reminders) AS reminders`,
      )
    ).rows[0];
    log(
      `outbox drained ${Number.isNaN(drainMs) ? 'NOT in time' : `${secs(drainMs)} after the last plan`} (peak seen ${outboxPeak} rows); ` +
        `${delayed} delayed reminder jobs in Redis; ${scheduled} of ${expected} burst reminders scheduled; due in ${secs(due - Date.now())}`,
    );
    if (scheduled !== expected) log(`WARNING: ${expected - scheduled} reminders were planned after their due time (the planning overran)`);

    // -------------------------------------------------------------------- 5. the lone reminder, in the gap
    const waitForLone = async (loneAt: number) => {
      await sleep(loneAt - Date.now());
      await until(async () => {
        const { rows } = await db!.query(`SELECT notification_id FROM reminders WHERE offset_minutes = 15 AND due_at = $1 AND state = 'sent'`, [new Date(loneAt)]);
        return rows.length === 2 && rows.every((r: { notification_id: string }) => published.has(r.notification_id));
      }, 20_000, 50);
      return lateness(db!, loneAt, 2, published);
    };
    let loneLate: Lateness | undefined;
    let loneWhen = `${secs(loneDue - planEnd)} after the last plan, ${secs(due - loneDue)} before the burst`;
    if (loneDue - planEnd >= 10_000 && Number.isFinite(settleMs)) {
      log(`lone family: reminders due ${iso(loneDue)} (in ${secs(loneDue - Date.now())})`);
      loneLate = await waitForLone(loneDue);
    } else {
      log(`lone family: the planning ran into its due time ${iso(loneDue)}; measuring another lone family after the burst`);
    }

    // -------------------------------------------------------------------- 6. the burst
    await sleep(due - 1000 - Date.now());
    const cpuBefore = await cpuSnapshot(db, dbName, worker.child.pid!, redisPid);
    if (PROFILE) worker.child.send({ cmd: 'profile-start' });
    let doneAt = NaN;
    for (let polls = 0; Date.now() < due + 300_000; polls++) {
      await sleep(250);
      if (Date.now() < due) continue;
      let seen = 0;
      for (const times of published.values()) if (times[0] >= due) seen++;
      if (seen >= scheduled) {
        doneAt = Date.now();
        break;
      }
      if (polls % 8 === 0) {
        const left = await countOf(db, `SELECT count(*) AS n FROM reminders WHERE state = 'scheduled' AND offset_minutes = 15 AND due_at = $1`, [new Date(due)]);
        if (left === 0 && (await countOf(db, `SELECT count(*) AS n FROM notifications WHERE state = 'pending'`)) === 0) {
          doneAt = Date.now();
          break;
        }
      }
    }
    const cpuAfter = await cpuSnapshot(db, dbName, worker.child.pid!, redisPid);
    let profileFile: string | undefined;
    if (PROFILE) {
      mkdirSync(join(ROOT, '.local', 'profiles'), { recursive: true });
      profileFile = await worker.request<string>({ cmd: 'profile-stop', file: join(ROOT, '.local', 'profiles', `reminders-worker-${epoch}.cpuprofile`) }, 'profiled', 30_000);
    }
    await until(settled, 30_000);
    const burst = await lateness(db, due, expected, published);
    const breakdown = await stages(queues, burst.rows, published);
    log(`burst done ${Number.isNaN(doneAt) ? 'NOT within 300 s' : `${secs(doneAt - due)} after due`}; p99 socket publish − due ${ms(burst.publish.p99)}`);

    // -------------------------------------------------------------------- 7. what did not fit before the burst
    if (!bare) bare = await runBare(bareWhen);
    if (!loneLate) {
      loneDue = ceilMinute(Date.now() + 15 * MINUTE + 20_000) - 15 * MINUTE;
      const extra = calibration[0];
      // a calibration family's plan is on another weekday; a second plan of its child at this time does not overlap it
      const again = await planAll(plans, [extra], termsStartingAt(loneDue + 15 * MINUTE), 1);
      if (again.failures.length) throw new Error(`lone plan failed: ${again.failures[0]}`);
      loneWhen = 'after the burst';
      log(`lone family: reminders due ${iso(loneDue)} (in ${secs(loneDue - Date.now())})`);
      loneLate = await waitForLone(loneDue);
    }
    const bareHandler = dist(bare.burst.handlerLateMs);
    const bareBull = dist(bare.burst.bullLateMs);
    const bareLone = dist(bare.lone.handlerLateMs);

    // -------------------------------------------------------------------- 8. whole-run checks
    const dupes = await countOf(
      db,
      `SELECT count(*) AS n FROM (SELECT user_id FROM notifications WHERE kind = $1 GROUP BY user_id HAVING count(*) > 1) d`,
      [NotificationKind.CallReminder],
    );
    const reminderNotifications = await countOf(db, `SELECT count(*) AS n FROM notifications WHERE kind = $1`, [NotificationKind.CallReminder]);
    const sentReminders = await countOf(db, `SELECT count(*) AS n FROM reminders WHERE offset_minutes > 0 AND state = 'sent'`);
    const maintenance = (await queues.get(QueueName.Maintenance).getJobs(['completed', 'failed'], 0, -1))
      .filter((j) => j.processedOn && j.finishedOn)
      .map((j) => ({ name: j.name, start: j.processedOn!, end: j.finishedOn! }));
    const overlapping = (from: number, to: number) =>
      maintenance.filter((m) => m.start <= to && m.end >= from).map((m) => `${m.name} ${iso(m.start).slice(11, 23)}–${iso(m.end).slice(11, 23)}`);
    const burstEnd = Math.max(burst.lastPublish, doneAt || 0);
    const reconcileMs = dist(maintenance.filter((m) => m.name === 'reminders.reconcile').map((m) => m.end - m.start));

    // -------------------------------------------------------------------- 9. figures
    const problems = [
      ...burst.problems.map((p) => `burst: ${p}`),
      ...loneLate.problems.map((p) => `lone: ${p}`),
      ...(dupes ? [`duplicated: ${dupes} users got more than one call reminder`] : []),
      ...(reminderNotifications !== sentReminders ? [`duplicated or lost: ${reminderNotifications} call-reminder notifications for ${sentReminders} sent reminders`] : []),
    ];
    const failures = problems.filter((p) => /early|lost|duplicated|expected/.test(p));
    const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
    const accept = dist(run.acceptMs);
    const propose = dist(run.proposeMs);
    const mat = dist(materialiseMs);
    const pf = dist(planForMs);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const row = (label: string, d: Dist, vsBare = true) =>
      `  ${label.padEnd(46)} ${ms(d.p50).padStart(9)} ${ms(d.p99).padStart(9)} ${ms(d.max).padStart(9)}` +
      (vsBare ? ` ${ratio(d.p99, bareHandler.p99).padStart(9)} ${ratio(d.max, bareHandler.max).padStart(9)}` : '');
    const out: string[] = [];
    out.push('');
    out.push(
      `reminders benchmark: ${run.count} families, ${expected} 15-min reminders due at one instant, one worker process ` +
        `(${config.reminderSending.lanes} wake-up lanes per instant, batches of up to ${config.reminderSending.batch}, DB pool ${config.databasePoolSize}); ${cpus().length} CPUs, load ${load.toFixed(2)} at start`,
    );
    out.push('plan creation (API services in-process, propose + accept, incl. horizon and reminder planning)');
    out.push(`  plans                                          ${run.count} in ${secs(run.wallMs)} = ${((run.count * 1000) / run.wallMs).toFixed(1)} plans/s at concurrency ${CONCURRENCY} (${run.failures.length} failed)`);
    out.push(`  propose latency p50 / p99                      ${ms(propose.p50, 1)} / ${ms(propose.p99, 1)}`);
    out.push(`  accept latency p50 / p99                       ${ms(accept.p50, 1)} / ${ms(accept.p99, 1)}`);
    out.push(
      `  horizon (materialise: 8 weeks + reminders)     p50 ${ms(mat.p50, 1)}, p99 ${ms(mat.p99, 1)}; ${secs(sum(materialiseMs))} of ${secs(sum(run.acceptMs))} accept time ` +
        `(${((100 * sum(materialiseMs)) / sum(run.acceptMs)).toFixed(0)}%)`,
    );
    out.push(`    of which reminder planning (planFor)         p50 ${ms(pf.p50, 1)}, p99 ${ms(pf.p99, 1)}; ${secs(sum(planForMs))}`);
    out.push(
      `  rows written                                   ${totals.occurrences} occurrences, ${totals.reminders} reminders; ${delayed} delayed reminder jobs in Redis ` +
        `(Redis memory +${(memoryGrowth / 1048576).toFixed(0)} MiB); ` +
        `outbox peak ≥ ${outboxPeak}, drained ${Number.isNaN(drainMs) ? 'NOT in time' : secs(drainMs)} after the last plan (settled ${Number.isNaN(settleMs) ? 'no' : secs(settleMs)})`,
    );
    out.push(`  due − last plan                                ${secs(due - planEnd)} (calls at ${iso(callAt)}, reminders due ${iso(due)})`);
    out.push(`  CPU during planning (cores)                    ${cpuBetween(cpuPlanStart, cpuPlanEnd)}`);
    out.push(`15-minute reminder burst: ${burst.sent.n} sent of ${expected}   ${'p50'.padStart(9)} ${'p99'.padStart(9)} ${'max'.padStart(9)} ${'p99/bare'.padStart(9)} ${'max/bare'.padStart(9)}`);
    out.push(row('app: sent_at − due (its batch starts)', burst.sent));
    out.push(row('app: socket attempt − due (the same clock as sent_at)', burst.attempt));
    out.push(row('app: socket publish seen − due', burst.publish));
    out.push(row(`bare: ${bare.burst.handlerLateMs.length} no-op jobs, handler start − due`, bareHandler, false));
    out.push(row('bare: BullMQ processedOn − (timestamp + delay)', bareBull, false));
    out.push(`  burst drained                                  ${Number.isNaN(doneAt) ? 'NOT within 300 s' : `${secs(burstEnd - due)} after due`}; bare drained ${ms(bare.burst.drainMs)} after due (jobs added in ${ms(bare.burst.addMs)})`);
    out.push(`  CPU during the burst (cores)                   ${cpuBetween(cpuBefore, cpuAfter)}`);
    out.push(
      `  CPU per reminder                               worker process ${ms((cpuAfter.worker - cpuBefore.worker) / Math.max(1, burst.sent.n), 2)}, ` +
        `postgres ${ms((cpuAfter.postgres - cpuBefore.postgres) / Math.max(1, burst.sent.n), 2)}; bare worker ${ms(bare.burst.cpuMs / Math.max(1, bare.burst.handlerLateMs.length), 2)} per job`,
    );
    out.push(`  maintenance jobs overlapping the burst         ${overlapping(due - 1000, burstEnd).join(', ') || 'none'}; reconcile runs took p50 ${ms(reconcileMs.p50)}, max ${ms(reconcileMs.max)}`);
    out.push(`where a burst reminder's time goes (${breakdown.wakeUps} wake-up jobs ran)                          p50         p99         max`);
    out.push(...breakdown.lines);
    out.push(`lone family: ${loneLate.sent.n} reminders due at ${iso(loneDue)}             ${'p50'.padStart(9)} ${'p99'.padStart(9)} ${'max'.padStart(9)}`);
    out.push(row('lone: sent_at − due', loneLate.sent, false));
    out.push(row('lone: socket attempt − due', loneLate.attempt, false));
    out.push(row('lone: socket publish seen − due', loneLate.publish, false));
    out.push(row('bare: one no-op job alone, handler start − due', bareLone, false));
    out.push(`  maintenance jobs overlapping the lone reminder ${overlapping(loneDue - 1000, loneDue + 1000).join(', ') || 'none'}`);
    out.push(`  lone reminder measured ${loneWhen}; bare baseline ran ${bareWhen}`);
    const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
    const worst = (a: Dist, b: Dist) => Math.max(a.p99, b.p99);
    const appP99 = worst(burst.attempt, burst.publish);
    const appMax = Math.max(burst.attempt.max, burst.publish.max);
    const loneMax = Math.max(loneLate.attempt.max, loneLate.publish.max);
    out.push('targets (app figure: the later of socket attempt and publish seen)');
    out.push(`  p99 within 1.5x bare                           ${met(appP99 <= 1.5 * bareHandler.p99)}: ${ms(appP99)} vs ${ms(bareHandler.p99)} (${ratio(appP99, bareHandler.p99)})`);
    out.push(`  max within 2x bare                             ${met(appMax <= 2 * bareHandler.max)}: ${ms(appMax)} vs ${ms(bareHandler.max)} (${ratio(appMax, bareHandler.max)})`);
    out.push(`  lone reminder at most 100 ms late              ${met(loneMax <= 100)}: ${ms(loneMax)}`);
    out.push(`  none early, lost or duplicated                 ${failures.length ? `NO — ${failures.join('; ')}` : 'yes'}`);
    for (const note of problems.filter((p) => !failures.includes(p))) out.push(`  ${note}`);
    if (profileFile) out.push(`worker CPU profile of the burst: ${profileFile}`);
    out.push(`total run time ${secs(Date.now() - started)}`);
    console.log(out.join('\n'));
    return failures.length ? 1 : 0;
  } finally {
    await cleanup();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
