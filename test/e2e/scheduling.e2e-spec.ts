import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import { OccurrencesService } from '../../src/modules/scheduling/occurrences.service';
import { auth, givenAdult, givenFamily, TestFamily } from '../factories';
import { TestApp } from '../helpers/app';

/**
 * A Monday, 08:00 in Shanghai. Access tokens are issued and checked on the app's clock, so a test that
 * moves the clock by months signs in again afterwards, as a real user would.
 */
const BASE = new Date('2026-03-02T00:00:00Z');
const DAY = 24 * 3600_000;
const WEEK = 7 * DAY;

interface Plan {
  id: string;
  status: string;
  version: number;
  timeZone: string;
  startsOn: string;
  daysOfWeek: number[];
  startTime: string;
  durationMinutes: number;
  proposedBy: string;
  awaiting: string | null;
  pausedUntil: string | null;
  acceptedBy: string | null;
}

interface Call {
  id: string;
  planId: string;
  childId: string;
  startsAt: string;
  endsAt: string;
  localDate: string;
  timeZone: string;
  state: string;
  kind: string;
  version: number;
  replacesId: string | null;
}

type Caller = { token: string };

describe('scheduling: call plans, calls and the calendar feed', () => {
  let t: TestApp;

  const propose = (who: Caller, body: Record<string, unknown>) => t.http.post('/v1/call-plans').set(auth(who.token)).send(body);
  const act = (who: Caller, planId: string, action: string, body: Record<string, unknown> = {}) =>
    t.http.post(`/v1/call-plans/${planId}/${action}`).set(auth(who.token)).send(body);
  const listCalls = (who: Caller, query: Record<string, string>) => t.http.get('/v1/calls').query(query).set(auth(who.token));
  const window = (from: Date, to: Date) => ({ from: from.toISOString(), to: to.toISOString() });

  async function activePlan(family: TestFamily, terms: Record<string, unknown>): Promise<Plan> {
    const proposed = await propose(family.parent, { childId: family.child.id, ...terms });
    expect(proposed.status).toBe(201);
    const accepted = await act(family.guardian, proposed.body.id, 'accept');
    expect(accepted.status).toBe(200);
    return accepted.body;
  }

  async function callsOf(family: TestFamily, from = BASE, to = new Date(BASE.getTime() + 12 * WEEK)): Promise<Call[]> {
    const res = await listCalls(family.parent, { ...window(from, to), childId: family.child.id });
    expect(res.status).toBe(200);
    return res.body;
  }

  /** Plans, calls and their reminders; unlike t.snapshot(), blind to other background jobs' notifications. */
  async function schedulingState(): Promise<string[]> {
    const rows = await t.query<{ h: string }>(
      `SELECT (SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) FROM call_plans x) ||
              (SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) FROM call_occurrences x) ||
              (SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) FROM reminders x) AS h`,
    );
    return rows.map((r) => r.h);
  }

  beforeAll(async () => {
    t = await TestApp.start();
    t.clock.set(BASE);
  });
  beforeEach(() => t.clock.set(BASE));
  afterAll(() => t.stop());

  describe('agreeing on a plan', () => {
    it('a parent proposes, a guardian counters, the parent accepts: calls are booked eight weeks ahead with reminders', async () => {
      const family = await givenFamily(t);
      const proposed = await propose(family.parent, { childId: family.child.id, daysOfWeek: [0], startTime: '19:30', durationMinutes: 30 });
      expect(proposed.status).toBe(201);
      expect(proposed.body).toMatchObject({
        status: 'proposed',
        awaiting: 'guardian',
        proposedBy: family.parent.id,
        parentId: family.parent.id,
        timeZone: 'Asia/Shanghai', // the guardian's zone
        startsOn: '2026-03-02', // today in Shanghai
        daysOfWeek: [0],
        startTime: '19:30',
        version: 1,
      });
      const planId: string = proposed.body.id;
      const told = await t.query(`SELECT kind, params FROM notifications WHERE user_id = $1 AND kind LIKE 'call_plan_%'`, [family.guardian.id]);
      expect(told).toEqual([{ kind: 'call_plan_proposed', params: expect.objectContaining({ schedule: '每周日 19:30', childName: '小明', name: '爸爸' }) }]);

      // nobody answers their own terms
      expect((await act(family.parent, planId, 'accept')).status).toBe(403);

      const countered = await act(family.guardian, planId, 'counter', { daysOfWeek: [6], startTime: '10:00' });
      expect(countered.status).toBe(200);
      expect(countered.body).toMatchObject({ status: 'countered', awaiting: 'parent', proposedBy: family.guardian.id, daysOfWeek: [6], startTime: '10:00', durationMinutes: 30, version: 2 });
      expect(await t.count('notifications', `user_id = $1 AND kind = 'call_plan_countered'`, [family.parent.id])).toBe(1);
      expect((await act(family.guardian, planId, 'accept')).status).toBe(403);
      expect(await t.count('call_occurrences', 'plan_id = $1', [planId])).toBe(0);

      const accepted = await act(family.parent, planId, 'accept');
      expect(accepted.status).toBe(200);
      expect(accepted.body).toMatchObject({ status: 'active', awaiting: null, acceptedBy: family.parent.id, version: 3 });
      expect(await t.count('notifications', `user_id = $1 AND kind = 'call_plan_accepted'`, [family.guardian.id])).toBe(1);

      const calls = await callsOf(family);
      // every Saturday 10:00 in Shanghai (02:00Z) from the first one through eight weeks from now
      expect(calls.map((c) => c.localDate)).toEqual(['2026-03-07', '2026-03-14', '2026-03-21', '2026-03-28', '2026-04-04', '2026-04-11', '2026-04-18', '2026-04-25']);
      expect(calls.every((c) => c.startsAt.endsWith('T02:00:00.000Z') && c.state === 'scheduled' && c.kind === 'regular' && c.planId === planId)).toBe(true);
      expect(new Date(calls.at(-1)!.startsAt).getTime()).toBeGreaterThan(BASE.getTime() + 7 * WEEK);

      // reminders for the parent and the guardian of every call
      const reminded = await t.query<{ user_id: string; n: number }>(
        `SELECT user_id, count(DISTINCT occurrence_id)::int AS n FROM reminders r JOIN call_occurrences o ON o.id = r.occurrence_id
          WHERE o.plan_id = $1 AND r.state = 'scheduled' GROUP BY user_id ORDER BY user_id`,
        [planId],
      );
      expect(reminded).toEqual(expect.arrayContaining([{ user_id: family.parent.id, n: 8 }, { user_id: family.guardian.id, n: 8 }]));

      const audit = await t.query<{ action: string; actor_id: string }>(`SELECT action, actor_id FROM audit_events WHERE child_id = $1 AND action LIKE 'call_plan.%' ORDER BY created_at, action`, [family.child.id]);
      expect(audit).toEqual([
        { action: 'call_plan.proposed', actor_id: family.parent.id },
        { action: 'call_plan.countered', actor_id: family.guardian.id },
        { action: 'call_plan.accepted', actor_id: family.parent.id },
      ]);

      // the family's adults and the child see the plan
      for (const who of [family.parent, family.guardian, family.child]) {
        const listed = await t.http.get('/v1/call-plans').query({ childId: family.child.id }).set(auth(who.token));
        expect(listed.status).toBe(200);
        expect(listed.body.map((p: Plan) => [p.id, p.status])).toEqual([[planId, 'active']]);
      }
      // and a second accept is a conflict with the current status
      expect((await act(family.parent, planId, 'accept')).status).toBe(409);
    });

    it('a guardian declines; a declined plan can no longer be accepted or countered', async () => {
      const family = await givenFamily(t);
      const { body: plan } = await propose(family.parent, { childId: family.child.id, daysOfWeek: [2], startTime: '20:00', durationMinutes: 20 });
      const declined = await act(family.guardian, plan.id, 'decline');
      expect(declined.status).toBe(200);
      expect(declined.body).toMatchObject({ status: 'declined', version: 2 });
      expect(await t.count('notifications', `user_id = $1 AND kind = 'call_plan_declined'`, [family.parent.id])).toBe(1);
      const accept = await act(family.guardian, plan.id, 'accept');
      expect(accept.status).toBe(409);
      expect(accept.headers['content-type']).toContain('application/problem+json');
      expect((await act(family.guardian, plan.id, 'counter', { startTime: '21:00' })).status).toBe(409);
    });

    it('refuses bad terms with the fields named', async () => {
      const family = await givenFamily(t);
      const base = { childId: family.child.id, daysOfWeek: [0], startTime: '19:30', durationMinutes: 30 };
      const cases: [Record<string, unknown>, string][] = [
        [{ daysOfWeek: [] }, 'daysOfWeek'],
        [{ daysOfWeek: [0, 0] }, 'daysOfWeek'],
        [{ daysOfWeek: [7] }, 'daysOfWeek'],
        [{ daysOfWeek: [0, 1, 2, 3, 4, 5, 6, 0] }, 'daysOfWeek'],
        [{ startTime: '7:30' }, 'startTime'],
        [{ startTime: '24:00' }, 'startTime'],
        [{ durationMinutes: 4 }, 'durationMinutes'],
        [{ durationMinutes: 121 }, 'durationMinutes'],
        [{ timeZone: 'Mars/Olympus' }, 'timeZone'],
        [{ timeZone: null }, 'timeZone'],
        [{ startsOn: '2026-03-01' }, 'startsOn'],
        [{ startsOn: '2026-02-30' }, 'startsOn'],
      ];
      const before = await t.snapshot();
      for (const [change, field] of cases) {
        const res = await propose(family.parent, { ...base, ...change });
        expect({ change, status: res.status }).toEqual({ change, status: 400 });
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      expect(await t.snapshot()).toEqual(before);
      const { body: plan } = await propose(family.parent, base);
      expect((await act(family.guardian, plan.id, 'counter', {})).status).toBe(400);
      expect((await act(family.guardian, plan.id, 'counter', { durationMinutes: 500 })).status).toBe(400);
      await act(family.guardian, plan.id, 'accept');
      expect((await act(family.parent, plan.id, 'pause', { until: '2026-03-02' })).status).toBe(400); // today is not a pause
      expect((await act(family.parent, plan.id, 'pause', { until: 'soon' })).status).toBe(400);
    });
  });

  describe('overlaps', () => {
    it('two live plans of one child may not overlap, compared as instants across zones', async () => {
      const family = await givenFamily(t);
      await activePlan(family, { daysOfWeek: [0], startTime: '19:30', durationMinutes: 30 });

      const clash = await propose(family.parent, { childId: family.child.id, daysOfWeek: [0, 3], startTime: '19:45', durationMinutes: 30 });
      expect(clash.status).toBe(409);
      expect(clash.body.detail).toMatch(/overlaps another call plan/);
      // 12:40 in Berlin (CET, UTC+1) is 19:40 in Shanghai
      const acrossZones = await propose(family.parent, { childId: family.child.id, daysOfWeek: [0], startTime: '12:40', durationMinutes: 10, timeZone: 'Europe/Berlin' });
      expect(acrossZones.status).toBe(409);

      // back to back is fine; a pending proposal claims its slot too
      const next = await propose(family.parent, { childId: family.child.id, daysOfWeek: [0], startTime: '20:00', durationMinutes: 30 });
      expect(next.status).toBe(201);
      expect((await propose(family.parent, { childId: family.child.id, daysOfWeek: [0], startTime: '20:15', durationMinutes: 30 })).status).toBe(409);
      // a counter onto a taken slot is refused as well
      const counter = await act(family.guardian, next.body.id, 'counter', { startTime: '19:00', durationMinutes: 45 });
      expect(counter.status).toBe(409);
      // a declined plan frees its slot
      await act(family.guardian, next.body.id, 'decline');
      expect((await propose(family.parent, { childId: family.child.id, daysOfWeek: [0], startTime: '20:15', durationMinutes: 30 })).status).toBe(201);
    });
  });

  describe('one call at a time', () => {
    it('skip and reschedule change one call and leave the plan as it was; an overlapping move is refused', async () => {
      const family = await givenFamily(t);
      const plan = await activePlan(family, { daysOfWeek: [0, 3], startTime: '19:30', durationMinutes: 30 });
      const [first, second, third] = await callsOf(family);
      expect([first.localDate, second.localDate, third.localDate]).toEqual(['2026-03-04', '2026-03-08', '2026-03-11']);

      const skipped = await t.http.post(`/v1/calls/${first.id}/skip`).set(auth(family.guardian.token));
      expect(skipped.status).toBe(200);
      expect(skipped.body).toMatchObject({ id: first.id, state: 'skipped', version: 2 });
      expect(await t.count('reminders', `occurrence_id = $1 AND state = 'scheduled'`, [first.id])).toBe(0);
      expect((await t.http.post(`/v1/calls/${first.id}/skip`).set(auth(family.parent.token))).status).toBe(409);

      const newStart = new Date(new Date(second.startsAt).getTime() + 3600_000);
      const moved = await t.http.post(`/v1/calls/${second.id}/reschedule`).set(auth(family.parent.token)).send({ startsAt: newStart.toISOString() });
      expect(moved.status).toBe(201);
      expect(moved.body).toMatchObject({
        kind: 'rescheduled',
        state: 'scheduled',
        replacesId: second.id,
        planId: plan.id,
        startsAt: newStart.toISOString(),
        endsAt: new Date(newStart.getTime() + 30 * 60_000).toISOString(),
        localDate: '2026-03-08',
        timeZone: 'Asia/Shanghai',
        version: 1,
      });
      expect(await t.count('reminders', `occurrence_id = $1 AND state = 'scheduled'`, [second.id])).toBe(0);
      expect(await t.count('reminders', `occurrence_id = $1 AND state = 'scheduled'`, [moved.body.id])).toBeGreaterThan(0);

      // onto the moved call: overlaps, refused, nothing written
      const before = await t.snapshot();
      const clash = await t.http
        .post(`/v1/calls/${third.id}/reschedule`)
        .set(auth(family.guardian.token))
        .send({ startsAt: new Date(newStart.getTime() + 10 * 60_000).toISOString() });
      expect(clash.status).toBe(409);
      expect(clash.body.detail).toBe('The new time overlaps another call of this child');
      expect((await t.http.post(`/v1/calls/${third.id}/reschedule`).set(auth(family.parent.token)).send({ startsAt: new Date(BASE.getTime() - 60_000).toISOString() })).status).toBe(400);
      expect((await t.http.post(`/v1/calls/${third.id}/reschedule`).set(auth(family.parent.token)).send({ startsAt: new Date(BASE.getTime() + 15 * DAY).toISOString() })).status).toBe(400);
      expect((await t.http.post(`/v1/calls/${third.id}/reschedule`).set(auth(family.parent.token)).send({ startsAt: '2026-03-11 12:00' })).status).toBe(400);
      expect((await t.http.post(`/v1/calls/${second.id}/reschedule`).set(auth(family.parent.token)).send({ startsAt: newStart.toISOString() })).status).toBe(409);
      expect(await t.snapshot()).toEqual(before);

      const calls = await callsOf(family, BASE, new Date(BASE.getTime() + 2 * WEEK));
      expect(calls.map((c) => [c.localDate, c.state, c.kind])).toEqual([
        ['2026-03-04', 'skipped', 'regular'],
        ['2026-03-08', 'rescheduled', 'regular'],
        ['2026-03-08', 'scheduled', 'rescheduled'],
        ['2026-03-11', 'scheduled', 'regular'],
        ['2026-03-15', 'scheduled', 'regular'],
      ]);
      const [after] = (await t.http.get('/v1/call-plans').query({ childId: family.child.id }).set(auth(family.parent.token))).body;
      expect(after).toMatchObject({ id: plan.id, status: 'active', version: plan.version, daysOfWeek: [0, 3], startTime: '19:30' });
      expect(await t.count('audit_events', `child_id = $1 AND action IN ('call.skipped', 'call.rescheduled')`, [family.child.id])).toBe(2);
    });

    it('booking a plan leaves out a slot already taken by a moved call, and booking again writes nothing', async () => {
      const family = await givenFamily(t);
      await activePlan(family, { daysOfWeek: [0], startTime: '19:30', durationMinutes: 30 });
      const [sunday] = await callsOf(family);
      // Sunday's call moves to Wednesday 2026-03-11 19:30 in Shanghai
      await t.http.post(`/v1/calls/${sunday.id}/reschedule`).set(auth(family.parent.token)).send({ startsAt: '2026-03-11T11:30:00Z' }).expect(201);
      const wednesdays = await activePlan(family, { daysOfWeek: [3], startTime: '19:30', durationMinutes: 30 });
      const booked = (await callsOf(family)).filter((c) => c.planId === wednesdays.id);
      expect(booked.map((c) => c.localDate)).toEqual(['2026-03-04', '2026-03-18', '2026-03-25', '2026-04-01', '2026-04-08', '2026-04-15', '2026-04-22']);

      const occurrences = t.app.get(OccurrencesService);
      const before = await t.count('call_occurrences');
      await t.dataSource.transaction((em) => occurrences.materialise(em, wednesdays.id, BASE, new Date(BASE.getTime() + 8 * WEEK)));
      expect(await t.count('call_occurrences')).toBe(before);
    });

    it('lists calls in a window of at most 92 days, for one child or all of mine', async () => {
      const family = await givenFamily(t);
      await activePlan(family, { daysOfWeek: [1], startTime: '18:00', durationMinutes: 15 });
      const mine = await listCalls(family.guardian, window(BASE, new Date(BASE.getTime() + 2 * WEEK)));
      expect(mine.status).toBe(200);
      expect(mine.body.map((c: Call) => c.localDate)).toEqual(['2026-03-02', '2026-03-09']);
      const asChild = await listCalls(family.child, window(BASE, new Date(BASE.getTime() + 2 * WEEK)));
      expect(asChild.body).toEqual(mine.body);
      expect((await listCalls(family.parent, window(BASE, new Date(BASE.getTime() + 93 * DAY)))).status).toBe(400);
      expect((await listCalls(family.parent, window(BASE, BASE))).status).toBe(400);
      expect((await listCalls(family.parent, { from: '2026-03-02', to: '2026-03-05' })).status).toBe(400);
      const stranger = await givenAdult(t);
      expect((await listCalls(stranger, window(BASE, new Date(BASE.getTime() + WEEK)))).body).toEqual([]);
    });
  });

  describe('calendar feed', () => {
    it('round-trips through an independent iCalendar parser: stable UIDs, times, sequences and cancellations', async () => {
      const family = await givenFamily(t);
      await activePlan(family, { daysOfWeek: [0, 3], startTime: '19:30', durationMinutes: 30 });
      const [first, second] = await callsOf(family);
      await t.http.post(`/v1/calls/${first.id}/skip`).set(auth(family.parent.token)).expect(200);
      const moved = await t.http
        .post(`/v1/calls/${second.id}/reschedule`)
        .set(auth(family.parent.token))
        .send({ startsAt: new Date(new Date(second.startsAt).getTime() + 2 * 3600_000).toISOString() })
        .expect(201);

      const issued = await t.http.post('/v1/calendar/token').set(auth(family.parent.token));
      expect(issued.status).toBe(201);
      expect(issued.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(issued.body.url).toBe(`${t.config.publicUrl}/v1/calendar/${issued.body.token}.ics`);
      expect(await t.count('calendar_feeds', 'token_hash = $1', [issued.body.token])).toBe(0);

      const feed = await t.http.get(`/v1/calendar/${issued.body.token}.ics`);
      expect(feed.status).toBe(200);
      expect(feed.headers['content-type']).toMatch(/^text\/calendar/);
      const calendar = new ICAL.Component(ICAL.parse(feed.text));
      // the feed carries its zones: an independent parser learns them from it, as a calendar app does
      for (const vtimezone of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(vtimezone);
      expect(calendar.getAllSubcomponents('vtimezone').map((z) => z.getFirstPropertyValue('tzid'))).toEqual(['Asia/Shanghai']);
      const events = calendar.getAllSubcomponents('vevent').map((v) => new ICAL.Event(v));
      const calls = await callsOf(family, new Date(BASE.getTime() - 30 * DAY), new Date(BASE.getTime() + 57 * DAY));
      expect(events.map((e) => e.uid).sort()).toEqual(calls.map((c) => `${c.id}@homeline`).sort());
      for (const call of calls) {
        const vevent = calendar.getAllSubcomponents('vevent').find((v) => v.getFirstPropertyValue('uid') === `${call.id}@homeline`)!;
        const event = new ICAL.Event(vevent);
        expect(vevent.getFirstProperty('dtstart')!.getParameter('tzid')).toBe('Asia/Shanghai');
        expect(event.startDate.toJSDate().toISOString()).toBe(call.startsAt);
        expect(event.endDate.toJSDate().toISOString()).toBe(call.endsAt);
        expect(event.sequence).toBe(call.version);
        expect(event.summary).toBe('与小明视频通话');
        expect(vevent.getFirstPropertyValue('status')).toBe(call.state === 'scheduled' ? 'CONFIRMED' : 'CANCELLED');
      }
      const statusOf = (id: string) => calendar.getAllSubcomponents('vevent').find((v) => v.getFirstPropertyValue('uid') === `${id}@homeline`)!.getFirstPropertyValue('status');
      expect([statusOf(first.id), statusOf(second.id), statusOf(moved.body.id)]).toEqual(['CANCELLED', 'CANCELLED', 'CONFIRMED']);

      // the guardian's own feed names both sides
      const guardianToken = (await t.http.post('/v1/calendar/token').set(auth(family.guardian.token))).body.token;
      const guardianFeed = new ICAL.Component(ICAL.parse((await t.http.get(`/v1/calendar/${guardianToken}.ics`)).text));
      expect(new ICAL.Event(guardianFeed.getFirstSubcomponent('vevent')!).summary).toBe('小明和爸爸视频通话');

      // rotating: the old URL stops working
      const rotated = await t.http.post('/v1/calendar/token').set(auth(family.parent.token));
      const old = await t.http.get(`/v1/calendar/${issued.body.token}.ics`);
      expect(old.status).toBe(404);
      expect(old.headers['content-type']).toContain('application/problem+json');
      expect((await t.http.get(`/v1/calendar/${rotated.body.token}.ics`)).status).toBe(200);
      expect((await t.http.get(`/v1/calendar/not-a-token.ics`)).status).toBe(404);
      expect((await t.http.get(`/v1/calendar/${'A'.repeat(43)}.ics`)).status).toBe(404);
    });
  });

  describe('who may do what', () => {
    it('refuses every endpoint to those outside the family (404), the child on writes (403) and the wrong side (403), writing nothing', async () => {
      const family = await givenFamily(t);
      const other = await givenFamily(t);
      const stranger = await givenAdult(t);
      const active = await activePlan(family, { daysOfWeek: [0], startTime: '19:30', durationMinutes: 30 });
      const { body: pending } = await propose(family.parent, { childId: family.child.id, daysOfWeek: [3], startTime: '19:30', durationMinutes: 30 });
      const [call] = await callsOf(family);
      const outsiders = [stranger, other.parent, other.guardian];
      const week = window(BASE, new Date(BASE.getTime() + WEEK));
      const later = new Date(new Date(call.startsAt).getTime() + DAY).toISOString();

      type Attempt = { name: string; who: Caller; send: (who: Caller) => Promise<{ status: number }>; expected: number };
      const attempts: Attempt[] = [];
      const each = (name: string, send: Attempt['send'], expectations: [Caller, number][]) =>
        expectations.forEach(([who, expected]) => attempts.push({ name, who, send, expected }));
      const planBody = { childId: family.child.id, daysOfWeek: [5], startTime: '08:00', durationMinutes: 30 };

      each('propose', (who) => propose(who, planBody), [...outsiders.map((o): [Caller, number] => [o, 404]), [family.child, 403], [family.guardian, 403], [other.child, 404]]);
      each('list plans', (who) => t.http.get('/v1/call-plans').query({ childId: family.child.id }).set(auth(who.token)), [...outsiders.map((o): [Caller, number] => [o, 404]), [other.child, 404]]);
      for (const action of ['accept', 'decline', 'counter']) {
        const body = action === 'counter' ? { startTime: '21:00' } : {};
        each(action, (who) => act(who, pending.id, action, body), [...outsiders.map((o): [Caller, number] => [o, 404]), [family.child, 403], [family.parent, 403]]);
      }
      for (const action of ['pause', 'resume', 'end']) {
        each(action, (who) => act(who, active.id, action), [...outsiders.map((o): [Caller, number] => [o, 404]), [family.child, 403], [other.child, 404]]);
      }
      each('list calls', (who) => listCalls(who, { ...week, childId: family.child.id }), [...outsiders.map((o): [Caller, number] => [o, 404]), [other.child, 404]]);
      each('skip', (who) => t.http.post(`/v1/calls/${call.id}/skip`).set(auth(who.token)), [...outsiders.map((o): [Caller, number] => [o, 404]), [family.child, 403]]);
      each('reschedule', (who) => t.http.post(`/v1/calls/${call.id}/reschedule`).set(auth(who.token)).send({ startsAt: later }), [
        ...outsiders.map((o): [Caller, number] => [o, 404]),
        [family.child, 403],
      ]);
      each('calendar token', (who) => t.http.post('/v1/calendar/token').set(auth(who.token)), [[family.child, 403]]);
      each('unknown plan', (who) => act(who, '00000000-0000-4000-8000-000000000000', 'accept'), [[family.guardian, 404]]);
      each('unknown call', (who) => t.http.post('/v1/calls/00000000-0000-4000-8000-000000000000/skip').set(auth(who.token)), [[family.guardian, 404]]);
      each('no token', () => t.http.post(`/v1/call-plans/${pending.id}/accept`), [[family.guardian, 401]]);

      const before = await t.snapshot();
      const outcomes = [];
      for (const attempt of attempts) {
        const res = await attempt.send(attempt.who);
        outcomes.push({ name: attempt.name, status: res.status });
      }
      expect(outcomes).toEqual(attempts.map((a) => ({ name: a.name, status: a.expected })));
      expect(await t.snapshot()).toEqual(before);

      // the other family's calls stay invisible in a list without a child
      const theirs = await listCalls(other.parent, week);
      expect(theirs.status).toBe(200);
      expect(theirs.body.filter((c: Call) => c.childId === family.child.id)).toEqual([]);
    });
  });
  // these move the clock far: background jobs (missed calls) then act on earlier families, so they come last
  describe('pause, resume, end', () => {
    it('a pause with a date cancels the calls before it and ends by itself on that day', async () => {
      const family = await givenFamily(t);
      const plan = await activePlan(family, { daysOfWeek: [0], startTime: '19:30', durationMinutes: 30 });
      const paused = await act(family.parent, plan.id, 'pause', { until: '2026-03-22' });
      expect(paused.status).toBe(200);
      expect(paused.body).toMatchObject({ status: 'paused', pausedUntil: '2026-03-22', version: plan.version + 1 });
      expect(await t.count('notifications', `user_id = $1 AND kind = 'call_plan_paused'`, [family.guardian.id])).toBe(1);
      let calls = await callsOf(family, BASE, new Date(BASE.getTime() + 4 * WEEK));
      expect(calls.map((c) => [c.localDate, c.state])).toEqual([
        ['2026-03-08', 'cancelled'],
        ['2026-03-15', 'cancelled'],
        ['2026-03-22', 'scheduled'],
        ['2026-03-29', 'scheduled'],
      ]);
      expect(await t.count('reminders', `occurrence_id = ANY($1::uuid[]) AND state = 'scheduled'`, [[calls[0].id, calls[1].id]])).toBe(0);

      // the day before, nothing happens; on the day (in Shanghai), the job resumes the plan
      const occurrences = t.app.get(OccurrencesService);
      t.clock.set(new Date('2026-03-21T12:00:00Z'));
      await occurrences.extendHorizon();
      expect((await t.query(`SELECT status FROM call_plans WHERE id = $1`, [plan.id]))[0].status).toBe('paused');
      t.clock.set(new Date('2026-03-21T16:30:00Z')); // 00:30 on the 22nd in Shanghai
      const result = await occurrences.extendHorizon();
      expect(result.resumed).toBeGreaterThanOrEqual(1);
      const [resumed] = await t.query(`SELECT status, paused_until, version FROM call_plans WHERE id = $1`, [plan.id]);
      expect(resumed).toEqual({ status: 'active', paused_until: null, version: plan.version + 2 });
      expect(await t.count('audit_events', `child_id = $1 AND action = 'call_plan.resumed' AND actor_id IS NULL`, [family.child.id])).toBe(1);
      // and the horizon now reaches eight weeks past the new "now"
      const [{ last }] = await t.query<{ last: Date }>(`SELECT max(starts_at) AS last FROM call_occurrences WHERE plan_id = $1 AND state = 'scheduled'`, [plan.id]);
      expect(new Date(last).getTime()).toBeGreaterThan(new Date('2026-03-21T16:30:00Z').getTime() + 7 * WEEK);
      // running it again changes nothing
      t.clock.set(new Date('2026-03-21T16:45:00Z'));
      const again = await schedulingState();
      expect(await occurrences.extendHorizon()).toEqual({ resumed: 0, created: 0 });
      expect(await schedulingState()).toEqual(again);
    });

    it('resume brings the cancelled calls back; end cancels every upcoming call; transitions check the status', async () => {
      const family = await givenFamily(t);
      const plan = await activePlan(family, { daysOfWeek: [3], startTime: '19:30', durationMinutes: 30 });
      expect((await act(family.guardian, plan.id, 'resume')).status).toBe(409);
      const paused = await act(family.guardian, plan.id, 'pause');
      expect(paused.body).toMatchObject({ status: 'paused', pausedUntil: null });
      expect((await callsOf(family)).every((c) => c.state === 'cancelled')).toBe(true);

      const resumed = await act(family.parent, plan.id, 'resume');
      expect(resumed.status).toBe(200);
      expect(resumed.body).toMatchObject({ status: 'active', pausedUntil: null });
      const back = await callsOf(family);
      expect(back.length).toBe(8);
      expect(back.every((c) => c.state === 'scheduled' && c.version === 3)).toBe(true);
      expect(await t.count('reminders', `occurrence_id = $1 AND state = 'scheduled' AND occurrence_version = 3`, [back[0].id])).toBeGreaterThan(0);

      const ended = await act(family.guardian, plan.id, 'end');
      expect(ended.status).toBe(200);
      expect(ended.body).toMatchObject({ status: 'ended' });
      expect((await callsOf(family)).every((c) => c.state === 'cancelled')).toBe(true);
      expect(await t.count('reminders', `occurrence_id = ANY($1::uuid[]) AND state = 'scheduled'`, [back.map((c) => c.id)])).toBe(0);
      for (const action of ['resume', 'pause', 'end', 'accept']) expect((await act(family.parent, plan.id, action)).status).toBe(409);
      const actions = await t.query<{ action: string }>(`SELECT action FROM audit_events WHERE child_id = $1 AND action LIKE 'call_plan.%' ORDER BY created_at`, [family.child.id]);
      expect(actions.map((a) => a.action)).toEqual(['call_plan.proposed', 'call_plan.accepted', 'call_plan.paused', 'call_plan.resumed', 'call_plan.ended']);
      // the ended plan's slot is free again
      expect((await propose(family.parent, { childId: family.child.id, daysOfWeek: [3], startTime: '19:30', durationMinutes: 30 })).status).toBe(201);
    });
  });

  describe('time zones', () => {
    it('a parent in Europe/Berlin with a child in Asia/Shanghai: the same UTC instant every week, across Berlin summer time', async () => {
      const family = await givenFamily(t, { parentTimeZone: 'Europe/Berlin' });
      const plan = await activePlan(family, { daysOfWeek: [0], startTime: '19:30', durationMinutes: 30 });
      expect(plan.timeZone).toBe('Asia/Shanghai');
      const calls = await callsOf(family);
      expect(calls).toHaveLength(8);
      for (const call of calls) {
        expect(call.startsAt).toMatch(/T11:30:00\.000Z$/);
        expect(call.timeZone).toBe('Asia/Shanghai');
        expect(DateTime.fromISO(call.localDate).weekday).toBe(7);
      }
      // what the parent's own clock says moves by an hour when Berlin changes to summer time (2026-03-29)
      const berlin = calls.map((c) => DateTime.fromISO(c.startsAt, { zone: 'Europe/Berlin' }).toFormat('MM-dd HH:mm'));
      expect(berlin.slice(0, 5)).toEqual(['03-08 12:30', '03-15 12:30', '03-22 12:30', '03-29 13:30', '04-05 13:30']);
      // and the acceptance tells the parent both clocks
      const [told] = await t.query<{ params: { schedule: string } }>(`SELECT params FROM notifications WHERE user_id = $1 AND kind = 'call_plan_accepted'`, [family.parent.id]);
      expect(told.params.schedule).toBe('每周日 19:30（孩子那边的时间；您那边是周日 12:30）');
    });

    it('a household in Europe/Berlin across both DST changes: 02:30 moves forward in spring and takes the first instant in autumn', async () => {
      const family = await givenFamily(t);
      const plan = await activePlan(family, { daysOfWeek: [0], startTime: '02:30', durationMinutes: 20, timeZone: 'Europe/Berlin' });
      const spring = await callsOf(family, new Date('2026-03-21T00:00:00Z'), new Date('2026-04-06T00:00:00Z'));
      expect(spring.map((c) => [c.localDate, c.startsAt])).toEqual([
        ['2026-03-22', '2026-03-22T01:30:00.000Z'], // 02:30 CET
        ['2026-03-29', '2026-03-29T01:30:00.000Z'], // 02:30 does not exist: 03:30 CEST
        ['2026-04-05', '2026-04-05T00:30:00.000Z'], // 02:30 CEST
      ]);

      // autumn: the horizon job books the calls around the change back
      t.clock.set(new Date('2026-10-14T00:00:00Z'));
      await t.app.get(OccurrencesService).extendHorizon();
      const login = await t.http.post('/v1/auth/login').send({ login: family.parent.phone, password: family.parent.password });
      expect(login.status).toBe(200);
      const res = await listCalls({ ...family.parent, token: login.body.accessToken }, { ...window(new Date('2026-10-14T00:00:00Z'), new Date('2026-11-04T00:00:00Z')), childId: family.child.id });
      expect(res.status).toBe(200);
      expect(res.body.map((c: Call) => [c.localDate, c.startsAt, c.planId])).toEqual([
        ['2026-10-18', '2026-10-18T00:30:00.000Z', plan.id], // 02:30 CEST
        ['2026-10-25', '2026-10-25T00:30:00.000Z', plan.id], // 02:30 happens twice: the first, CEST
        ['2026-11-01', '2026-11-01T01:30:00.000Z', plan.id], // 02:30 CET
      ]);
    });
  });
});
