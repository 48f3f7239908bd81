import {
  checkParams,
  NotificationKind,
  NotificationParamsOf,
  render,
  renderMasked,
  SECRET_MASK,
  SUPPORTED_LOCALES,
  TemplateError,
} from './templates';

const examples: { [K in NotificationKind]: Required<NotificationParamsOf[K]> } = {
  [NotificationKind.PhoneVerification]: { code: '482913', minutes: 10 },
  [NotificationKind.FamilyInvitation]: {
    inviterName: '王丽',
    familyName: '小明的家',
    role: 'guardian',
    code: 'K7P-2QX',
    url: 'https://homeline.example/join/K7P-2QX',
  },
  [NotificationKind.ContactRequest]: { requesterName: '李老师', childName: '小明' },
  [NotificationKind.DevicePaired]: { childName: '小明', deviceName: '红米平板' },
  [NotificationKind.CallReminder]: { childName: '小明', parentName: '爸爸', time: '周日 19:30', lead: '15分钟' },
  [NotificationKind.CallStarting]: { childName: '小明', parentName: '爸爸' },
  [NotificationKind.CallMissed]: { childName: '小明', parentName: '爸爸', time: '周日 19:30', makeupTime: '周一 19:30' },
  [NotificationKind.MakeupBooked]: { childName: '小明', parentName: '爸爸', time: '周一 19:30' },
  [NotificationKind.WeeklyDigest]: { childName: '小明', completed: 2, missed: 1, minutes: 45, streak: 6 },
  [NotificationKind.CallPlanProposed]: { name: '爸爸', childName: '小明', schedule: '每周日 19:30' },
  [NotificationKind.CallPlanCountered]: { name: '奶奶', childName: '小明', schedule: '每周六 10:00' },
  [NotificationKind.CallPlanAccepted]: { name: '奶奶', childName: '小明', schedule: '每周日、周三 19:30' },
  [NotificationKind.CallPlanDeclined]: { name: '奶奶', childName: '小明', schedule: '每周日 19:30' },
  [NotificationKind.CallPlanPaused]: { name: '爸爸', childName: '小明', schedule: '每周日 19:30', until: '2月20日' },
  [NotificationKind.CallPlanResumed]: { name: '爸爸', childName: '小明', schedule: '每周日 19:30' },
  [NotificationKind.CallPlanEnded]: { name: '奶奶', childName: '小明', schedule: '每周日 19:30' },
  [NotificationKind.MessageReported]: { reporterName: '小明', childName: '小明' },
  [NotificationKind.ChildBlocked]: { name: '奶奶', blockedName: '王叔叔', childName: '小明' },
};

const kinds = Object.values(NotificationKind);
const leftover = /\{[A-Za-z]+\??\}/;
const hanzi = /\p{Script=Han}/u;

