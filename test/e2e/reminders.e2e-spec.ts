import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { QueueName } from '../../src/infra/queue/job-catalogue';
import { Queues } from '../../src/infra/queue/queues';
import { RemindersService } from '../../src/modules/scheduling/reminders.service';
import { SchedulingProcessor } from '../../src/modules/scheduling/scheduling.processor';
import { Presence } from '../../src/infra/realtime/presence';
import { NotificationEvent } from '../../src/modules/notifications/notification-dispatcher.service';
import { TestApp, eventually } from '../helpers/app';
import { connectAs, waitForEvent } from '../helpers/sockets';
import { OwnRedis } from '../helpers/own-redis';
import { WorkerProcess } from '../helpers/worker-process';
import { auth, givenFamily, givenWeeklyCall, TestFamily } from '../factories';

/** Sunday 19:30 in Shanghai: the popular slot. */
const START = new Date('2026-11-29T11:30:00Z');
const MINUTE = 60_000;
/** The clock stands just before the 15-minute reminders fall due, so their jobs fire about 2 s later. */
const JUST_BEFORE_15 = new Date(START.getTime() - 15 * MINUTE - 2000);

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
  beforeEach(() => t.clock.set(JUST_BEFORE_15));

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

  /** Waits until BullMQ has finished every job of these reminders, so "nothing was sent" is a fact, not a race. */
  async function jobsDone(occurrenceId: string, offset: number): Promise<void> {
    const queue = t.app.get(Queues).get(QueueName.Reminders);
    const rows = await t.query<{ occurrence_id: string; user_id: string; occurrence_version: number }>(
      `SELECT occurrence_id, user_id, occurrence_version FROM reminders WHERE occurrence_id = $1 AND offset_minutes = $2`,
      [occurrenceId, offset],
    );
    await eventually(async () => {
      for (const r of rows) {
        const job = await queue.getJob(`rem-${r.occurrence_id}-${offset}-${r.user_id}-v${r.occurrence_version}`);
        if (job && !(await job.isCompleted())) throw new Error(`job of ${r.user_id} not done`);
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
    expect((await t.http.get(`/v1/calls/${occurrenceId}/reminders`).set(auth(family.child.token))).status).toBe(403);
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
    // the new call's jobs were delayed against the earlier clock; the reconciler and BullMQ deliver them
    // at their time, which here is 10 minutes away in real time: run the due job now instead
    const fresh = (await remindersOf(moved.body.id)).filter((r) => r.offset_minutes === 15);
    expect(fresh).toHaveLength(2);
    const reminders = t.app.get(RemindersService);
    for (const r of fresh) await reminders.send(r.id);
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
    // a redelivery after the start, e.g. from a reconciler, finds it sent and does nothing
    t.clock.set(new Date(START.getTime() + MINUTE));
    expect(await t.app.get(RemindersService).send(early.id)).toBe('skipped');
    // and a reminder still scheduled when the call has begun is skipped, not sent late
    const [nudge] = (await remindersOf(occurrenceId)).filter((r) => r.offset_minutes === 0);
    await t.query(`UPDATE reminders SET state = 'scheduled' WHERE id = $1`, [nudge.id]);
    t.clock.set(new Date(START.getTime() + 31 * MINUTE));
    expect(await t.app.get(RemindersService).send(nudge.id)).toBe('skipped');
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

  it('sends a batch whose one bad job fails alone', async () => {
    const families = await Promise.all([givenFamily(t), givenFamily(t)]);
    const occurrences = await Promise.all(families.map(sundayCall));
    await Promise.all(occurrences.map((o) => jobsDone(o, 15)));
    const due = (await Promise.all(occurrences.map(remindersOf))).flat().filter((r) => r.offset_minutes === 0);
    expect(due).toHaveLength(4);
    // a malformed id (a broken producer) fails the batch's statement; the batch then goes one by one
    const ids = [due[0].id, due[1].id, 'not-a-uuid', due[2].id, due[3].id];
    const settled = await t.app.get(RemindersService).sendBatch(ids);
    expect(settled.map((s) => (s.ok ? s.value : 'error'))).toEqual(['sent', 'sent', 'error', 'sent', 'sent']);
    expect((await Promise.all(occurrences.map(remindersOf))).flat().filter((r) => r.offset_minutes === 0).map((r) => r.state)).toEqual(Array(4).fill('sent'));
    // and sent once: a second batch of the same finds nothing left to send
    expect((await t.app.get(RemindersService).sendBatch(due.map((r) => r.id))).map((s) => s.ok && s.value)).toEqual(Array(4).fill('skipped'));
    const [{ n }] = await t.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE kind = 'call_starting' AND user_id = ANY($1::uuid[])`, [
      families.flatMap((f) => [f.parent.id, f.guardian.id]),
    ]);
    expect(n).toBe(4);
  });

  it('keeps only the next day of reminder jobs in Redis; the reconciler adds each later one as it comes within 25 hours', async () => {
    const family = await givenFamily(t);
    const occurrenceId = await sundayCall(family);
    const queue = t.app.get(Queues).get(QueueName.Reminders);
    const jobOf = (occurrence: string, r: ReminderRow) => queue.getJob(`rem-${occurrence}-${r.offset_minutes}-${r.user_id}-v${r.occurrence_version}`);
    const nextSunday = new Date(START.getTime() + 7 * 24 * 60 * MINUTE);
    const [next] = await t.query<{ id: string }>(
      `SELECT id FROM call_occurrences WHERE plan_id = (SELECT plan_id FROM call_occurrences WHERE id = $1) AND starts_at = $2`,
      [occurrenceId, nextSunday],
    );
    const [nextWeek] = (await remindersOf(next.id)).filter((r) => r.offset_minutes === 15);
    expect(nextWeek.state).toBe('scheduled');
    await eventually(async () => expect(await t.query(`SELECT 1 FROM outbox`)).toEqual([]));
    expect(await jobOf(next.id, nextWeek)).toBeUndefined();
    // this Sunday's are in Redis already
    const [today] = (await remindersOf(occurrenceId)).filter((r) => r.offset_minutes === 15);
    expect(await jobOf(occurrenceId, today)).toBeDefined();

    // next Sunday's 15-minute reminder is 24.5 hours away: the reconciler gives it its job, once
    t.clock.set(new Date(nextSunday.getTime() - 15 * MINUTE - 24.5 * 60 * MINUTE));
    // one row per page: the reminder is on a late page, behind every scheduled one due sooner
    const queues = t.app.get(Queues);
    expect(await t.app.get(RemindersService).reconcile((ids) => queues.jobsExist(QueueName.Reminders, ids), 1)).toBeGreaterThan(0);
    const job = await eventually(async () => {
      const found = await jobOf(next.id, nextWeek);
      expect(found).toBeDefined();
      return found!;
    });
    expect(await job.getState()).toBe('delayed');
    await eventually(async () => expect(await t.query(`SELECT 1 FROM outbox`)).toEqual([]));
    expect(await t.app.get(SchedulingProcessor).reconcile()).toBe(0);
  });

  it('sends once when the same reminder is delivered many times to racing workers', async () => {
    const families = await Promise.all([givenFamily(t), givenFamily(t), givenFamily(t)]);
    const occurrences = await Promise.all(families.map(sundayCall));
    const due = (await Promise.all(occurrences.map(remindersOf))).flat().filter((r) => r.offset_minutes === 15);
    // BullMQ delivers at least once: the same reminder under other job ids, all at the same moment
    const queue = t.app.get(Queues).get(QueueName.Reminders);
    await queue.addBulk(due.flatMap((r) => [1, 2, 3].map((copy) => ({ name: 'reminder.send', data: { reminderId: r.id }, opts: { jobId: `race-${r.id}-${copy}` } }))));
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
    const worker = new WorkerProcess(t.env, { WORKER_LOCK_SECONDS: '3', NOTIFICATION_SMS_FALLBACK_SECONDS: '1', REMINDER_CONCURRENCY: '20', REMINDER_BATCH_MAX: '1' });
    worker.start();
    let ids: string[];
    try {
      ids = await callsDueSoon(20, 6000);
      // kill it as soon as it is into the burst of 40 reminders, with up to 20 jobs in flight
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
