import { formatLead, formatStart } from './reminder-text';

describe('reminder wording', () => {
  it('says how long before the call in the reader’s language', () => {
    expect(formatLead(15, 'zh-CN')).toBe('15分钟');
    expect(formatLead(1440, 'zh-CN')).toBe('24小时');
    expect(formatLead(60, 'en')).toBe('1 hour');
    expect(formatLead(90, 'en')).toBe('90 minutes');
  });

  it('shows the start in the reader’s own zone', () => {
    const sundayEvening = new Date('2026-11-29T11:30:00Z'); // 19:30 in Shanghai
    expect(formatStart(sundayEvening, 'Asia/Shanghai', 'zh-CN')).toBe('周日 19:30');
    expect(formatStart(sundayEvening, 'Europe/Berlin', 'en')).toBe('Sun 12:30');
    // just after midnight is 00:05 of the next day, never 24:05
    expect(formatStart(new Date('2026-11-29T16:05:00Z'), 'Asia/Shanghai', 'zh-CN')).toBe('周一 00:05');
    expect(formatStart(new Date('2026-11-29T16:05:00Z'), 'Asia/Shanghai', 'en')).toBe('Mon 00:05');
    // a text already made is answered again, for its own instant, zone and language only
    expect(formatStart(new Date(sundayEvening), 'Asia/Shanghai', 'zh-CN')).toBe('周日 19:30');
    expect(formatStart(sundayEvening, 'Asia/Shanghai', 'en')).toBe('Sun 19:30');
  });
});
