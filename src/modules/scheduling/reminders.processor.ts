import { Injectable } from '@nestjs/common';
import { JobName, JobPayloads, QueueName } from '../../infra/queue/job-catalogue';
import { HandlesJob } from '../../infra/queue/job-handler.decorator';
import { Queues } from '../../infra/queue/queues';
import { ReminderOutcome, RemindersService } from './reminders.service';

@Injectable()
export class RemindersProcessor {
  constructor(
    private readonly reminders: RemindersService,
    private readonly queues: Queues,
  ) {}

  @HandlesJob(JobName.SendReminder)
  send(payload: JobPayloads[JobName.SendReminder]): Promise<ReminderOutcome> {
    return this.reminders.send(payload.reminderId);
  }

  @HandlesJob(JobName.ReconcileReminders)
  reconcile(): Promise<number> {
    return this.reminders.reconcile((ids) => this.queues.jobsExist(QueueName.Reminders, ids));
  }
}
