import { DateTime } from 'luxon';
import { NotificationLocale } from '../notifications/templates';

/** "15分钟", "24小时", "2 hours": how long before the call, in the reader's language. */
export function formatLead(minutes: number, locale: NotificationLocale): string {
  const hours = minutes % 60 === 0 ? minutes / 60 : undefined;
  if (locale === 'zh-CN') return hours !== undefined ? `${hours}小时` : `${minutes}分钟`;
  if (hours !== undefined) return hours === 1 ? '1 hour' : `${hours} hours`;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** The call's start in the reader's own zone: "周日 19:30" / "Sun 12:30". */
export function formatStart(startsAt: Date, timeZone: string, locale: NotificationLocale): string {
  return DateTime.fromJSDate(startsAt, { zone: timeZone }).setLocale(locale).toFormat('ccc HH:mm');
}
