import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { AppConfig } from '../../config/app-config';
import { createRedis, RedisRole } from '../redis/redis.factory';
import { defaultJobOptions, QueueName } from './job-catalogue';

/** BullMQ queue handles for producers; their connection fails fast so a missing Redis never hangs a caller. */
@Injectable()
export class Queues implements OnApplicationShutdown {
  private readonly connection: ReturnType<typeof createRedis>;
  private readonly queues = new Map<QueueName, Queue>();

  constructor(private readonly config: AppConfig) {
    this.connection = createRedis(config, RedisRole.Command, 'queues');
  }

  get(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.config.redisPrefix, defaultJobOptions });
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Whether each job id is in the queue and has not finished (waiting, delayed, active, or waiting to retry). */
  async jobsPending(name: QueueName, jobIds: string[]): Promise<boolean[]> {
    const pipeline = this.connection.pipeline();
    for (const key of jobIds.map((id) => `${this.config.redisPrefix}:${name}:${id}`)) pipeline.exists(key).hexists(key, 'finishedOn');
    const results = (await pipeline.exec()) ?? [];
    for (const [error] of results) if (error) throw error;
    return jobIds.map((_, i) => results[2 * i][1] === 1 && results[2 * i + 1][1] === 0);
  }

  all(): Queue[] {
    return Object.values(QueueName).map((name) => this.get(name));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }
}
