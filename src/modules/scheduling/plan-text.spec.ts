import { describeDate, describeSchedule } from './plan-text';

describe('describeSchedule', () => {
  const terms = { daysOfWeek: [3, 0], startTime: '19:30:00', timeZone: 'Asia/Shanghai' };

  it('writes the days Monday first, in plain words', () => {
    expect(describeSchedule(terms, 'zh-CN')).toBe('每周三、周日 19:30');
    expect(describeSchedule(terms, 'en')).toBe('every Wednesday and Sunday at 19:30');
    expect(describeSchedule({ ...terms, daysOfWeek: [1, 3, 5] }, 'en')).toBe('every Monday, Wednesday and Friday at 19:30');
    expect(describeSchedule({ ...terms, daysOfWeek: [0, 1, 2, 3, 4, 5, 6] }, 'zh-CN')).toBe('每天 19:30');
  });

  it("adds the reader's own time when they live in another zone", () => {
    const next = new Date('2026-03-29T11:30:00Z'); // Sunday 19:30 in Shanghai, 13:30 in Berlin (summer time)
    expect(describeSchedule(terms, 'zh-CN', 'Europe/Berlin', next)).toBe('每周三、周日 19:30（孩子那边的时间；您那边是周日 13:30）');
    expect(describeSchedule(terms, 'en', 'Europe/Berlin', next)).toBe('every Wednesday and Sunday at 19:30 (household time; Sun 13:30 where you are)');
    expect(describeSchedule(terms, 'zh-CN', 'Asia/Chongqing', next)).toBe('每周三、周日 19:30');
  });
});

describe('describeDate', () => {
  it('writes a date the way each language does', () => {
    expect(describeDate('2027-02-20', 'zh-CN')).toBe('2月20日');
    expect(describeDate('2027-02-20', 'en')).toBe('20 February');
  });
});
