import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { JobName, JobOptions, JobPayloads, queueOf } from './job-catalogue';

/**
 * The one producer API. Work is written to the outbox inside the caller's transaction, so it exists
 * exactly when the change that causes it commits; the relay moves it to BullMQ (guarantee 5).
 */
@Injectable()
export class Jobs {
  async enqueue<J extends JobName>(em: EntityManager, job: J, payload: JobPayloads[J], options: JobOptions = {}): Promise<void> {
    if (options.jobId?.includes(':')) throw new Error(`job id may not contain ':' (${options.jobId})`);
    await em.query(`INSERT INTO outbox (queue, job_name, payload, job_id, run_at) VALUES ($1, $2, $3, $4, $5)`, [
      queueOf[job],
      job,
      JSON.stringify(payload),
      options.jobId ?? null,
      options.runAt ?? null,
    ]);
  }
}
