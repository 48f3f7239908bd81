import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Job, Worker } from 'bullmq';
import { AppConfig } from '../../config/app-config';
import { createRedis, RedisRole } from '../redis/redis.factory';
import { JOB_HANDLER } from './job-handler.decorator';
import { JobName, QueueName, queueOf, recurringJobs } from './job-catalogue';
import { Queues } from './queues';

/** Jobs in flight per queue and process. */
const CONCURRENCY = 20;

type Handler = (payload: unknown, job: Job) => Promise<unknown>;

export class JobCatalogueError extends Error {}

/** Finds every @HandlesJob method; every job in the catalogue must have exactly one. */
export function collectHandlers(
  discovery: DiscoveryService,
  scanner: MetadataScanner,
  reflector: Reflector,
  catalogue: JobName[] = Object.values(JobName),
): Map<JobName, Handler> {
  const found = new Map<JobName, Handler[]>();
  for (const wrapper of discovery.getProviders()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance || typeof instance !== 'object') continue;
    for (const method of scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
      const fn = instance[method] as ((...args: unknown[]) => Promise<unknown>) | undefined;
      const job = typeof fn === 'function' ? reflector.get<JobName | undefined>(JOB_HANDLER, fn) : undefined;
      if (job) found.set(job, [...(found.get(job) ?? []), fn!.bind(instance) as Handler]);
    }
  }
  const problems: string[] = [];
  for (const job of catalogue) {
    const handlers = found.get(job) ?? [];
    if (handlers.length !== 1) problems.push(`${job}: ${handlers.length} handlers`);
  }
  if (problems.length) throw new JobCatalogueError(`job catalogue is not fully handled: ${problems.join(', ')}`);
  return new Map([...found].map(([job, handlers]) => [job, handlers[0]]));
}

/** Runs one BullMQ worker per queue in worker processes; dispatches each job to its handler. */
@Injectable()
export class WorkerHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHost.name);
  private readonly workers: Worker[] = [];
  private readonly connections: ReturnType<typeof createRedis>[] = [];
  private registration?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly queues: Queues,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const handlers = collectHandlers(this.discovery, this.scanner, this.reflector);
    if (!this.config.runsWorkers) return;
    for (const queue of Object.values(QueueName)) {
      const connection = createRedis(this.config, RedisRole.Blocking, `worker-${queue}`);
      this.connections.push(connection);
      const worker = new Worker(
        queue,
        async (job) => {
          const handler = handlers.get(job.name as JobName);
          if (!handler || queueOf[job.name as JobName] !== queue) throw new Error(`no handler for ${job.name} on ${queue}`);
          return handler(job.data, job);
        },
        {
          connection,
          prefix: this.config.redisPrefix,
          concurrency: CONCURRENCY,
          lockDuration: this.config.workerLockMs,
          stalledInterval: this.config.workerLockMs,
        },
      );
      worker.on('failed', (job, err) =>
        this.logger.warn({ queue, job: job?.name, jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'job failed'),
      );
      worker.on('error', (err) => this.logger.warn({ queue, err: err.message }, 'worker error'));
      this.workers.push(worker);
    }
    this.logger.log(`workers running for ${Object.values(QueueName).join(', ')}`);
    await this.registerRecurringJobs();
    // re-registered every minute: a Redis that lost its data (failover, flush) gets its schedules back
    this.registration = setInterval(() => void this.registerRecurringJobs(), 60_000);
    this.registration.unref();
  }

  /** Upserts are idempotent, so every worker may register them; BullMQ runs each once per tick. */
  private async registerRecurringJobs(): Promise<void> {
    for (const [job, repeat] of Object.entries(recurringJobs) as [JobName, { pattern: string; tz: string }][]) {
      try {
        await this.queues.get(queueOf[job]).upsertJobScheduler(job, repeat, { name: job, data: {} });
      } catch (error) {
        // Redis is away: the next worker start (or this one's reconnect) registers it; nothing is lost meanwhile
        this.logger.warn({ job, err: (error as Error).message }, 'could not register recurring job');
      }
    }
  }

  /** Lets running jobs finish before the process exits. */
  async onApplicationShutdown(): Promise<void> {
    if (this.registration) clearInterval(this.registration);
    await Promise.allSettled(this.workers.map((w) => w.close()));
    // BullMQ leaves connections it was handed open
    for (const connection of this.connections) connection.disconnect();
  }
}
