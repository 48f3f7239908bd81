import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { noteOutboxWrite } from '../../database/transaction';
import { JobName, JobOptions, JobPayloads, queueOf } from './job-catalogue';

/** One job to enqueue with `enqueueMany`. */
export type JobRequest<J extends JobName = JobName> = { job: J; payload: JobPayloads[J] } & JobOptions;

/**
 * The one producer API. Work is written to the outbox inside the caller's transaction, so it exists
 * exactly when the change that causes it commits; the relay moves it to BullMQ (guarantee 5).
 */
@Injectable()
export class Jobs {
  async enqueue<J extends JobName>(em: EntityManager, job: J, payload: JobPayloads[J], options: JobOptions = {}): Promise<void> {
    await this.enqueueMany(em, [{ job, payload, ...options } as JobRequest]);
  }

  /** Many jobs in one statement (a batch of reminders and their notifications). */
  async enqueueMany(em: EntityManager, requests: JobRequest[]): Promise<void> {
    if (requests.length === 0) return;
    for (const { jobId } of requests) if (jobId?.includes(':')) throw new Error(`job id may not contain ':' (${jobId})`);
    await em.query(
      `INSERT INTO outbox (queue, job_name, payload, job_id, run_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::timestamptz[])`,
      [
        requests.map((r) => queueOf[r.job]),
        requests.map((r) => r.job),
        requests.map((r) => JSON.stringify(r.payload)),
        requests.map((r) => r.jobId ?? null),
        requests.map((r) => r.runAt ?? null),
      ],
    );
    noteOutboxWrite(em);
  }
}
