import { SetMetadata } from '@nestjs/common';
import { JobName } from './job-catalogue';

export const JOB_HANDLER = 'homeline:job-handler';

/** Marks the one method that processes a job. Throw to retry with backoff; return to finish. */
export const HandlesJob = (job: JobName) => SetMetadata(JOB_HANDLER, job);
