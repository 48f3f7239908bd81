/** What the system can tell a user. Stored in `notifications.kind`, so values never change. */
export enum NotificationKind {
  PhoneVerification = 'phone_verification',
  FamilyInvitation = 'family_invitation',
  ContactRequest = 'contact_request',
  DevicePaired = 'device_paired',
  CallReminder = 'call_reminder',
  CallStarting = 'call_starting',
  CallMissed = 'call_missed',
  MakeupBooked = 'makeup_booked',
  WeeklyDigest = 'weekly_digest',
  CallPlanProposed = 'call_plan_proposed',
  CallPlanCountered = 'call_plan_countered',
  CallPlanAccepted = 'call_plan_accepted',
  CallPlanDeclined = 'call_plan_declined',
  CallPlanPaused = 'call_plan_paused',
  CallPlanResumed = 'call_plan_resumed',
  CallPlanEnded = 'call_plan_ended',
  MessageReported = 'message_reported',
  ChildBlocked = 'child_blocked',
}

export const SUPPORTED_LOCALES = ['zh-CN', 'en'] as const;
export type NotificationLocale = (typeof SUPPORTED_LOCALES)[number];
export const DEFAULT_LOCALE: NotificationLocale = 'zh-CN';

export type ParamValue = string | number;
export type NotificationParams = Record<string, ParamValue>;

/** What a caller passes for each kind; secret params travel in `secretParams`, never in `params`. */
export interface NotificationParamsOf {
  [NotificationKind.PhoneVerification]: { code: string; minutes: number };
  [NotificationKind.FamilyInvitation]: { inviterName: string; familyName: string; role: 'parent' | 'guardian'; code: string; url?: string };
  [NotificationKind.ContactRequest]: { requesterName: string; childName: string };
  [NotificationKind.DevicePaired]: { childName: string; deviceName: string };
  /** `time` and `lead` are already written in the reader's language and time zone. */
  [NotificationKind.CallReminder]: { childName: string; parentName: string; time: string; lead: string };
  [NotificationKind.CallStarting]: { childName: string; parentName: string };
  /** `makeupTime` is the proposed slot in the reader's zone; absent when nothing fits in 48 hours. */
  [NotificationKind.CallMissed]: { childName: string; parentName: string; time: string; makeupTime?: string };
  [NotificationKind.MakeupBooked]: { childName: string; parentName: string; time: string };
  [NotificationKind.WeeklyDigest]: { childName: string; completed: number; missed: number; minutes: number; streak: number };
  /**
   * Call plans: `name` is who acted; `schedule` is already written in the reader's language
   * ("每周日 19:30" / "every Sunday at 19:30", with the reader's own time when they live elsewhere).
   */
  [NotificationKind.CallPlanProposed]: { name: string; childName: string; schedule: string };
  [NotificationKind.CallPlanCountered]: { name: string; childName: string; schedule: string };
  [NotificationKind.CallPlanAccepted]: { name: string; childName: string; schedule: string };
  [NotificationKind.CallPlanDeclined]: { name: string; childName: string; schedule: string };
  /** `until` is the date calls start again, in the reader's language; absent for a pause without end. */
  [NotificationKind.CallPlanPaused]: { name: string; childName: string; schedule: string; until?: string };
  [NotificationKind.CallPlanResumed]: { name: string; childName: string; schedule: string };
  [NotificationKind.CallPlanEnded]: { name: string; childName: string; schedule: string };
  /** A member reported a message in a conversation the child is in; `reporterName` may be the child. Never the message text. */
  [NotificationKind.MessageReported]: { reporterName: string; childName: string };
  /** `name` blocked `blockedName` from reaching the child; `name` may be the child. */
  [NotificationKind.ChildBlocked]: { name: string; blockedName: string; childName: string };
}

export interface RenderedNotification {
  title: string;
  /** Stands on its own: it is the whole text of an SMS. */
  body: string;
}

interface LocalizedText {
  title: string;
  /**
   * Joined with the locale's separator. `{name}` must be present; a segment holding `{name?}` is
   * left out when that param is absent, so optional details (a link) do not leave a dangling label.
   */
  body: string[];
}

interface Template<P> {
  /** Params that may carry a one-time code (or a link embedding one): sealed at rest, masked when listed. */
  secret: ReadonlyArray<keyof P & string>;
  /** Every param the text may use; anything else is a caller's mistake. */
  params: ReadonlyArray<keyof P & string>;
  /** Params whose values are codes from a fixed set, shown as words in the reader's language. */
  values?: Partial<Record<keyof P & string, Record<NotificationLocale, Record<string, string>>>>;
  text: Record<NotificationLocale, LocalizedText>;
}

