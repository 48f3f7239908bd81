import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JobName, JobPayloads, QueueName } from '../../infra/queue/job-catalogue';
import { HandlesJob, isFinalAttempt } from '../../infra/queue/job-handler.decorator';
import { Queues } from '../../infra/queue/queues';
import { MissedCallsService } from './missed-calls.service';
import { DueOutcome, RemindersService } from './reminders.service';
import { WeeklyDigestService } from './weekly-digest.service';

@Injectable()
/** The scheduling jobs: each one a single service call. */
export class SchedulingProcessor {
  private readonly logger = new Logger(SchedulingProcessor.name);

  constructor(
    private readonly reminders: RemindersService,
    private readonly queues: Queues,
    private readonly missed: MissedCallsService,
    private readonly digests: WeeklyDigestService,
  ) {}

  @HandlesJob(JobName.SendDueReminders)
  async sendDue(payload: JobPayloads[JobName.SendDueReminders], job: Job): Promise<DueOutcome | null> {
    const dueAt = new Date(payload.dueAt);
    // a malformed instant would fail on every retry; it can only come from a broken producer
    if (Number.isNaN(dueAt.getTime())) {
      this.logger.warn({ jobId: job.id, dueAt: payload.dueAt }, 'reminder wake-up with a malformed instant dropped');
      return null;
    }
    return this.reminders.sendDue(dueAt, { final: isFinalAttempt(job) });
  }

  @HandlesJob(JobName.ReconcileReminders)
  reconcile(): Promise<number> {
    return this.reminders.reconcile((ids) => this.queues.jobsPending(QueueName.Reminders, ids));
  }

  @HandlesJob(JobName.MarkMissedCalls)
  markMissed(): Promise<number> {
    return this.missed.markMissed();
  }

  @HandlesJob(JobName.SendWeeklyDigests)
  sendDigests(): Promise<number> {
    return this.digests.sendDue();
  }
}
