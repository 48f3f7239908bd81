import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { SchedulingProcessor } from '../../src/modules/scheduling/scheduling.processor';
import { TestApp } from '../helpers/app';
import { auth, givenAdult, givenClass, givenFamily, givenWeeklyCall, refreshed, TestFamily } from '../factories';

/** Sunday 19:30 in Shanghai. */
const START = new Date('2026-11-29T11:30:00Z');
const MINUTE = 60_000;

describe('missed calls, make-up calls, connection summary and the weekly digest', () => {
  let t: TestApp;
  let jobs: SchedulingProcessor;

  beforeAll(async () => {
    t = await TestApp.start();
    jobs = t.app.get(SchedulingProcessor);
  });
  afterAll(() => t.stop());
  beforeEach(() => t.clock.set(new Date(START.getTime() - 2 * 24 * 60 * MINUTE)));

  async function sundayCall(family: TestFamily): Promise<string> {
    await givenWeeklyCall(t, family, { daysOfWeek: [0], startTime: '19:30' });
    const [call] = await t.query<{ id: string }>(`SELECT id FROM call_occurrences WHERE child_id = $1 AND starts_at = $2`, [family.child.id, START]);
    return call.id;
  }

  const notificationsOf = (userId: string, kind: string) =>
    t.query<{ params: Record<string, string | number> }>(`SELECT params FROM notifications WHERE user_id = $1 AND kind = $2 ORDER BY created_at`, [userId, kind]);

  it('marks a call that did not happen as missed, tells both sides and proposes a make-up slot that fits', async () => {
    const family = await givenFamily(t);
    const callId = await sundayCall(family);

    t.clock.set(new Date(START.getTime() + 29 * MINUTE));
    expect(await jobs.markMissed()).toBe(0); // still running: not missed yet

    t.clock.set(new Date(START.getTime() + 31 * MINUTE)); // 20:01 in Shanghai
    expect(await jobs.markMissed()).toBeGreaterThanOrEqual(1);
    const [call] = await t.query<{ state: string; version: number; makeup_starts_at: Date }>(
      `SELECT state, version, makeup_starts_at FROM call_occurrences WHERE id = $1`,
      [callId],
    );
    expect(call.state).toBe('missed');
    // 20:45 would end after 21:00, so the first slot in the household's waking hours is Monday 08:00
    expect(new Date(call.makeup_starts_at).toISOString()).toBe('2026-11-30T00:00:00.000Z');
    // its pending reminders (the "starting now" nudge) were superseded
    expect(await t.count('reminders', `occurrence_id = $1 AND state = 'scheduled'`, [callId])).toBe(0);

    for (const adult of [family.parent, family.guardian]) {
      const [told] = await notificationsOf(adult.id, 'call_missed');
      expect(told.params).toMatchObject({ childName: '小明', parentName: '爸爸', time: '周日 19:30', makeupTime: '周一 08:00' });
    }
    expect(await jobs.markMissed()).toBe(0); // idempotent
  });

  it('lets a guardian book the make-up in one step, once; the parent is told', async () => {
    const family = await givenFamily(t);
    const other = await givenFamily(t);
    const klass = await givenClass(t, [family]);
    const callId = await sundayCall(family);
    t.clock.set(new Date(START.getTime() + 31 * MINUTE));
    await jobs.markMissed();
    const stranger = await givenAdult(t);
    // two days have passed on the app's clock: the clients refresh their access tokens
    const [guardian, parent, child] = [await refreshed(t, family.guardian), await refreshed(t, family.parent), await refreshed(t, family.child)];
    const [otherGuardian, teacher] = [await refreshed(t, other.guardian), await refreshed(t, klass.teacher)];

    const before = await t.snapshot();
    expect((await t.http.post(`/v1/calls/${callId}/makeup`).set(auth(stranger.token))).status).toBe(404);
    expect((await t.http.post(`/v1/calls/${callId}/makeup`).set(auth(otherGuardian.token))).status).toBe(404);
    expect((await t.http.post(`/v1/calls/${callId}/makeup`).set(auth(teacher.token))).status).toBe(403);
    expect((await t.http.post(`/v1/calls/${callId}/makeup`).set(auth(child.token))).status).toBe(403);
    expect((await t.http.post(`/v1/calls/${callId}/makeup`).set(auth(parent.token))).status).toBe(403);
    expect(await t.snapshot()).toEqual(before);

    const booked = await t.http.post(`/v1/calls/${callId}/makeup`).set(auth(guardian.token));
    expect(booked.status).toBe(201);
    expect(booked.body).toMatchObject({ kind: 'makeup', replacesId: callId, state: 'scheduled', startsAt: '2026-11-30T00:00:00.000Z', localDate: '2026-11-30' });
    expect((await t.http.post(`/v1/calls/${callId}/makeup`).set(auth(guardian.token))).status).toBe(409);

    const [told] = await notificationsOf(family.parent.id, 'makeup_booked');
    expect(told.params).toMatchObject({ time: '周一 08:00' });
    // the make-up call is reminded like any other
    expect(await t.count('reminders', `occurrence_id = $1 AND offset_minutes = 15 AND state = 'scheduled'`, [booked.body.id])).toBe(2);
    const audit = await t.http.get(`/v1/children/${family.child.id}/audit`).set(auth(guardian.token));
    expect(audit.body.items.map((e: { action: string }) => e.action)).toContain('call.makeup_accepted');
  });

  it('summarises how connected the child is, for the family only', async () => {
    const family = await givenFamily(t);
    const other = await givenFamily(t);
    const klass = await givenClass(t, [family]);
    await givenWeeklyCall(t, family, { daysOfWeek: [0, 3], startTime: '19:30' });
    // history: the first two calls were made (20 and 25 minutes), the third was missed
    const calls = await t.query<{ id: string; starts_at: Date }>(
      `SELECT id, starts_at FROM call_occurrences WHERE child_id = $1 ORDER BY starts_at LIMIT 3`,
      [family.child.id],
    );
    await t.query(`UPDATE call_occurrences SET state = 'completed', completed_at = starts_at + interval '20 minutes', talked_seconds = 1200 WHERE id = $1`, [calls[0].id]);
    await t.query(`UPDATE call_occurrences SET state = 'completed', completed_at = starts_at + interval '25 minutes', talked_seconds = 1500 WHERE id = $1`, [calls[1].id]);
    await t.query(`UPDATE call_occurrences SET state = 'missed', missed_at = ends_at WHERE id = $1`, [calls[2].id]);
    t.clock.set(new Date(new Date(calls[2].starts_at).getTime() + 60 * MINUTE));
    const [parent, guardian, child] = [await refreshed(t, family.parent), await refreshed(t, family.guardian), await refreshed(t, family.child)];
    const summary = async () => {
      const res = await t.http.get(`/v1/children/${family.child.id}/connection-summary`).set(auth(parent.token));
      expect(res.status).toBe(200);
      return res.body;
    };

    // calls[0] began 7 days and an hour ago, out of the last 7 days. The weeks run Monday to Sunday in
    // Shanghai: with calls on Sunday, Wednesday, Sunday, the current week has the Wednesday call and
    // the last week the first Sunday's (2 weeks); with Wednesday, Sunday, Wednesday both calls were in
    // the last week and the current one has none yet, which does not break the streak (1 week).
    const firstOnSunday = DateTime.fromJSDate(calls[0].starts_at, { zone: 'Asia/Shanghai' }).weekday === 7;
    expect(await summary()).toEqual({
      childId: family.child.id,
      lastContactAt: new Date(new Date(calls[1].starts_at).getTime() + 25 * MINUTE).toISOString(),
      last7Days: { callsCompleted: 1, callsMissed: 1, minutesTalked: 25 },
      last30Days: { callsCompleted: 2, callsMissed: 1, minutesTalked: 45 },
      weeklyStreak: firstOnSunday ? 2 : 1,
    });

    // a message between the child and a parent is contact too; the guardian's, at home with the child, is not
    const thread = (await t.http.get('/v1/conversations').set(auth(parent.token))).body.items[0].id as string;
    const post = (who: { token: string }, body: string) =>
      t.http.post(`/v1/conversations/${thread}/messages`).set(auth(who.token)).send({ kind: 'text', clientMsgId: randomUUID(), body }).expect(201);
    t.clock.advance(MINUTE);
    await post(parent, '今天作业写完了吗');
    const parentWrote = t.clock.now().toISOString();
    expect((await summary()).lastContactAt).toBe(parentWrote);
    t.clock.advance(MINUTE);
    await post(guardian, '他在写');
    expect((await summary()).lastContactAt).toBe(parentWrote);
    t.clock.advance(MINUTE);
    await post(child, '写完了！');
    expect((await summary()).lastContactAt).toBe(t.clock.now().toISOString());

    const stranger = await givenAdult(t);
    expect((await t.http.get(`/v1/children/${family.child.id}/connection-summary`).set(auth(stranger.token))).status).toBe(404);
    expect((await t.http.get(`/v1/children/${family.child.id}/connection-summary`).set(auth(child.token))).status).toBe(403);
    const [otherParent, teacher] = [await refreshed(t, other.parent), await refreshed(t, klass.teacher)];
    expect((await t.http.get(`/v1/children/${family.child.id}/connection-summary`).set(auth(otherParent.token))).status).toBe(404);
    expect((await t.http.get(`/v1/children/${family.child.id}/connection-summary`).set(auth(teacher.token))).status).toBe(403);
  });

  it('sends each parent a weekly digest on Sunday 20:00 in their own zone, once', async () => {
    const family = await givenFamily(t, { parentTimeZone: 'Europe/Berlin' });
    await sundayCall(family);
    // Sunday 20:05 in Shanghai is 13:05 in Berlin: not yet for this parent
    t.clock.set(new Date('2026-11-29T12:05:00Z'));
    await jobs.sendDigests();
    expect(await notificationsOf(family.parent.id, 'weekly_digest')).toEqual([]);
    // Sunday 20:05 in Berlin
    t.clock.set(new Date('2026-11-29T19:05:00Z'));
    await jobs.sendDigests();
    await jobs.sendDigests();
    const digests = await notificationsOf(family.parent.id, 'weekly_digest');
    expect(digests).toHaveLength(1);
    expect(digests[0].params).toMatchObject({ childName: '小明', completed: 0, streak: 0 });
    expect(await notificationsOf(family.guardian.id, 'weekly_digest')).toEqual([]);
  });
});
