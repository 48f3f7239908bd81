/**
 * The bare side of bench/reminders.ts (not a benchmark on its own): one BullMQ Worker in its own
 * process, with the lock and connection settings of the app's WorkerHost and many jobs in flight, whose handler
 * does nothing but note how late it started. The parent forks it, then for each round sends
 * {cmd: 'expect', count}, adds that many delayed jobs itself and gets {done: BareResult} back over IPC
 * once they all ran. {cmd: 'stop'} closes the worker.
 *
 * Env: REDIS_URL, BARE_PREFIX, BARE_QUEUE, BARE_CONCURRENCY, BARE_LOCK_MS.
 */
import { Job, Worker } from 'bullmq';
import Redis from 'ioredis';

export interface BareResult {
  /** Date.now() at handler start − the due instant the parent put in the job (ms). */
  handlerLateMs: number[];
  /** BullMQ's own view: processedOn − (timestamp + delay) (ms). */
  bullLateMs: number[];
  /** First and last handler start of the round, ms since epoch. */
  firstStart: number;
  lastStart: number;
  /** CPU this process used from the round's first job to its last. */
  cpuMs: number;
}

const connection = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null, enableReadyCheck: false });
connection.on('error', () => undefined);
const lockMs = Number(process.env.BARE_LOCK_MS ?? 30_000);

let expected = Infinity;
let round: BareResult & { cpuAtFirst?: NodeJS.CpuUsage } = fresh();
function fresh(): BareResult & { cpuAtFirst?: NodeJS.CpuUsage } {
  return { handlerLateMs: [], bullLateMs: [], firstStart: Infinity, lastStart: 0, cpuMs: 0 };
}

const worker = new Worker(
  process.env.BARE_QUEUE!,
  async (job: Job<{ due: number }>) => {
    const now = Date.now();
    round.cpuAtFirst ??= process.cpuUsage();
    round.firstStart = Math.min(round.firstStart, now);
    round.lastStart = Math.max(round.lastStart, now);
    round.handlerLateMs.push(now - job.data.due);
    round.bullLateMs.push((job.processedOn ?? now) - (job.timestamp + (job.opts.delay ?? 0)));
    if (round.handlerLateMs.length === expected) {
      const cpu = process.cpuUsage(round.cpuAtFirst);
      const { cpuAtFirst: _, ...result } = { ...round, cpuMs: (cpu.user + cpu.system) / 1000 };
      round = fresh();
      expected = Infinity;
      process.send!({ done: result });
    }
  },
  {
    connection,
    prefix: process.env.BARE_PREFIX,
    concurrency: Number(process.env.BARE_CONCURRENCY ?? 20),
    lockDuration: lockMs,
    stalledInterval: lockMs,
  },
);
worker.on('error', () => undefined);

void worker.waitUntilReady().then(() => process.send!({ ready: true }));

process.on('message', (message: { cmd?: string; count?: number }) => {
  if (message.cmd === 'expect') {
    round = fresh();
    expected = message.count!;
    process.send!({ expecting: expected });
  } else if (message.cmd === 'stop') {
    void worker.close().finally(() => {
      connection.disconnect();
      process.exit(0);
    });
  }
});
