/** Every queue and job the system knows. Payloads carry ids only, never personal data. */
export enum QueueName {
  Reminders = 'reminders',
  Notices = 'notices',
  Deliveries = 'deliveries',
  Maintenance = 'maintenance',
}

export enum JobName {
  DeliverNotification = 'notification.deliver',
}

export interface JobPayloads {
  [JobName.DeliverNotification]: { notificationId: string };
}

export const queueOf: Record<JobName, QueueName> = {
  [JobName.DeliverNotification]: QueueName.Deliveries,
};

export interface JobOptions {
  /** Deterministic id (no `:`); defaults to one derived from the outbox row. */
  jobId?: string;
  /** When the job should run; omitted means now. */
  runAt?: Date;
}

/** Retries with exponential backoff for every job: throw to retry, return to finish. */
export const defaultJobOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;
