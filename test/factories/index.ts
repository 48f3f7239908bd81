import { randomInt } from 'node:crypto';
import { TestApp } from '../helpers/app';

export const PASSWORD = 'Tea-garden-Hangzhou-42';

export interface TestUser {
  id: string;
  displayName: string;
  phone: string;
  password: string;
  token: string;
  refreshToken: string;
}

export interface TestChild {
  id: string;
  displayName: string;
  token: string;
  refreshToken: string;
  deviceId: string;
}

export interface TestFamily {
  familyId: string;
  parent: TestUser;
  guardian: TestUser;
  child: TestChild;
}

export interface TestClass {
  id: string;
  joinCode: string;
  teacher: TestUser;
}

/** A valid mainland mobile number, different every call. */
export const aPhone = () => `+86138${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;

const ok = async <T>(pending: PromiseLike<{ status: number; body: T }>, expected: number, what: string): Promise<T> => {
  const res = await pending;
  if (res.status !== expected) throw new Error(`${what}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};

export const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

/** An adult registered through the API, signed in. */
export async function givenAdult(t: TestApp, options: { displayName?: string; locale?: 'zh-CN' | 'en'; timeZone?: string } = {}): Promise<TestUser> {
  const phone = aPhone();
  const displayName = options.displayName ?? `成人${phone.slice(-4)}`;
  const tokens = await ok<{ accessToken: string; refreshToken: string }>(
    t.http.post('/v1/auth/register').send({ displayName, phone, password: PASSWORD, locale: options.locale ?? 'zh-CN', timeZone: options.timeZone ?? 'Asia/Shanghai' }),
    201,
    'register',
  );
  const me = await ok<{ id: string }>(t.http.get('/v1/me').set(auth(tokens.accessToken)), 200, 'me');
  return { id: me.id, displayName, phone, password: PASSWORD, token: tokens.accessToken, refreshToken: tokens.refreshToken };
}

export async function givenFamilyOf(t: TestApp, creator: TestUser, role: 'parent' | 'guardian' = 'parent'): Promise<string> {
  const family = await ok<{ id: string }>(t.http.post('/v1/families').set(auth(creator.token)).send({ name: `${creator.displayName}的家`, role }), 201, 'create family');
  return family.id;
}

export async function givenMember(t: TestApp, familyId: string, inviter: TestUser, user: TestUser, role: 'parent' | 'guardian'): Promise<void> {
  const invitation = await ok<{ code: string }>(
    t.http.post(`/v1/families/${familyId}/invitations`).set(auth(inviter.token)).send({ role }),
    201,
    'invite',
  );
  await ok(t.http.post(`/v1/invitations/${invitation.code}/accept`).set(auth(user.token)).send(), 201, 'accept invitation');
}

export async function givenChildProfile(t: TestApp, familyId: string, guardian: TestUser, displayName = '小明'): Promise<string> {
  const child = await ok<{ id: string }>(
    t.http
      .post(`/v1/families/${familyId}/children`)
      .set(auth(guardian.token))
      .send({ displayName, birthYear: 2016, consent: { accepted: true, noticeVersion: t.config.privacyNoticeVersion } }),
    201,
    'create child',
  );
  return child.id;
}

/** Pairs a device for the child through a guardian's one-time code and returns the child's tokens. */
export async function givenPairedDevice(t: TestApp, childId: string, guardian: TestUser, deviceName = '孩子的平板'): Promise<Omit<TestChild, 'displayName'>> {
  const pairing = await ok<{ code: string }>(t.http.post(`/v1/children/${childId}/pairing-codes`).set(auth(guardian.token)).send(), 201, 'pairing code');
  const tokens = await ok<{ accessToken: string; refreshToken: string }>(
    t.http.post('/v1/auth/child-pair').send({ code: pairing.code, deviceName }),
    201,
    'child pair',
  );
  const me = await ok<{ id: string; deviceId: string }>(t.http.get('/v1/me').set(auth(tokens.accessToken)), 200, 'child me');
  return { id: childId, token: tokens.accessToken, refreshToken: tokens.refreshToken, deviceId: me.deviceId };
}

/** A migrant parent, a grandparent guardian and a child with a paired device, in one family. */
export async function givenFamily(t: TestApp, options: { parentTimeZone?: string } = {}): Promise<TestFamily> {
  const [parent, guardian] = await Promise.all([
    givenAdult(t, { displayName: '爸爸', timeZone: options.parentTimeZone ?? 'Asia/Shanghai' }),
    givenAdult(t, { displayName: '奶奶' }),
  ]);
  const familyId = await givenFamilyOf(t, parent, 'parent');
  await givenMember(t, familyId, parent, guardian, 'guardian');
  const childId = await givenChildProfile(t, familyId, guardian);
  const device = await givenPairedDevice(t, childId, guardian);
  return { familyId, parent, guardian, child: { ...device, displayName: '小明' } };
}

/** A teacher with a class; `pupils` families enrol their child with the class's join code. */
export async function givenClass(t: TestApp, pupils: TestFamily[] = []): Promise<TestClass> {
  const teacher = await givenAdult(t, { displayName: '李老师' });
  const klass = await ok<{ id: string; joinCode: string }>(t.http.post('/v1/classes').set(auth(teacher.token)).send({ name: '三年级二班', schoolName: '城关小学' }), 201, 'create class');
  for (const family of pupils) {
    await ok(t.http.post(`/v1/children/${family.child.id}/enrollments`).set(auth(family.guardian.token)).send({ joinCode: klass.joinCode }), 201, 'enrol');
  }
  return { id: klass.id, joinCode: klass.joinCode, teacher };
}

export interface WeeklyCallTerms {
  daysOfWeek: number[];
  startTime: string;
  durationMinutes?: number;
  timeZone?: string;
}

/** A weekly call proposed by the family's parent and accepted by its guardian; returns the plan id. */
export async function givenWeeklyCall(t: TestApp, family: TestFamily, terms: WeeklyCallTerms): Promise<string> {
  const plan = await ok<{ id: string }>(
    t.http
      .post('/v1/call-plans')
      .set(auth(family.parent.token))
      .send({ childId: family.child.id, durationMinutes: 30, timeZone: 'Asia/Shanghai', ...terms }),
    201,
    'propose call plan',
  );
  await ok(t.http.post(`/v1/call-plans/${plan.id}/accept`).set(auth(family.guardian.token)).send(), 200, 'accept call plan');
  return plan.id;
}

/**
 * A new access token through the refresh endpoint, as a client does when its token has expired (for
 * tests that move the clock by days). Returns the caller with both tokens replaced.
 */
export async function refreshed<T extends { token: string; refreshToken: string }>(t: TestApp, who: T): Promise<T> {
  const pair = await ok<{ accessToken: string; refreshToken: string }>(
    t.http.post('/v1/auth/refresh').send({ refreshToken: who.refreshToken }),
    200,
    'refresh',
  );
  return { ...who, token: pair.accessToken, refreshToken: pair.refreshToken };
}
