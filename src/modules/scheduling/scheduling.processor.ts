import { Injectable } from '@nestjs/common';
import { JobName, JobPayloads, QueueName } from '../../infra/queue/job-catalogue';
import { HandlesJob } from '../../infra/queue/job-handler.decorator';
import { Queues } from '../../infra/queue/queues';
import { MissedCallsService } from './missed-calls.service';
import { ReminderOutcome, RemindersService } from './reminders.service';
import { WeeklyDigestService } from './weekly-digest.service';

@Injectable()
/** The scheduling jobs: each one a single service call. */
export class SchedulingProcessor {
  constructor(
    private readonly reminders: RemindersService,
    private readonly queues: Queues,
    private readonly missed: MissedCallsService,
    private readonly digests: WeeklyDigestService,
  ) {}

  @HandlesJob(JobName.SendReminder)
  send(payload: JobPayloads[JobName.SendReminder]): Promise<ReminderOutcome> {
    return this.reminders.send(payload.reminderId);
  }

  @HandlesJob(JobName.ReconcileReminders)
  reconcile(): Promise<number> {
    return this.reminders.reconcile((ids) => this.queues.jobsExist(QueueName.Reminders, ids));
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
