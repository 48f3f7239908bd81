import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JobName, JobPayloads } from '../../infra/queue/job-catalogue';
import { HandlesJob, isFinalAttempt } from '../../infra/queue/job-handler.decorator';
import { DeliveryOutcome, NotificationDispatcher } from './notification-dispatcher.service';

/** Turns delivery jobs into dispatcher calls. Throws to retry with backoff; returns when done. */
@Injectable()
export class NotificationDeliveryProcessor {
  constructor(private readonly dispatcher: NotificationDispatcher) {}

  @HandlesJob(JobName.DeliverNotification)
  async deliver(payload: JobPayloads[JobName.DeliverNotification], job: Job): Promise<DeliveryOutcome> {
    return this.dispatcher.deliver(payload.notificationId, { final: isFinalAttempt(job) });
  }

  @HandlesJob(JobName.NotificationFallback)
  async fallback(payload: JobPayloads[JobName.NotificationFallback], job: Job): Promise<DeliveryOutcome> {
    return this.dispatcher.fallback(payload.notificationId, { final: isFinalAttempt(job) });
  }
}