const separator: Record<NotificationLocale, string> = { 'zh-CN': '', en: ' ' };

/*
 * zh-CN is the default and is written for grandparents who may read slowly: short sentences,
 * everyday words, and one clear thing to do. SMS gateways add the signature (【…】) themselves.
 */
const catalogue: { [K in NotificationKind]: Template<NotificationParamsOf[K]> } = {
  [NotificationKind.PhoneVerification]: {
    secret: ['code'],
    params: ['code', 'minutes'],
    text: {
      'zh-CN': { title: '验证码', body: ['您的验证码是{code}，{minutes}分钟内有效。', '请不要告诉别人。'] },
      en: {
        title: 'Verification code',
        body: ['Your verification code is {code}.', 'It is valid for {minutes} min.', 'Do not share it with anyone.'],
      },
    },
  },
  [NotificationKind.FamilyInvitation]: {
    // the link carries the code, so it is as secret as the code itself
    secret: ['code', 'url'],
    params: ['inviterName', 'familyName', 'role', 'code', 'url'],
    values: {
      role: {
        'zh-CN': { parent: '父母', guardian: '监护人' },
        en: { parent: 'a parent', guardian: 'a guardian' },
      },
    },
    text: {
      'zh-CN': {
        title: '家庭邀请',
        body: ['{inviterName}请您加入“{familyName}”，身份是{role}。', '邀请码：{code}。', '点这里加入：{url?}'],
      },
      en: {
        title: 'Family invitation',
        body: ['{inviterName} invited you to join "{familyName}" as {role}.', 'Invitation code: {code}.', 'Join here: {url?}'],
      },
    },
  },
  [NotificationKind.ContactRequest]: {
    secret: [],
    params: ['requesterName', 'childName'],
    text: {
      'zh-CN': { title: '有人想联系孩子', body: ['{requesterName}想和{childName}联系。', '请打开应用，选择同意或拒绝。'] },
      en: {
        title: 'New contact request',
        body: ['{requesterName} wants to contact {childName}.', 'Please open the app to approve or decline.'],
      },
    },
  },
  [NotificationKind.DevicePaired]: {
    secret: [],
    params: ['childName', 'deviceName'],
    text: {
      'zh-CN': {
        title: '孩子绑定了新设备',
        body: ['{childName}的新设备“{deviceName}”已绑定。', '如果不是您本人操作，请打开应用删除这台设备。'],
      },
      en: {
        title: 'New device paired',
        body: ["{deviceName} is now paired to {childName}'s account.", "If this wasn't you, open the app and remove the device."],
      },
    },
  },
  [NotificationKind.CallReminder]: {
    secret: [],
    params: ['childName', 'parentName', 'time', 'lead'],
    text: {
      'zh-CN': { title: '视频通话提醒', body: ['{lead}后（{time}），{childName}和{parentName}要视频通话了。', '请提前准备好手机。'] },
      en: { title: 'Call reminder', body: ["{childName}'s weekly video call with {parentName} starts in {lead} ({time})."] },
    },
  },
  [NotificationKind.CallStarting]: {
    secret: [],
    params: ['childName', 'parentName'],
    text: {
      'zh-CN': { title: '视频通话开始了', body: ['现在是{childName}和{parentName}的视频通话时间。', '请打开应用接听。'] },
      en: { title: 'Your call is starting', body: ["It's time for {childName}'s video call with {parentName}. Open the app to join."] },
    },
  },
  [NotificationKind.CallMissed]: {
    secret: [],
    params: ['childName', 'parentName', 'time', 'makeupTime'],
    text: {
      'zh-CN': {
        title: '错过了一次视频通话',
        body: ['{childName}和{parentName}在{time}的视频通话没有接通。', '可以在{makeupTime?}补一次，打开应用点“同意”就行。'],
      },
      en: {
        title: 'A call was missed',
        body: ["{childName}'s call with {parentName} at {time} did not happen.", 'A make-up call could be {makeupTime?}: open the app to accept it.'],
      },
    },
  },
  [NotificationKind.MakeupBooked]: {
    secret: [],
    params: ['childName', 'parentName', 'time'],
    text: {
      'zh-CN': { title: '补打的视频通话已约好', body: ['{childName}和{parentName}会在{time}补打视频通话。'] },
      en: { title: 'Make-up call booked', body: ["{childName}'s make-up call with {parentName} is booked for {time}."] },
    },
  },
  [NotificationKind.WeeklyDigest]: {
    secret: [],
    params: ['childName', 'completed', 'missed', 'minutes', 'streak'],
    text: {
      'zh-CN': {
        title: '本周通话小结',
        body: ['这周您和{childName}通了{completed}次视频，共{minutes}分钟，错过{missed}次。', '已经连续{streak}周每周都通话了。'],
      },
      en: {
        title: 'Your week with {childName}',
        body: ['This week: {completed} calls with {childName}, {minutes} minutes in all, {missed} missed.', 'Weeks in a row with a call: {streak}.'],
      },
    },
  },
  [NotificationKind.CallPlanProposed]: {
    secret: [],
    params: ['name', 'childName', 'schedule'],
    text: {
      'zh-CN': { title: '新的视频通话安排', body: ['{name}想{schedule}和{childName}视频通话。', '请打开应用，选择同意、拒绝或换个时间。'] },
      en: {
        title: 'New weekly call plan',
        body: ['{name} would like a video call with {childName} {schedule}.', 'Please open the app to accept, decline or suggest another time.'],
      },
    },
  },
  [NotificationKind.CallPlanCountered]: {
    secret: [],
    params: ['name', 'childName', 'schedule'],
    text: {
      'zh-CN': { title: '通话时间有新建议', body: ['{name}建议改成{schedule}和{childName}视频通话。', '请打开应用，选择同意或拒绝。'] },
      en: {
        title: 'Another time was suggested',
        body: ['{name} suggested a video call with {childName} {schedule} instead.', 'Please open the app to accept or decline.'],
      },
    },
  },
  [NotificationKind.CallPlanAccepted]: {
    secret: [],
    params: ['name', 'childName', 'schedule'],
    text: {
      'zh-CN': { title: '通话时间定好了', body: ['{name}同意了：{schedule}和{childName}视频通话。', '每次通话前都会提醒您。'] },
      en: { title: 'Weekly call agreed', body: ['{name} agreed: a video call with {childName} {schedule}.', 'You will be reminded before each call.'] },
    },
  },
  [NotificationKind.CallPlanDeclined]: {
    secret: [],
    params: ['name', 'childName', 'schedule'],
    text: {
      'zh-CN': { title: '通话安排没有同意', body: ['{name}没有同意{schedule}和{childName}视频通话。', '可以打开应用再商量一个时间。'] },
      en: { title: 'Call plan declined', body: ['{name} declined the video call with {childName} {schedule}.', 'You can open the app to agree on another time.'] },
    },
  },
  [NotificationKind.CallPlanPaused]: {
    secret: [],
    params: ['name', 'childName', 'schedule', 'until'],
    text: {
      'zh-CN': { title: '每周通话暂停了', body: ['{name}暂停了{schedule}和{childName}的视频通话。', '{until?}起会自动恢复。'] },
      en: { title: 'Weekly call paused', body: ['{name} paused the video call with {childName} {schedule}.', 'It starts again on {until?}.'] },
    },
  },
  [NotificationKind.CallPlanResumed]: {
    secret: [],
    params: ['name', 'childName', 'schedule'],
    text: {
      'zh-CN': { title: '每周通话恢复了', body: ['{name}恢复了{schedule}和{childName}的视频通话。', '每次通话前都会提醒您。'] },
      en: { title: 'Weekly call resumed', body: ['{name} resumed the video call with {childName} {schedule}.', 'You will be reminded before each call.'] },
    },
  },
  [NotificationKind.CallPlanEnded]: {
    secret: [],
    params: ['name', 'childName', 'schedule'],
    text: {
      'zh-CN': { title: '每周通话结束了', body: ['{name}结束了{schedule}和{childName}的视频通话安排。', '以后不会再提醒这个通话。'] },
      en: { title: 'Weekly call ended', body: ['{name} ended the plan for a video call with {childName} {schedule}.', 'There will be no more reminders for it.'] },
    },
  },
  [NotificationKind.MessageReported]: {
    secret: [],
    params: ['reporterName', 'childName'],
    text: {
      'zh-CN': { title: '有人举报了一条消息', body: ['{reporterName}举报了{childName}聊天里的一条消息。', '请打开应用看一看。'] },
      en: { title: 'A message was reported', body: ["{reporterName} reported a message in a conversation with {childName}.", 'Please open the app to look at it.'] },
    },
  },
  [NotificationKind.ChildBlocked]: {
    secret: [],
    params: ['name', 'blockedName', 'childName'],
    text: {
      'zh-CN': { title: '孩子屏蔽了一个人', body: ['{name}屏蔽了{blockedName}。', '{blockedName}不能再给{childName}发消息了。', '如果需要，可以打开应用解除。'] },
      en: {
        title: 'Someone was blocked',
        body: ['{name} blocked {blockedName}.', '{blockedName} can no longer message {childName}.', 'You can undo this in the app.'],
      },
    },
  },
};

