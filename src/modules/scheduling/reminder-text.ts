import { NotificationLocale } from '../notifications/templates';

/** "15分钟", "24小时", "2 hours": how long before the call, in the reader's language. */
export function formatLead(minutes: number, locale: NotificationLocale): string {
  const hours = minutes % 60 === 0 ? minutes / 60 : undefined;
  if (locale === 'zh-CN') return hours !== undefined ? `${hours}小时` : `${minutes}分钟`;
  if (hours !== undefined) return hours === 1 ? '1 hour' : `${hours} hours`;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

const startFormats = new Map<string, Intl.DateTimeFormat>();
/** Texts of recent starts: calls start at a few popular instants, so a burst of reminders reads the same few. */
const startTexts = new Map<string, string>();
const START_TEXTS_MAX = 4096;

/**
 * The call's start in the reader's own zone: "周日 19:30" / "Sun 12:30". One Intl formatter per zone
 * and language, kept: building one costs far more than using it; and the text of each recent
 * (instant, zone, language), since formatting costs more than looking it up.
 */
export function formatStart(startsAt: Date, timeZone: string, locale: NotificationLocale): string {
  const key = `${timeZone} ${locale}`;
  const textKey = `${key} ${startsAt.getTime()}`;
  const known = startTexts.get(textKey);
  if (known !== undefined) return known;
  let format = startFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    startFormats.set(key, format);
  }
  const parts = format.formatToParts(startsAt);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const text = `${part('weekday')} ${part('hour')}:${part('minute')}`;
  if (startTexts.size >= START_TEXTS_MAX) startTexts.clear();
  startTexts.set(textKey, text);
  return text;
}
