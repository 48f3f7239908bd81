import { DateTime } from 'luxon';
import { NotificationLocale } from '../notifications/templates';
import { toHourMinute } from './recurrence';

const ZH_DAYS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];
const EN_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
/** Weeks start on Monday in China (and in most of the places parents work). */
const WEEK_ORDER = [1, 2, 3, 4, 5, 6, 0];

export interface ScheduleTerms {
  daysOfWeek: number[];
  startTime: string;
  timeZone: string;
}

const englishList = (words: string[]) => (words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`);

/**
 * A plan's terms in plain words for a notification: "每周日、周三 19:30" / "every Sunday and Wednesday
 * at 19:30". The time is the household's; a reader who lives in another zone also gets their own
 * clock time of the next call (`nextStartsAt`), since that is the time they have to be ready.
 */
export function describeSchedule(terms: ScheduleTerms, locale: NotificationLocale, readerZone?: string, nextStartsAt?: Date): string {
  const days = WEEK_ORDER.filter((d) => terms.daysOfWeek.includes(d));
  const time = toHourMinute(terms.startTime);
  const everyDay = days.length === 7;
  const base =
    locale === 'zh-CN'
      ? `${everyDay ? '每天' : `每${days.map((d) => ZH_DAYS[d]).join('、')}`} ${time}`
      : `${everyDay ? 'every day' : `every ${englishList(days.map((d) => EN_DAYS[d]))}`} at ${time}`;
  if (!readerZone || !nextStartsAt) return base;
  const household = DateTime.fromJSDate(nextStartsAt, { zone: terms.timeZone });
  const reader = DateTime.fromJSDate(nextStartsAt, { zone: readerZone });
  if (!reader.isValid || reader.offset === household.offset) return base;
  const readerTime = reader.setLocale(locale).toFormat('ccc HH:mm');
  return locale === 'zh-CN' ? `${base}（孩子那边的时间；您那边是${readerTime}）` : `${base} (household time; ${readerTime} where you are)`;
}

/** A date in the reader's language: "2月20日" / "20 February". */
export function describeDate(localDate: string, locale: NotificationLocale): string {
  const date = DateTime.fromISO(localDate, { zone: 'UTC' }).setLocale(locale);
  return locale === 'zh-CN' ? date.toFormat('M月d日') : date.toFormat('d MMMM');
}