/** A template and its params do not fit: a programming error, so retrying cannot help. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** Shown instead of a secret param wherever the secret itself must not appear (listings). */
export const SECRET_MASK = '••••';

export const isNotificationKind = (value: string): value is NotificationKind =>
  (Object.values(NotificationKind) as string[]).includes(value);

export const resolveLocale = (locale: string | null | undefined): NotificationLocale =>
  (SUPPORTED_LOCALES as readonly string[]).includes(locale ?? '') ? (locale as NotificationLocale) : DEFAULT_LOCALE;

function templateOf(kind: NotificationKind): Template<Record<string, ParamValue>> {
  const template = catalogue[kind] as Template<Record<string, ParamValue>> | undefined;
  if (!template) throw new TemplateError(`no template for kind ${kind}`);
  return template;
}

export const secretParamsOf = (kind: NotificationKind): readonly string[] => templateOf(kind).secret;

/**
 * Checks a caller's split of params before anything is stored: secrets must not sit in the plain
 * `params` column, and an unknown name is a typo that would otherwise surface only in the worker.
 */
export function checkParams(kind: NotificationKind, params: NotificationParams, secretParams: Record<string, string>): void {
  const template = templateOf(kind);
  const known = new Set<string>(template.params);
  const secret = new Set<string>(template.secret);
  for (const name of Object.keys(params)) {
    if (!known.has(name)) throw new TemplateError(`${kind}: unknown param ${name}`);
    if (secret.has(name)) throw new TemplateError(`${kind}: param ${name} is secret and belongs in secretParams`);
  }
  for (const name of Object.keys(secretParams)) {
    if (!secret.has(name)) throw new TemplateError(`${kind}: param ${name} is not a secret param of this kind`);
  }
}

