import { Job, Queue } from 'bullmq';
import Redis from 'ioredis';
import { JobName, QueueName } from '../../src/infra/queue/job-catalogue';
import { AppConfig } from '../../src/config/app-config';
import { Queues } from '../../src/infra/queue/queues';
import { reminderWakeJobId, RemindersService } from '../../src/modules/scheduling/reminders.service';
import { SchedulingProcessor } from '../../src/modules/scheduling/scheduling.processor';
import { Presence } from '../../src/infra/realtime/presence';
import { NotificationEvent } from '../../src/modules/notifications/notification-dispatcher.service';
import { TestApp, eventually } from '../helpers/app';
import { connectAs, waitForEvent } from '../helpers/sockets';
import { OwnRedis } from '../helpers/own-redis';
import { expectRefused, Refusal } from '../helpers/refusal-matrix';
import { WorkerProcess } from '../helpers/worker-process';
import { auth, givenAdult, givenFamily, givenWeeklyCall, TestFamily } from '../factories';

/** Sunday 19:30 in Shanghai: the popular slot. */
const FIRST_START = new Date('2026-11-29T11:30:00Z');
const MINUTE = 60_000;
const WEEK = 7 * 24 * 60 * MINUTE;

/** Offline adults get every notification by SMS; these are the call reminders among them. */
const REMINDER_TEXT = '要视频通话了';

interface ReminderRow {
  id: string;
  user_id: string;
  offset_minutes: number;
  state: string;
  occurrence_version: number;
}