describe('notification templates', () => {
  describe.each(kinds)('%s', (kind) => {
    const params = examples[kind] as Record<string, string | number>;

    it.each(SUPPORTED_LOCALES)('renders completely in %s', (locale) => {
      const { title, body } = render(kind, locale, params);
      expect(title.length).toBeGreaterThan(0);
      expect(body.length).toBeGreaterThan(0);
      expect(`${title} ${body}`).not.toMatch(leftover);
      for (const [name, value] of Object.entries(params)) {
        if (name !== 'role') expect(body).toContain(String(value));
      }
    });

    it('writes zh-CN in Chinese and en without Chinese of its own', () => {
      expect(render(kind, 'zh-CN', params).body).toMatch(hanzi);
      const english = render(kind, 'en', params);
      const ownWords = Object.values(params).reduce<string>((text, value) => text.split(String(value)).join(''), `${english.title} ${english.body}`);
      expect(ownWords).not.toMatch(hanzi);
    });

    it('throws when a required param is missing', () => {
      // optional params: url (invitation link), makeupTime (no slot fitted in 48 hours), until (a pause without end)
      const required = Object.keys(params).filter((name) => name !== 'url' && name !== 'makeupTime' && name !== 'until');
      for (const name of required) {
        const { [name]: _dropped, ...rest } = params;
        expect(() => render(kind, 'zh-CN', rest)).toThrow(TemplateError);
        expect(() => render(kind, 'en', { ...rest, [name]: '  ' })).toThrow(TemplateError);
      }
    });

    it('masks every secret param when listed', () => {
      const { body } = renderMasked(kind, 'en', params);
      expect(body).not.toMatch(leftover);
      if (kind === NotificationKind.PhoneVerification || kind === NotificationKind.FamilyInvitation) {
        expect(body).toContain(SECRET_MASK);
        expect(body).not.toContain(String(params.code));
      }
    });
  });

  it('falls back to zh-CN for an unknown or missing locale', () => {
    const params = examples[NotificationKind.ContactRequest];
    const zh = render(NotificationKind.ContactRequest, 'zh-CN', params);
    expect(render(NotificationKind.ContactRequest, 'fr', params)).toEqual(zh);
    expect(render(NotificationKind.ContactRequest, 'zh-TW', params)).toEqual(zh);
    expect(render(NotificationKind.ContactRequest, undefined, params)).toEqual(zh);
    expect(render(NotificationKind.ContactRequest, null, params)).toEqual(zh);
  });

  it('leaves out the link sentence when there is no link, and nothing else', () => {
    const { url: _url, ...withoutUrl } = examples[NotificationKind.FamilyInvitation];
    const zh = render(NotificationKind.FamilyInvitation, 'zh-CN', withoutUrl);
    const en = render(NotificationKind.FamilyInvitation, 'en', withoutUrl);
    expect(zh.body).toBe('王丽请您加入“小明的家”，身份是监护人。邀请码：K7P-2QX。');
    expect(en.body).toBe('王丽 invited you to join "小明的家" as a guardian. Invitation code: K7P-2QX.');
  });

  it('words the role in the reader language and refuses a role it cannot word', () => {
    const params = examples[NotificationKind.FamilyInvitation];
    expect(render(NotificationKind.FamilyInvitation, 'zh-CN', { ...params, role: 'parent' }).body).toContain('身份是父母');
    expect(render(NotificationKind.FamilyInvitation, 'en', { ...params, role: 'parent' }).body).toContain('as a parent');
    expect(() => render(NotificationKind.FamilyInvitation, 'en', { ...params, role: 'admin' })).toThrow(TemplateError);
  });

  it('prints a value that looks like a placeholder as typed, on one line', () => {
    const { body } = render(NotificationKind.DevicePaired, 'en', { childName: '{deviceName}', deviceName: 'Tab\nlet' });
    expect(body).toContain("{deviceName}'s account");
    expect(body).toContain('Tab let is now paired');
  });

  it('renders a plain phone verification SMS', () => {
    expect(render(NotificationKind.PhoneVerification, 'zh-CN', { code: '482913', minutes: 10 }).body).toBe(
      '您的验证码是482913，10分钟内有效。请不要告诉别人。',
    );
  });

  describe('checkParams', () => {
    it('accepts a correct split', () => {
      expect(() => checkParams(NotificationKind.PhoneVerification, { minutes: 10 }, { code: '123456' })).not.toThrow();
    });
    it('refuses a secret in the plain params', () => {
      expect(() => checkParams(NotificationKind.PhoneVerification, { minutes: 10, code: '123456' }, {})).toThrow(/secret/);
      expect(() =>
        checkParams(NotificationKind.FamilyInvitation, { inviterName: 'a', familyName: 'b', role: 'parent', url: 'https://x' }, { code: 'c' }),
      ).toThrow(/url is secret/);
    });
    it('refuses unknown params and non-secret params sealed', () => {
      expect(() => checkParams(NotificationKind.ContactRequest, { requesterName: 'a', childName: 'b', extra: 1 }, {})).toThrow(/unknown/);
      expect(() => checkParams(NotificationKind.ContactRequest, { childName: 'b' }, { requesterName: 'a' })).toThrow(/not a secret/);
    });
  });
});