/** Renders every secret param as the mask, for places that show a notification after the fact. */
export function renderMasked(kind: NotificationKind, locale: string | null | undefined, params: NotificationParams): RenderedNotification {
  const masked: NotificationParams = { ...params };
  for (const name of templateOf(kind).secret) masked[name] = SECRET_MASK;
  return render(kind, locale, masked);
}

const PLACEHOLDER = /\{([A-Za-z]+)(\?)?\}/g;

const isPresent = (value: ParamValue | undefined): value is ParamValue =>
  value !== undefined && value !== null && String(value).trim() !== '';

/** Names come from users: keep an SMS to one tidy paragraph whatever they typed. */
const clean = (value: ParamValue) => String(value).replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ').trim();

/**
 * Renders a notification in `locale` (an unsupported one falls back to zh-CN). Throws a
 * TemplateError when a required param is missing. Substitution is one pass over the template, so a
 * value that looks like `{placeholder}` is printed as typed, never expanded.
 */
export function render(kind: NotificationKind, locale: string | null | undefined, params: NotificationParams): RenderedNotification {
  const template = templateOf(kind);
  const lang = resolveLocale(locale);
  const text = template.text[lang];
  const value = (name: string): string => {
    const raw = params[name]!;
    const words = template.values?.[name]?.[lang];
    if (!words) return clean(raw);
    const word = words[String(raw)];
    if (word === undefined) throw new TemplateError(`${kind}: param ${name} has no wording for value ${String(raw)}`);
    return word;
  };
  const fill = (segment: string): string | null => {
    let skipped = false;
    const out = segment.replace(PLACEHOLDER, (_, name: string, optional: string | undefined) => {
      if (isPresent(params[name])) return value(name);
      if (optional) {
        skipped = true;
        return '';
      }
      throw new TemplateError(`${kind}: missing param ${name}`);
    });
    return skipped ? null : out;
  };
  return {
    title: fill(text.title) ?? '',
    body: text.body
      .map(fill)
      .filter((s): s is string => s !== null)
      .join(separator[lang]),
  };
}
