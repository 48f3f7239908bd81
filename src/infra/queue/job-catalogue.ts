/** Every queue and job the system knows. Payloads carry ids only, never personal data. */
export enum QueueName {
  Reminders = 'reminders',
  Notices = 'notices',
  Deliveries = 'deliveries',
  Maintenance = 'maintenance',
}

export enum JobName {
  DeliverNotification = 'notification.deliver',
  /** Wakes up at an instant and sends every reminder due by then (all lanes of that instant share the work). */
  SendDueReminders = 'reminders.send-due',
  ReconcileReminders = 'reminders.reconcile',
  MarkMissedCalls = 'occurrences.mark-missed',
  SendWeeklyDigests = 'digest.weekly',
  /** SMS a socket notification the app did not confirm in time. */
  NotificationFallback = 'notification.fallback',
  ExtendHorizon = 'occurrences.extend',
  /** A live call's time-outs: ring (missed), reconnect grace and a dead node (ended). */
  CheckCallSession = 'calls.check',
}

export interface JobPayloads {
  [JobName.DeliverNotification]: { notificationId: string };
  /** The instant (ISO 8601) the job is for: it sends the scheduled reminders due by then. */
  [JobName.SendDueReminders]: { dueAt: string };
  [JobName.ReconcileReminders]: Record<string, never>;
  [JobName.MarkMissedCalls]: Record<string, never>;
  [JobName.SendWeeklyDigests]: Record<string, never>;
  [JobName.NotificationFallback]: { notificationId: string };
  [JobName.ExtendHorizon]: Record<string, never>;
  [JobName.CheckCallSession]: { sessionId: string };
}

export const queueOf: Record<JobName, QueueName> = {
  [JobName.DeliverNotification]: QueueName.Deliveries,
  [JobName.SendDueReminders]: QueueName.Reminders,
  [JobName.ReconcileReminders]: QueueName.Maintenance,
  [JobName.MarkMissedCalls]: QueueName.Maintenance,
  [JobName.SendWeeklyDigests]: QueueName.Maintenance,
  [JobName.NotificationFallback]: QueueName.Deliveries,
  [JobName.ExtendHorizon]: QueueName.Maintenance,
  [JobName.CheckCallSession]: QueueName.Maintenance,
};

/**
 * Maintenance that runs on a schedule; worker processes register these (idempotently) at start.
 * Calls start on the minute, so their reminders fall due at second 0, all at once when a time is
 * popular: maintenance runs at second 30 (cron with a seconds field), out of the way of those bursts.
 */
export const recurringJobs: Partial<Record<JobName, { pattern: string; tz: string }>> = {
  // every minute
  [JobName.ReconcileReminders]: { pattern: '30 * * * * *', tz: 'UTC' },
  [JobName.MarkMissedCalls]: { pattern: '30 * * * * *', tz: 'UTC' },
  // hourly: each parent's digest goes out on Sunday 20:00 in their own zone
  [JobName.SendWeeklyDigests]: { pattern: '30 5 * * * *', tz: 'UTC' },
  // every 15 minutes, between the quarter hours when calls start: cheap when nothing is due (one day
  // per plan), often enough that a pause ends soon after midnight in every zone
  [JobName.ExtendHorizon]: { pattern: '30 7,22,37,52 * * * *', tz: 'UTC' },
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
