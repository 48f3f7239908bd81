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

  /** Whether each job id is present in the queue (waiting, delayed, active or kept after finishing). */
  async jobsExist(name: QueueName, jobIds: string[]): Promise<boolean[]> {
    const pipeline = this.connection.pipeline();
    for (const id of jobIds) pipeline.exists(`${this.config.redisPrefix}:${name}:${id}`);
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, count]) => {
      if (error) throw error;
      return count === 1;
    });
  }

  all(): Queue[] {
    return Object.values(QueueName).map((name) => this.get(name));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }
}
