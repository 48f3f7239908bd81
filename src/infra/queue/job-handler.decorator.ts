import { SetMetadata } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JobName } from './job-catalogue';

export const JOB_HANDLER = 'homeline:job-handler';

/** Marks the one method that processes a job. Throw to retry with backoff; return to finish. */
export const HandlesJob = (job: JobName) => SetMetadata(JOB_HANDLER, job);

/** True when the queue will not retry after this attempt (BullMQ counts attempts already made). */
export const isFinalAttempt = (job: Pick<Job, 'attemptsMade' | 'opts'>): boolean => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
