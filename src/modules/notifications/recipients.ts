import { EntityManager } from 'typeorm';
import { NotificationChannel } from './notification.entity';
import { QuietHours, toHhMm } from './quiet-hours';

/** What a user gets when they never saved preferences (the table defaults say the same). */
export const DEFAULT_CHANNELS: readonly NotificationChannel[] = [NotificationChannel.Socket, NotificationChannel.Sms];
export const DEFAULT_REMINDER_OFFSETS: readonly number[] = [1440, 15];

/** A user's notification preferences in force: their saved row, or the defaults. */
export interface EffectivePreferences {
  channels: NotificationChannel[];
  quietHours: QuietHours | null;
  /** Minutes before a call, largest first. */
  reminderOffsets: number[];
}

export interface Recipient extends EffectivePreferences {
  id: string;
  locale: string;
  phone: string | null;
  timeZone: string;
}

export interface RecipientRow {
  id: string;
  locale: string;
  phone: string | null;
  time_zone: string;
  channels: string[] | null;
  quiet_hours_start: string | null;
  quiet_hours_end: string | null;
  reminder_offsets: number[] | null;
}

export function effectivePreferences(row: Pick<RecipientRow, 'channels' | 'quiet_hours_start' | 'quiet_hours_end' | 'reminder_offsets'>): EffectivePreferences {
  return {
    channels: (row.channels ?? DEFAULT_CHANNELS).filter((c): c is NotificationChannel => (Object.values(NotificationChannel) as string[]).includes(c)),
    quietHours: row.quiet_hours_start && row.quiet_hours_end ? { start: toHhMm(row.quiet_hours_start), end: toHhMm(row.quiet_hours_end) } : null,
    reminderOffsets: [...(row.reminder_offsets ?? DEFAULT_REMINDER_OFFSETS)],
  };
}

export const toRecipient = (row: RecipientRow): Recipient => ({
  id: row.id,
  locale: row.locale,
  phone: row.phone,
  timeZone: row.time_zone,
  ...effectivePreferences(row),
});

/**
 * SQL for a recipient as one json value that `toRecipient` reads, for a query that joins `users` (as
 * `u`) and left-joins `notification_preferences` (as `p`) itself: a hot path (a batch of reminders)
 * then needs no second read before it notifies.
 */
export const recipientJson = (u: string, p: string): string =>
  `json_build_object('id', ${u}.id, 'locale', ${u}.locale, 'phone', ${u}.phone, 'time_zone', ${u}.time_zone, 'channels', ${p}.channels,
                     'quiet_hours_start', ${p}.quiet_hours_start::text, 'quiet_hours_end', ${p}.quiet_hours_end::text, 'reminder_offsets', ${p}.reminder_offsets)`;

/**
 * The user fields and preferences a notification needs, in one read. SQL rather than IdentityService
 * because identity depends on this module (it sends codes), so the reverse import would be a cycle;
 * these reads (and the locale write in preferences) are the whole of the coupling.
 */
export async function findRecipients(em: EntityManager, userIds: string[]): Promise<Map<string, Recipient>> {
  if (userIds.length === 0) return new Map();
  const rows: { recipient: RecipientRow }[] = await em.query(
    `SELECT ${recipientJson('u', 'p')} AS recipient
       FROM users u LEFT JOIN notification_preferences p ON p.user_id = u.id
      WHERE u.id = ANY($1::uuid[])`,
    [userIds],
  );
  return new Map(rows.map(({ recipient }) => [recipient.id, toRecipient(recipient)]));
}

export async function findRecipient(em: EntityManager, userId: string): Promise<Recipient | undefined> {
  return (await findRecipients(em, [userId])).get(userId);
}
