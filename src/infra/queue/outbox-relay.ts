import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock';
import { Transactions } from '../../database/transaction';
import { QueueName } from './job-catalogue';
import { Queues } from './queues';

interface OutboxRow {
  id: string;
  queue: QueueName;
  job_name: string;
  payload: Record<string, unknown>;
  job_id: string | null;
  run_at: Date | null;
}

const BATCH = 500;
const MAX_BACKOFF_MS = 5000;

/**
 * Moves committed outbox rows into BullMQ, oldest first, retrying until Redis answers. Rows are locked
 * with SKIP LOCKED, so every process may run a relay; a row is deleted only after BullMQ accepted it,
 * and its job id is deterministic, so a crash between the two re-adds the same job, not a second one.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer?: NodeJS.Timeout;
  private running = false;
  private wakeRequested = false;
  private stopped = false;
  private failures = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: Queues,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    transactions: Transactions,
  ) {
    transactions.onOutboxCommit(() => this.wake());
  }

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Called after a transaction that wrote to the outbox commits, so new work leaves at once instead of at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    if (this.failures === 0) this.schedule(0);
  }

  /** Publishes one batch; returns how many rows left the outbox. Throws when Redis refuses. */
  async relayBatch(): Promise<number> {
    return this.dataSource.transaction(async (em) => {
      const rows: OutboxRow[] = await em.query(
        `SELECT id, queue, job_name, payload, job_id, run_at FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [BATCH],
      );
      if (rows.length === 0) return 0;
      const now = this.clock.now().getTime();
      const byQueue = new Map<QueueName, OutboxRow[]>();
      for (const row of rows) byQueue.set(row.queue, [...(byQueue.get(row.queue) ?? []), row]);
      try {
        for (const [queue, batch] of byQueue) {
          await this.queues.get(queue).addBulk(
            batch.map((row) => ({
              name: row.job_name,
              data: row.payload,
              opts: {
                jobId: row.job_id ?? `outbox-${row.id}`,
                delay: row.run_at ? Math.max(0, new Date(row.run_at).getTime() - now) : undefined,
              },
            })),
          );
        }
      } catch (error) {
        await em.query(`UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])`, [
          rows.map((r) => r.id),
          String((error as Error).message).slice(0, 500),
        ]);
        // commit the attempt count, then report the failure to the loop
        return -1;
      }
      await em.query(`DELETE FROM outbox WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }

  /** Rows still waiting; reported by /health/ready and /metrics. */
  async backlog(): Promise<number> {
    const [{ count }] = await this.dataSource.query(`SELECT count(*)::int AS count FROM outbox`);
    return count;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), delayMs);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    this.wakeRequested = false;
    let next = this.config.outboxPollMs;
    try {
      const moved = await this.relayBatch();
      if (moved < 0) throw new Error('queue unavailable');
      if (this.failures > 0) this.logger.log('queue reachable again; outbox draining');
      this.failures = 0;
      if (moved === BATCH || this.wakeRequested) next = 0;
    } catch (error) {
      if (this.failures === 0) this.logger.warn({ err: error }, 'outbox relay cannot reach the queue; will retry');
      this.failures += 1;
      next = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.failures, 6));
    } finally {
      this.running = false;
    }
    this.schedule(next);
  }
}