describe('reminders: once, on time, or not at all', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start({ env: { NOTIFICATION_SMS_FALLBACK_SECONDS: '1' } });
  });
  afterAll(() => t.stop());
  /**
   * This test's Sunday call: each test has a Sunday of its own (two weeks apart), so its reminders'
   * instants, and so their wake-ups, are not another test's.
   */
  let START: Date;
  let sundays = 0;
  beforeEach(() => {
    START = new Date(FIRST_START.getTime() + 2 * WEEK * sundays++);
    // the clock stands just before the 15-minute reminders fall due, so their wake-ups fire about 2 s later
    t.clock.set(new Date(START.getTime() - 15 * MINUTE - 2000));
  });

  async function sundayCall(family: TestFamily): Promise<string> {
    await givenWeeklyCall(t, family, { daysOfWeek: [0], startTime: '19:30' });
    const calls = await t.http
      .get('/v1/calls')
      .query({ childId: family.child.id, from: new Date(START.getTime() - MINUTE).toISOString(), to: new Date(START.getTime() + MINUTE).toISOString() })
      .set(auth(family.parent.token));
    expect(calls.body).toHaveLength(1);
    return calls.body[0].id;
  }

  const reminderSms = (phone: string) => t.sms.to(phone).filter((m) => m.text.includes(REMINDER_TEXT));

  const remindersOf = (occurrenceId: string) =>
    t.query<ReminderRow>(
      `SELECT id, user_id, offset_minutes, state, occurrence_version FROM reminders WHERE occurrence_id = $1 ORDER BY offset_minutes, user_id`,
      [occurrenceId],
    );

  const lanes = () => t.app.get(AppConfig).reminderSending.lanes;
  const wakeUpsOf = (dueAt: Date) => Array.from({ length: lanes() }, (_, i) => reminderWakeJobId(dueAt, i + 1));

  /** Waits until BullMQ has finished every wake-up of these reminders' instant, so "nothing was sent" is a fact, not a race. */
  async function jobsDone(occurrenceId: string, offset: number): Promise<void> {
    const queue = t.app.get(Queues).get(QueueName.Reminders);
    const [{ due_at }] = await t.query<{ due_at: Date }>(`SELECT DISTINCT due_at FROM reminders WHERE occurrence_id = $1 AND offset_minutes = $2`, [
      occurrenceId,
      offset,
    ]);
    await eventually(async () => {
      for (const id of wakeUpsOf(due_at)) {
        const job = await queue.getJob(id);
        if (!job || !(await job.isCompleted())) throw new Error(`wake-up ${id} not done`);
      }
    }, 15_000);
  }

  it('plans reminders for the parent and the guardian, skipping ones already past, and sends the due ones once', async () => {
    const family = await givenFamily(t);
    const occurrenceId = await sundayCall(family);
    const planned = await remindersOf(occurrenceId);
    // 24 h before has passed, 15 min and "starting now" are ahead; for each of the two adults
    expect(planned.map((r) => [r.offset_minutes, r.state])).toEqual([
      [0, 'scheduled'],
      [0, 'scheduled'],
      [15, 'scheduled'],
      [15, 'scheduled'],
      [1440, 'skipped'],
      [1440, 'skipped'],
    ]);

    await eventually(async () => expect((await remindersOf(occurrenceId)).filter((r) => r.state === 'sent')).toHaveLength(2), 15_000);
    // nobody is online, so the reminder goes by SMS at once, in Chinese, with the time in the reader's zone
    for (const adult of [family.parent, family.guardian]) {
      await eventually(() => expect(reminderSms(adult.phone)).toHaveLength(1), 10_000);
      expect(reminderSms(adult.phone)[0].text).toContain('15分钟后（周日 19:30）');
    }
    const visible = await t.http.get(`/v1/calls/${occurrenceId}/reminders`).set(auth(family.guardian.token));
    expect(visible.status).toBe(200);
    expect(visible.body.filter((r: { state: string }) => r.state === 'sent')).toHaveLength(2);
    // the child is refused (403); a stranger and another family do not see the call (404); nothing changes
    const [other, stranger] = await Promise.all([givenFamily(t), givenAdult(t)]);
    const refusals: Refusal[] = [
      ['child', family.child.token, 403],
      ['stranger', stranger.token, 404],
      ['other parent', other.parent.token, 404],
      ['other guardian', other.guardian.token, 404],
      ['other child', other.child.token, 404],
    ];
    await expectRefused(t, refusals, (token) => t.http.get(`/v1/calls/${occurrenceId}/reminders`).set(auth(token)));
  });

  it('sends nothing stale for a call skipped before its reminder is due', async () => {
    const family = await givenFamily(t);
    const occurrenceId = await sundayCall(family);
    expect((await t.http.post(`/v1/calls/${occurrenceId}/skip`).set(auth(family.guardian.token))).status).toBe(200);
    await jobsDone(occurrenceId, 15);
    expect((await remindersOf(occurrenceId)).filter((r) => r.state === 'sent')).toEqual([]);
    expect(reminderSms(family.parent.phone)).toEqual([]);
    expect(reminderSms(family.guardian.phone)).toEqual([]);
  });

  it('sends for the new time when a call is moved, and nothing for the old one', async () => {
    const family = await givenFamily(t);
    const occurrenceId = await sundayCall(family);
    // moved 10 minutes later: its 15-minute reminders fall due 10 minutes later than the old ones
    const newStart = new Date(START.getTime() + 10 * MINUTE);
    const moved = await t.http.post(`/v1/calls/${occurrenceId}/reschedule`).set(auth(family.parent.token)).send({ startsAt: newStart.toISOString() });
    expect(moved.status).toBe(201);
    await jobsDone(occurrenceId, 15);
    expect(reminderSms(family.guardian.phone)).toEqual([]);

    t.clock.set(new Date(newStart.getTime() - 15 * MINUTE - 1000));
    // the new call's wake-ups were delayed against the earlier clock; BullMQ runs them at their time,
    // which here is 10 minutes away in real time: run the due wake-up now instead
    const fresh = (await remindersOf(moved.body.id)).filter((r) => r.offset_minutes === 15);
    expect(fresh).toHaveLength(2);
    await t.app.get(RemindersService).sendDue(new Date(newStart.getTime() - 15 * MINUTE));
    expect((await remindersOf(moved.body.id)).filter((r) => r.offset_minutes === 15).map((r) => r.state)).toEqual(['sent', 'sent']);
    for (const adult of [family.parent, family.guardian]) {
      await eventually(() => expect(reminderSms(adult.phone)).toHaveLength(1), 10_000);
      expect(reminderSms(adult.phone)[0].text).toContain('19:40');
    }
  });

  it('sends nothing once the call has begun, even if its job runs late', async () => {
    const family = await givenFamily(t);
    const occurrenceId = await sundayCall(family);
    const [early] = (await remindersOf(occurrenceId)).filter((r) => r.offset_minutes === 15);
    await jobsDone(occurrenceId, 15);
    const reminders = t.app.get(RemindersService);
    // a wake-up run again after the start, e.g. redelivered, finds it sent and does nothing
    t.clock.set(new Date(START.getTime() + MINUTE));
    await reminders.sendDue(new Date(START.getTime() - 15 * MINUTE));
    expect((await remindersOf(occurrenceId)).find((r) => r.id === early.id)?.state).toBe('sent');
    expect(await t.query(`SELECT 1 FROM notifications WHERE user_id = $1 AND kind = 'call_reminder'`, [early.user_id])).toHaveLength(1);
    // and a reminder still scheduled when the call has begun is skipped, not sent late
    const [nudge] = (await remindersOf(occurrenceId)).filter((r) => r.offset_minutes === 0);
    await t.query(`UPDATE reminders SET state = 'scheduled' WHERE id = $1`, [nudge.id]);
    t.clock.set(new Date(START.getTime() + 31 * MINUTE));
    expect((await reminders.sendDue(START)).skipped).toBeGreaterThanOrEqual(1);
    expect((await remindersOf(occurrenceId)).find((r) => r.id === nudge.id)?.state).toBe('skipped');
  });

  it('delivers on the socket inside the reminder job to an adult who is online, with the SMS only as a fallback', async () => {
    const family = await givenFamily(t);
    const socket = await connectAs(t, family.parent.token);
    try {
      await eventually(async () => expect(await t.app.get(Presence).isOnline(family.parent.id)).toBe(true));
      const event = waitForEvent<NotificationEvent>(socket, 'notification', (e) => e.kind === 'call_reminder', 15_000);
      const occurrenceId = await sundayCall(family);
      const received = await event;
      expect(received.body).toContain('15分钟后（周日 19:30）');
      const [reminder] = (await remindersOf(occurrenceId)).filter((r) => r.offset_minutes === 15 && r.user_id === family.parent.id);
      expect(reminder.state).toBe('sent');
      const [stored] = await t.query<{ id: string; state: string; sent_at: Date }>(
        `SELECT n.id, n.state, n.sent_at FROM notifications n JOIN reminders r ON r.notification_id = n.id WHERE r.id = $1`,
        [reminder.id],
      );
      expect(stored).toMatchObject({ id: received.id, state: 'sent' });
      expect(await t.query(`SELECT channel, state FROM notification_attempts WHERE notification_id = $1`, [stored.id])).toEqual([{ channel: 'socket', state: 'sent' }]);
      // no second job hop: the notification never waited in the delivery queue
      const deliveries = t.app.get(Queues).get(QueueName.Deliveries);
      expect(await deliveries.getJob(`notif-${stored.id}`)).toBeUndefined();
      // the app did not confirm it: the SMS follows after the window (1 s here), once
      await eventually(() => expect(reminderSms(family.parent.phone)).toHaveLength(1), 10_000);
      // the guardian was offline: theirs went by SMS at once, through the delivery queue
      await eventually(() => expect(reminderSms(family.guardian.phone)).toHaveLength(1), 10_000);
    } finally {
      socket.disconnect();
    }
  });

  it('sends the rest of a burst when one reminder cannot be sent, retries that one, and marks it failed on the last attempt (a malformed wake-up is dropped)', async () => {
    const families = await Promise.all([givenFamily(t), givenFamily(t)]);
    const occurrences = await Promise.all(families.map(sundayCall));
    await Promise.all(occurrences.map((o) => jobsDone(o, 15)));
    const nudgeStates = async () =>
      Object.fromEntries(
        (await Promise.all(occurrences.map(remindersOf)))
          .flat()
          .filter((r) => r.offset_minutes === 0)
          .map((r) => [r.user_id, r.state]),
      );
    const [bad, ...good] = [families[0].guardian.id, families[0].parent.id, families[1].parent.id, families[1].guardian.id];
    expect(Object.keys(await nudgeStates()).sort()).toEqual([bad, ...good].sort());
    // a fault that only one reminder meets: the database refuses its notification, so its batch fails
    await t.query(`CREATE FUNCTION refuse_notification() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`);
    await t.query(`CREATE TRIGGER refuse_one BEFORE INSERT ON notifications FOR EACH ROW WHEN (NEW.user_id = '${bad}') EXECUTE FUNCTION refuse_notification()`);
    const reminders = t.app.get(RemindersService);
    try {
      // not the last attempt: the others are sent one by one, the bad one stays for the retry, and the job fails so the queue retries
      await expect(reminders.sendDue(START, { final: false })).rejects.toThrow(/could not be sent/);
      expect(await nudgeStates()).toEqual({ [bad]: 'scheduled', ...Object.fromEntries(good.map((id) => [id, 'sent'])) });
      // the last attempt gives up on it alone
      expect(await reminders.sendDue(START, { final: true })).toEqual({ sent: 0, skipped: 0, failed: 1 });
      expect(await nudgeStates()).toEqual({ [bad]: 'failed', ...Object.fromEntries(good.map((id) => [id, 'sent'])) });
    } finally {
      await t.query(`DROP TRIGGER refuse_one ON notifications`);
      await t.query(`DROP FUNCTION refuse_notification()`);
    }
    // sent once: nothing is left to send, and each of the three has one notification
    expect(await reminders.sendDue(START)).toEqual({ sent: 0, skipped: 0, failed: 0 });
    // a wake-up whose instant is not one (a broken producer) is dropped rather than retried
    const broken = { id: 'broken', attemptsMade: 0, opts: { attempts: 8 } } as Job;
    expect(await t.app.get(SchedulingProcessor).sendDue({ dueAt: 'soon' }, broken)).toBeNull();
    const [{ n }] = await t.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE kind = 'call_starting' AND user_id = ANY($1::uuid[])`, [good]);
    expect(n).toBe(3);
  });

  it('keeps only the next day of wake-ups in Redis, one per instant and lane; the reconciler adds each later one as it comes within 25 hours', async () => {
    const family = await givenFamily(t);
    const occurrenceId = await sundayCall(family);
    const queue = t.app.get(Queues).get(QueueName.Reminders);
    const nextSunday = new Date(START.getTime() + WEEK);
    const [next] = await t.query<{ id: string }>(
      `SELECT id FROM call_occurrences WHERE plan_id = (SELECT plan_id FROM call_occurrences WHERE id = $1) AND starts_at = $2`,
      [occurrenceId, nextSunday],
    );
    const [nextWeek] = (await remindersOf(next.id)).filter((r) => r.offset_minutes === 15);
    expect(nextWeek.state).toBe('scheduled');
    await eventually(async () => expect(await t.query(`SELECT 1 FROM outbox`)).toEqual([]));
    const nextWakeUps = wakeUpsOf(new Date(nextSunday.getTime() - 15 * MINUTE));
    for (const id of nextWakeUps) expect(await queue.getJob(id)).toBeUndefined();
    // this Sunday's are in Redis already: the same lanes for every family whose call starts then
    const todays = await queue.getJobs(['delayed', 'waiting', 'active', 'completed']);
    expect(todays.filter((j) => j.data.dueAt && new Date(j.data.dueAt).getTime() === START.getTime()).map((j) => j.id).sort()).toEqual(wakeUpsOf(START).sort());

    // next Sunday's 15-minute reminder is 24.5 hours away: the reconciler gives its instant its wake-ups, once
    t.clock.set(new Date(nextSunday.getTime() - 15 * MINUTE - 24.5 * 60 * MINUTE));
    // one instant per page: the reminder is on a late page, behind every instant due sooner
    const queues = t.app.get(Queues);
    expect(await t.app.get(RemindersService).reconcile((ids) => queues.jobsPending(QueueName.Reminders, ids), 1)).toBeGreaterThan(0);
    for (const id of nextWakeUps) {
      const job = await eventually(async () => {
        const found = await queue.getJob(id);
        expect(found).toBeDefined();
        return found!;
      });
      expect(await job.getState()).toBe('delayed');
    }
    await eventually(async () => expect(await t.query(`SELECT 1 FROM outbox`)).toEqual([]));
    expect(await t.app.get(SchedulingProcessor).reconcile()).toBe(0);
  });

  it('sends a reminder that another transaction held while its wake-ups ran, at the next reconcile', async () => {
    const family = await givenFamily(t);
    const occurrenceId = await sundayCall(family);
    const [held] = (await remindersOf(occurrenceId)).filter((r) => r.offset_minutes === 15 && r.user_id === family.guardian.id);
    // another transaction holds the guardian's reminder while the instant's wake-ups run (they skip what is locked)
    const other = t.dataSource.createQueryRunner();
    await other.connect();
    await other.startTransaction();
    try {
      await other.query(`SELECT 1 FROM reminders WHERE id = $1 FOR UPDATE`, [held.id]);
      await jobsDone(occurrenceId, 15);
      expect((await remindersOf(occurrenceId)).filter((r) => r.offset_minutes === 15).map((r) => [r.user_id, r.state])).toEqual(
        expect.arrayContaining([
          [family.parent.id, 'sent'],
          [family.guardian.id, 'scheduled'],
        ]),
      );
    } finally {
      await other.rollbackTransaction();
      await other.release();
    }
    // a minute later the call has not begun: the reconciler finds the instant past, its wake-ups finished and a reminder left, and sends it
    t.clock.set(new Date(START.getTime() - 14 * MINUTE));
    expect(await t.app.get(SchedulingProcessor).reconcile()).toBeGreaterThanOrEqual(1);
    expect((await remindersOf(occurrenceId)).find((r) => r.id === held.id)?.state).toBe('sent');
    await eventually(() => expect(reminderSms(family.guardian.phone)).toHaveLength(1), 10_000);
    expect(await t.app.get(SchedulingProcessor).reconcile()).toBe(0);
  });

  it('sends once when the same reminder is delivered many times to racing workers', async () => {
    const families = await Promise.all([givenFamily(t), givenFamily(t), givenFamily(t)]);
    const occurrences = await Promise.all(families.map(sundayCall));
    const due = (await Promise.all(occurrences.map(remindersOf))).flat().filter((r) => r.offset_minutes === 15);
    // BullMQ delivers at least once: the instant's wake-up again under other job ids, all at the same moment
    const queue = t.app.get(Queues).get(QueueName.Reminders);
    const dueAt = new Date(START.getTime() - 15 * MINUTE).toISOString();
    await queue.addBulk(Array.from({ length: 8 }, (_, copy) => ({ name: JobName.SendDueReminders, data: { dueAt }, opts: { jobId: `race-${copy}` } })));
    // and a second worker node competing for them
    const second = await TestApp.start({ sameDataAs: t });
    try {
      await eventually(async () => {
        const rows = await t.query<{ n: number }>(`SELECT count(*)::int AS n FROM reminders WHERE id = ANY($1::uuid[]) AND state = 'sent'`, [due.map((r) => r.id)]);
        expect(rows[0].n).toBe(due.length);
      }, 15_000);
      await eventually(async () => expect(await queue.getJobCounts('waiting', 'active', 'delayed')).toMatchObject({ waiting: 0, active: 0 }), 15_000);
    } finally {
      await second.stop();
    }
    const notifications = await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM notifications n JOIN reminders r ON r.notification_id = n.id WHERE r.id = ANY($1::uuid[])`,
      [due.map((r) => r.id)],
    );
    expect(notifications[0].n).toBe(due.length);
    const [{ n: reminderNotifications }] = await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM notifications WHERE kind = 'call_reminder' AND user_id = ANY($1::uuid[])`,
      [families.flatMap((f) => [f.parent.id, f.guardian.id])],
    );
    expect(reminderNotifications).toBe(due.length);
    for (const f of families) {
      await eventually(() => expect(reminderSms(f.parent.phone)).toHaveLength(1), 10_000);
      await eventually(() => expect(reminderSms(f.guardian.phone)).toHaveLength(1), 10_000);
    }
  });
});

describe('reminders: a worker killed mid-job, and a Redis that lost its data', () => {
  const redis = new OwnRedis();
  let t: TestApp;

  beforeAll(async () => {
    await redis.start();
    // this node runs no workers at first: the killed worker process is the only one
    t = await TestApp.start({ env: { REDIS_URL: redis.url, APP_ROLE: 'api', WORKER_LOCK_SECONDS: '3', NOTIFICATION_SMS_FALLBACK_SECONDS: '1' } });
  });
  afterAll(async () => {
    await t.stop();
    await redis.stop();
  });

  /** `count` calls of different children starting 15 minutes and `leadMs` from now (real time). */
  async function callsDueSoon(count: number, leadMs: number): Promise<string[]> {
    const families = await Promise.all(Array.from({ length: count }, () => givenFamily(t)));
    const startsAt = new Date(Date.now() + 15 * MINUTE + leadMs);
    const ids: string[] = [];
    await t.dataSource.transaction(async (em) => {
      for (const f of families) {
        const [plan] = await em.query(
          `INSERT INTO call_plans (family_id, child_id, parent_id, days_of_week, start_time, duration_minutes, time_zone, starts_on, status, proposed_by)
           VALUES ($1, $2, $3, ARRAY[0], '19:30', 30, 'Asia/Shanghai', CURRENT_DATE, 'active', $3) RETURNING id`,
          [f.familyId, f.child.id, f.parent.id],
        );
        const [occurrence] = await em.query(
          `INSERT INTO call_occurrences (plan_id, family_id, child_id, parent_id, starts_at, ends_at, local_date, time_zone)
           VALUES ($1, $2, $3, $4, $5, $6, CURRENT_DATE, 'Asia/Shanghai') RETURNING id`,
          [plan.id, f.familyId, f.child.id, f.parent.id, startsAt, new Date(startsAt.getTime() + 30 * MINUTE)],
        );
        ids.push(occurrence.id);
      }
      await t.app.get(RemindersService).planFor(em, ids);
    });
    return ids;
  }

  const sentCounts = async (ids: string[]) => {
    const [row] = await t.query<{ sent: number; due: number; notifications: number }>(
      `SELECT count(*) FILTER (WHERE state = 'sent')::int AS sent,
              count(*) FILTER (WHERE offset_minutes = 15)::int AS due,
              (SELECT count(*)::int FROM notifications n JOIN reminders r2 ON r2.notification_id = n.id WHERE r2.occurrence_id = ANY($1::uuid[])) AS notifications
         FROM reminders WHERE occurrence_id = ANY($1::uuid[])`,
      [ids],
    );
    return row;
  };

  it('ends with every due reminder sent once after the worker is killed in the middle', async () => {
    // small batches, as few reminders as possible per commit: the kill lands with jobs in flight
    const worker = new WorkerProcess(t.env, { WORKER_LOCK_SECONDS: '3', NOTIFICATION_SMS_FALLBACK_SECONDS: '1', REMINDER_BATCH_MAX: '1' });
    worker.start();
    let ids: string[];
    try {
      ids = await callsDueSoon(20, 6000);
      // kill it as soon as it is into the burst of 40 reminders, a reminder per transaction in each lane
      await eventually(async () => expect((await sentCounts(ids)).sent).toBeGreaterThan(0), 60_000, 5);
    } finally {
      await worker.kill();
    }
    const atKill = await sentCounts(ids);
    expect(atKill.sent).toBeLessThanOrEqual(atKill.due);

    const replacement = new WorkerProcess(t.env, { WORKER_LOCK_SECONDS: '3', NOTIFICATION_SMS_FALLBACK_SECONDS: '1' });
    replacement.start();
    try {
      await eventually(async () => expect((await sentCounts(ids)).sent).toBe(40), 60_000, 100);
      const final = await sentCounts(ids);
      expect(final).toEqual({ sent: 40, due: 40, notifications: 40 });
    } finally {
      await replacement.kill();
    }
  }, 120_000);

  it('re-enqueues reminders whose jobs Redis lost, and sends them once', async () => {
    const ids = await callsDueSoon(5, 3000);
    // jobs reach Redis through the outbox; then Redis loses everything
    await eventually(async () => expect(await t.count('outbox')).toBe(0));
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();
    const queue = t.app.get(Queues).get(QueueName.Reminders);
    expect(await queue.getJobCounts('delayed', 'waiting')).toMatchObject({ delayed: 0, waiting: 0 });

    // the reconciler (a recurring maintenance job) finds the missing jobs and enqueues them again
    // every reminder of the next 25 hours lost its job, this test's and the earlier ones' "starting now" nudges alike
    const [{ n: lost }] = await t.query<{ n: number }>(`SELECT count(*)::int AS n FROM reminders WHERE state = 'scheduled' AND due_at < $1`, [
      new Date(Date.now() + 25 * 3600_000),
    ]);
    expect(lost).toBeGreaterThanOrEqual(20);
    expect(await t.app.get(SchedulingProcessor).reconcile()).toBe(lost);
    // once the relay has handed them to BullMQ, nothing is missing any more
    await eventually(async () => expect(await t.count('outbox')).toBe(0));
    expect(await t.app.get(SchedulingProcessor).reconcile()).toBe(0);
    const worker = new WorkerProcess(t.env, { WORKER_LOCK_SECONDS: '3' });
    worker.start();
    try {
      await eventually(async () => expect((await sentCounts(ids)).sent).toBe(10), 60_000, 100);
      expect((await sentCounts(ids)).notifications).toBe(10);
    } finally {
      await worker.kill();
    }
    await (queue as Queue).close();
  }, 120_000);
});
