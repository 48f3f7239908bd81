import type { Job } from 'bullmq';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { createRedis, RedisRole } from '../../src/infra/redis/redis.factory';
import { QueueName } from '../../src/infra/queue/job-catalogue';
import { Queues } from '../../src/infra/queue/queues';
import { Presence } from '../../src/infra/realtime/presence';
import { SmsGateway, SmsMessage } from '../../src/infra/sms/sms.gateway';
import { NotificationDeliveryProcessor } from '../../src/modules/notifications/notification-delivery.processor';
import { DeliveryOutcome, NotificationDispatcher, NotificationEvent } from '../../src/modules/notifications/notification-dispatcher.service';
import { NotificationChannel } from '../../src/modules/notifications/notification.entity';
import { NotificationsService, NotifyInput } from '../../src/modules/notifications/notifications.service';
import { NotificationKind } from '../../src/modules/notifications/templates';
import { eventually, TestApp } from '../helpers/app';
import { expectRefused, Refusal } from '../helpers/refusal-matrix';
import { connectAs, emitWithAck, waitForEvent } from '../helpers/sockets';
import { auth, givenAdult, givenFamily, TestUser } from '../factories';
import { testConfig } from '../setup/test-config';

const WINDOW_MS = 1000;
const DEFAULTS = { channels: ['socket', 'sms'], quietHours: null, reminderOffsets: [1440, 15], locale: 'zh-CN', timeZone: 'Asia/Shanghai' };
const VALID = { channels: ['socket', 'sms'], quietHours: { start: '22:00', end: '07:00' }, reminderOffsets: [15, 1440, 60], locale: 'en' };

interface Attempt {
  channel: string;
  state: string;
  attemptedAt: string;
}

describe('notifications: preferences, quiet hours, socket then SMS, presence', () => {
  let t: TestApp;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    t = await TestApp.start({ env: { NOTIFICATION_SMS_FALLBACK_SECONDS: String(WINDOW_MS / 1000), OUTBOX_POLL_MS: '50' } });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await t.stop();
  });

  const service = () => t.app.get(NotificationsService);
  const presence = () => t.app.get(Presence);
  const deliveries = () => t.app.get(Queues).get(QueueName.Deliveries);

  /** A device_paired notification to `user`, as a feature module would send it, in its own transaction. */
  const notify = (user: TestUser, extra: Partial<NotifyInput> = {}) =>
    t.dataSource.transaction((em) =>
      service().notify(em, { userId: user.id, kind: NotificationKind.DevicePaired, params: { childName: '小明', deviceName: '红米平板' }, channel: NotificationChannel.Socket, ...extra }),
    );
  const smsFor = (notificationId: string) => t.sms.messages.filter((m) => m.reference === notificationId);
  const attemptsOf = (notificationId: string) =>
    t.query<{ channel: string; state: string; attempted_at: Date }>(`SELECT channel, state, attempted_at FROM notification_attempts WHERE notification_id = $1 ORDER BY attempted_at, id`, [
      notificationId,
    ]);
  const rowOf = async (notificationId: string) =>
    (
      await t.query<{ state: string; not_before: Date | null; delivered_at: Date | null; read_at: Date | null; urgent: boolean; sealed: Buffer | null }>(
        `SELECT state, not_before, delivered_at, read_at, urgent, sealed FROM notifications WHERE id = $1`,
        [notificationId],
      )
    )[0];
  /** Waits for a queue job to finish and gives back what its handler returned. */
  const outcomeOf = (jobId: string, timeoutMs = 10_000) =>
    eventually(async () => {
      expect(await deliveries().getJobState(jobId)).toBe('completed');
      // read after the state: a job fetched while still active carries no return value
      return (await deliveries().getJob(jobId))!.returnvalue as DeliveryOutcome;
    }, timeoutMs);
  const online = async (user: { id: string; token: string }, node: TestApp = t): Promise<Socket> => {
    const socket = await connectAs(node, user.token);
    sockets.push(socket);
    await eventually(async () => expect(await presence().isOnline(user.id)).toBe(true));
    return socket;
  };
  const putPreferences = (user: TestUser, body: unknown) => t.http.put('/v1/me/preferences').set(auth(user.token)).send(body as object);

  describe('preferences', () => {
    it('answers the defaults before anything was saved', async () => {
      const user = await givenAdult(t);
      const res = await t.http.get('/v1/me/preferences').set(auth(user.token));
      expect(res.status).toBe(200);
      expect(res.body).toEqual(DEFAULTS);
      expect(await t.count('notification_preferences', 'user_id = $1', [user.id])).toBe(0);
    });

    it('replaces the whole set, keeps the locale on the user, and reads back the same', async () => {
      const user = await givenAdult(t, { timeZone: 'Europe/Berlin' });
      const res = await putPreferences(user, VALID);
      expect(res.status).toBe(200);
      const saved = { channels: ['socket', 'sms'], quietHours: { start: '22:00', end: '07:00' }, reminderOffsets: [1440, 60, 15], locale: 'en', timeZone: 'Europe/Berlin' };
      expect(res.body).toEqual(saved);
      expect((await t.http.get('/v1/me/preferences').set(auth(user.token))).body).toEqual(saved);
      expect((await t.http.get('/v1/me').set(auth(user.token))).body.locale).toBe('en');
      const [row] = await t.query(`SELECT channels, quiet_hours_start::text AS qs, quiet_hours_end::text AS qe, reminder_offsets FROM notification_preferences WHERE user_id = $1`, [user.id]);
      expect(row).toEqual({ channels: ['socket', 'sms'], qs: '22:00:00', qe: '07:00:00', reminder_offsets: [1440, 60, 15] });

      const again = await putPreferences(user, { channels: ['sms'], quietHours: null, reminderOffsets: [30], locale: 'zh-CN' });
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ channels: ['sms'], quietHours: null, reminderOffsets: [30], locale: 'zh-CN', timeZone: 'Europe/Berlin' });
      expect(await t.count('notification_preferences', 'user_id = $1 AND quiet_hours_start IS NULL AND quiet_hours_end IS NULL', [user.id])).toBe(1);
    });

    it('exposes them to other modules, defaults included', async () => {
      const [saved, untouched] = await Promise.all([givenAdult(t), givenAdult(t)]);
      await putPreferences(saved, { ...VALID, reminderOffsets: [120] });
      const prefs = await service().preferencesOf([saved.id, untouched.id, randomUUID()]);
      expect(prefs.size).toBe(2);
      expect(prefs.get(saved.id)).toEqual({ channels: ['socket', 'sms'], quietHours: { start: '22:00', end: '07:00' }, reminderOffsets: [120] });
      expect(prefs.get(untouched.id)).toEqual({ channels: ['socket', 'sms'], quietHours: null, reminderOffsets: [1440, 15] });
    });

    it.each([
      ['an offset under 5 minutes', { reminderOffsets: [4] }, 'reminderOffsets'],
      ['an offset over a week', { reminderOffsets: [10081] }, 'reminderOffsets'],
      ['a repeated offset', { reminderOffsets: [15, 15] }, 'reminderOffsets'],
      ['no offsets', { reminderOffsets: [] }, 'reminderOffsets'],
      ['six offsets', { reminderOffsets: [10, 20, 30, 40, 50, 60] }, 'reminderOffsets'],
      ['a fractional offset', { reminderOffsets: [15.5] }, 'reminderOffsets'],
      ['an offset as text', { reminderOffsets: ['15'] }, 'reminderOffsets'],
      ['an hour past 23', { quietHours: { start: '24:00', end: '07:00' } }, 'quietHours.start'],
      ['a time without leading zero', { quietHours: { start: '22:00', end: '7:00' } }, 'quietHours.end'],
      ['an empty window', { quietHours: { start: '22:00', end: '22:00' } }, 'quietHours.end'],
      ['half a window', { quietHours: { start: '22:00' } }, 'quietHours.end'],
      ['quiet hours left out', { quietHours: undefined }, 'quietHours'],
      ['an unknown channel', { channels: ['email'] }, 'channels'],
      ['no channel', { channels: [] }, 'channels'],
      ['a repeated channel', { channels: ['sms', 'sms'] }, 'channels'],
      ['an unsupported locale', { locale: 'fr' }, 'locale'],
      ['a smuggled time zone', { timeZone: 'Europe/Berlin' }, 'timeZone'],
    ])('refuses %s with a problem naming the field, and writes nothing', async (_what, change, field) => {
      const user = await givenAdult(t);
      const before = await t.snapshot();
      const res = await putPreferences(user, { ...VALID, ...change });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await t.snapshot()).toEqual(before);
    });

    it('are for adults: a child token is refused (403) and nothing is written', async () => {
      const family = await givenFamily(t);
      const before = await t.snapshot();
      const put = await putPreferences({ token: family.child.token } as TestUser, VALID);
      expect(put.status).toBe(403);
      expect(put.headers['content-type']).toContain('application/problem+json');
      expect((await t.http.get('/v1/me/preferences').set(auth(family.child.token))).status).toBe(403);
      expect(await t.snapshot()).toEqual(before);
    });
  });

  describe('socket, then SMS', () => {
    it('an online user gets the socket event, acknowledges it, and no SMS follows', async () => {
      const user = await givenAdult(t);
      const socket = await online(user);
      const event = waitForEvent<NotificationEvent>(socket, 'notification');
      const id = await notify(user);
      expect(await event).toEqual({ id, kind: 'device_paired', title: '孩子绑定了新设备', body: expect.stringContaining('红米平板'), createdAt: expect.any(String) });
      expect(await emitWithAck(socket, 'notification:received', { id })).toEqual({ ok: true });

      expect(await outcomeOf(`notif-fb-${id}`)).toBe(DeliveryOutcome.Skipped);
      expect(smsFor(id)).toHaveLength(0);
      expect((await attemptsOf(id)).map((a) => [a.channel, a.state])).toEqual([['socket', 'sent']]);
      const row = await rowOf(id);
      expect(row).toMatchObject({ state: 'sent', read_at: null, sealed: null });
      expect(row.delivered_at).toBeInstanceOf(Date);

      const list = await t.http.get('/v1/notifications').set(auth(user.token));
      const item = list.body.items.find((n: { id: string }) => n.id === id);
      expect(item).toMatchObject({ state: 'sent', channel: 'socket', deliveredAt: row.delivered_at!.toISOString(), readAt: null });
      expect(item.attempts).toEqual([{ channel: 'socket', state: 'sent', attemptedAt: expect.any(String) }]);
    });

    it('an online user who does not acknowledge gets exactly one SMS, after the window', async () => {
      const user = await givenAdult(t, { locale: 'en' });
      const socket = await online(user);
      const event = waitForEvent<NotificationEvent>(socket, 'notification');
      const id = await notify(user);
      const received = await event;

      const [sms] = await eventually(() => {
        expect(smsFor(id)).toHaveLength(1);
        return smsFor(id);
      });
      expect(sms.to).toBe(user.phone);
      expect(sms.text).toBe(received.body);
      expect(await outcomeOf(`notif-fb-${id}`)).toBe(DeliveryOutcome.Sent);
      expect(smsFor(id)).toHaveLength(1);

      const attempts = await attemptsOf(id);
      expect(attempts.map((a) => [a.channel, a.state])).toEqual([
        ['socket', 'sent'],
        ['sms', 'sent'],
      ]);
      expect(attempts[1].attempted_at.getTime() - attempts[0].attempted_at.getTime()).toBeGreaterThanOrEqual(WINDOW_MS - 50);
      const list = await t.http.get('/v1/notifications').set(auth(user.token));
      expect(list.body.items.find((n: { id: string }) => n.id === id).attempts.map((a: Attempt) => `${a.channel}:${a.state}`)).toEqual(['socket:sent', 'sms:sent']);

      // a late receipt is still recorded, and changes nothing else
      expect(await emitWithAck(socket, 'notification:received', { id })).toEqual({ ok: true });
      expect((await rowOf(id)).delivered_at).toBeInstanceOf(Date);
    });

    it('an offline user gets the SMS at once, with no socket attempt and no fallback', async () => {
      const user = await givenAdult(t);
      const id = await notify(user);
      expect(await outcomeOf(`notif-${id}`)).toBe(DeliveryOutcome.Sent);
      expect(smsFor(id)).toHaveLength(1);
      expect(smsFor(id)[0].to).toBe(user.phone);
      expect((await attemptsOf(id)).map((a) => [a.channel, a.state])).toEqual([['sms', 'sent']]);
      expect(await deliveries().getJob(`notif-fb-${id}`)).toBeUndefined();
      expect(await rowOf(id)).toMatchObject({ state: 'sent', delivered_at: null });
    });

    it('a user whose last socket closed is offline again', async () => {
      const user = await givenAdult(t);
      const socket = await online(user);
      socket.close();
      await eventually(async () => expect(await presence().isOnline(user.id)).toBe(false));
      const id = await notify(user);
      expect(await outcomeOf(`notif-${id}`)).toBe(DeliveryOutcome.Sent);
      expect((await attemptsOf(id)).map((a) => a.channel)).toEqual(['sms']);
    });

    it('SMS-only preferences send the SMS directly, even to an online user', async () => {
      const user = await givenAdult(t);
      await putPreferences(user, { channels: ['sms'], quietHours: null, reminderOffsets: [15], locale: 'zh-CN' });
      const socket = await online(user);
      let sawEvent = false;
      socket.on('notification', () => (sawEvent = true));
      const id = await notify(user);
      expect(await outcomeOf(`notif-${id}`)).toBe(DeliveryOutcome.Sent);
      expect(smsFor(id)).toHaveLength(1);
      expect((await attemptsOf(id)).map((a) => a.channel)).toEqual(['sms']);
      expect(sawEvent).toBe(false);
    });

    it('socket-only preferences never send an SMS, online or not', async () => {
      const user = await givenAdult(t);
      await putPreferences(user, { channels: ['socket'], quietHours: null, reminderOffsets: [15], locale: 'zh-CN' });
      const offlineId = await notify(user);
      expect(await outcomeOf(`notif-${offlineId}`)).toBe(DeliveryOutcome.Sent);

      const socket = await online(user);
      const event = waitForEvent<NotificationEvent>(socket, 'notification');
      const onlineId = await notify(user);
      expect((await event).id).toBe(onlineId);
      expect(await outcomeOf(`notif-${onlineId}`)).toBe(DeliveryOutcome.Sent);
      for (const id of [offlineId, onlineId]) {
        expect(await deliveries().getJob(`notif-fb-${id}`)).toBeUndefined();
        expect((await attemptsOf(id)).map((a) => [a.channel, a.state])).toEqual([['socket', 'sent']]);
        expect(smsFor(id)).toHaveLength(0);
      }
    });

    it('codes on the SMS channel still go straight to the phone, whatever the preferences and presence', async () => {
      const user = await givenAdult(t);
      await putPreferences(user, { channels: ['socket'], quietHours: { start: '00:00', end: '23:59' }, reminderOffsets: [15], locale: 'zh-CN' });
      await online(user);
      const id = await notify(user, { kind: NotificationKind.PhoneVerification, params: { minutes: 10 }, secretParams: { code: '482913' }, channel: NotificationChannel.Sms, phone: user.phone });
      expect(await outcomeOf(`notif-${id}`)).toBe(DeliveryOutcome.Sent);
      expect(smsFor(id).map((m) => m.text)).toEqual([expect.stringContaining('482913')]);
      expect(await rowOf(id)).toMatchObject({ state: 'sent', not_before: null, sealed: null });
    });
  });

  describe('the list', () => {
    it('pages newest first through rows written in the same millisecond, each exactly once', async () => {
      const user = await givenAdult(t);
      // five rows a few microseconds apart: they are kept at the millisecond a cursor carries
      const ids = Array.from({ length: 5 }, () => randomUUID());
      await t.query(
        `INSERT INTO notifications (id, user_id, kind, params, locale, channel, state, created_at)
         SELECT id, $2, 'weekly_digest', '{"childName":"小明","completed":1,"missed":0,"minutes":20,"streak":1}', 'zh-CN', 'socket', 'sent',
                '2030-01-05T12:00:00.123Z'::timestamptz + make_interval(secs => n * 0.000001)
           FROM unnest($1::uuid[]) WITH ORDINALITY AS x(id, n)`,
        [ids, user.id],
      );
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } = await t.http
          .get('/v1/notifications').query({ limit: 2, ...(cursor ? { cursor } : {}) }).set(auth(user.token));
        expect(page.status).toBe(200);
        seen.push(...page.body.items.map((n) => n.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      // the five (the newest), then the phone code that signing up sent
      expect(seen).toHaveLength(6);
      expect(new Set(seen).size).toBe(6);
      // newest first, the id breaking the tie
      expect(seen.slice(0, 5)).toEqual([...ids].sort().reverse());
    });
  });

  describe('receipts and reads', () => {
    it('marks my own notification read (and received) once; anyone else (a stranger, my family, its child, another family) gets 404 and changes nothing', async () => {
      const [family, other, stranger] = await Promise.all([givenFamily(t), givenFamily(t), givenAdult(t)]);
      const owner = family.parent;
      const id = await notify(owner);
      await t.settle();

      const refusals: Refusal[] = [
        ['stranger', stranger.token, 404],
        ['guardian', family.guardian.token, 404],
        ['child', family.child.token, 404],
        ['other parent', other.parent.token, 404],
      ];
      await expectRefused(t, refusals, (token) => t.http.post(`/v1/notifications/${id}/read`).set(auth(token)));
      expect(await rowOf(id)).toMatchObject({ delivered_at: null, read_at: null });
      expect((await t.http.post(`/v1/notifications/${randomUUID()}/read`).set(auth(owner.token))).status).toBe(404);
      expect((await t.http.post(`/v1/notifications/not-a-uuid/read`).set(auth(owner.token))).status).toBe(400);

      const read = await t.http.post(`/v1/notifications/${id}/read`).set(auth(owner.token));
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ id, readAt: expect.any(String), deliveredAt: read.body.readAt, attempts: [{ channel: 'sms', state: 'sent', attemptedAt: expect.any(String) }] });
      const again = await t.http.post(`/v1/notifications/${id}/read`).set(auth(owner.token));
      expect(again.body.readAt).toBe(read.body.readAt);
    });

    it('accepts a socket receipt only from the notification user, with a valid payload', async () => {
      const [family, other, stranger] = await Promise.all([givenFamily(t), givenFamily(t), givenAdult(t)]);
      const id = await notify(family.parent);
      const [socket, ...others] = await Promise.all([stranger, family.guardian, family.child, other.parent].map((who) => online(who)));
      for (const [n, asker] of [socket, ...others].entries()) {
        const refused = await emitWithAck<{ ok: false; error: { status: number } }>(asker, 'notification:received', { id });
        expect({ n, refused }).toMatchObject({ n, refused: { ok: false, error: { status: 404 } } });
      }
      expect((await emitWithAck<{ ok: false; error: { status: number } }>(socket, 'notification:received', { id: 'nope' })).error.status).toBe(400);
      expect((await emitWithAck<{ ok: false; error: { status: number } }>(socket, 'notification:received', { id, extra: 1 })).error.status).toBe(400);
      expect((await rowOf(id)).delivered_at).toBeNull();
    });
  });

  describe('exactly once', () => {
    /** Makes the gateway slow, so racing deliveries are really in flight together. */
    const slowGateway = () => {
      const gateway = t.app.get(SmsGateway);
      const send = gateway.send.bind(gateway);
      return jest.spyOn(gateway, 'send').mockImplementation(async (message: SmsMessage) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return send(message);
      });
    };
    const aJob = { attemptsMade: 0, opts: { attempts: 8 } } as Job;

    it('two deliveries of the same job racing send one SMS', async () => {
      const user = await givenAdult(t);
      // the queue's own delivery is taken out, so the only deliveries are the two racing here
      const id = await t.dataSource.transaction(async (em) => {
        const created = await service().notify(em, { userId: user.id, kind: NotificationKind.DevicePaired, params: { childName: '小明', deviceName: '平板' }, channel: NotificationChannel.Socket });
        await em.query(`DELETE FROM outbox WHERE job_id = $1`, [`notif-${created}`]);
        return created;
      });
      const spy = slowGateway();
      try {
        const processor = t.app.get(NotificationDeliveryProcessor);
        const outcomes = await Promise.all([processor.deliver({ notificationId: id }, aJob), processor.deliver({ notificationId: id }, aJob)]);
        expect(outcomes.sort()).toEqual([DeliveryOutcome.Sent, DeliveryOutcome.Skipped]);
      } finally {
        spy.mockRestore();
      }
      expect(smsFor(id)).toHaveLength(1);
      expect(await attemptsOf(id)).toHaveLength(1);
    });

    it('racing fallbacks of one notification send one SMS', async () => {
      const user = await givenAdult(t);
      const socket = await online(user);
      const event = waitForEvent<NotificationEvent>(socket, 'notification');
      const id = await notify(user);
      await event;
      const spy = slowGateway();
      try {
        const dispatcher = t.app.get(NotificationDispatcher);
        const outcomes = await Promise.all([1, 2, 3].map(() => dispatcher.fallback(id, { final: false })));
        expect(outcomes.sort()).toEqual([DeliveryOutcome.Sent, DeliveryOutcome.Skipped, DeliveryOutcome.Skipped]);
      } finally {
        spy.mockRestore();
      }
      // and the scheduled one, when its time comes, finds the SMS already sent
      expect(await outcomeOf(`notif-fb-${id}`)).toBe(DeliveryOutcome.Skipped);
      expect(smsFor(id)).toHaveLength(1);
      expect((await attemptsOf(id)).map((a) => a.channel)).toEqual(['socket', 'sms']);
    });

    it('a refused SMS is recorded as a failed attempt and retried', async () => {
      const user = await givenAdult(t);
      t.sms.failWith = 503;
      let id: string;
      try {
        id = await notify(user);
        await eventually(async () => expect((await attemptsOf(id)).map((a) => a.state)).toContain('failed'));
      } finally {
        t.sms.failWith = undefined;
      }
      // the gateway hears of the SMS just before its attempt row commits
      await eventually(async () => expect((await rowOf(id)).state).toBe('sent'), 15_000);
      expect(smsFor(id)).toHaveLength(1);
      const attempts = await attemptsOf(id);
      expect(attempts.at(-1)).toMatchObject({ channel: 'sms', state: 'sent' });
      expect(attempts.slice(0, -1).every((a) => a.channel === 'sms' && a.state === 'failed')).toBe(true);
      const [row] = await t.query<{ error: string }>(`SELECT error FROM notification_attempts WHERE notification_id = $1 AND state = 'failed' LIMIT 1`, [id]);
      expect(row.error).toContain('503');
      expect(row.error).not.toContain(user.phone);
    });
  });

  describe('presence', () => {
    it('is shared by API nodes: a socket on another node counts, and the event and receipt cross nodes', async () => {
      const second = await TestApp.start({ sameDataAs: t, env: { APP_ROLE: 'api' } });
      try {
        const user = await givenAdult(t);
        const socket = await online(user, second);
        const event = waitForEvent<NotificationEvent>(socket, 'notification');
        const id = await notify(user);
        expect((await event).id).toBe(id);
        expect(await emitWithAck(socket, 'notification:received', { id })).toEqual({ ok: true });
        expect(await outcomeOf(`notif-fb-${id}`)).toBe(DeliveryOutcome.Skipped);
        expect(smsFor(id)).toHaveLength(0);
      } finally {
        await second.stop();
      }
    });

    it('counts everyone as offline when Redis cannot answer, without failing', async () => {
      const config = testConfig({ REDIS_URL: 'redis://127.0.0.1:1' });
      const redis = createRedis(config, RedisRole.Command, 'presence-down');
      try {
        const unreachable = new Presence(redis, config);
        const started = Date.now();
        expect(await unreachable.isOnline(randomUUID())).toBe(false);
        expect(await unreachable.onlineAmong([randomUUID(), randomUUID()])).toEqual(new Set());
        expect(await unreachable.connected(randomUUID(), 'socket-1')).toMatchObject({ changed: false });
        expect(Date.now() - started).toBeLessThan(3000);
        await unreachable.onApplicationShutdown();
      } finally {
        redis.disconnect();
      }
    });

    it('answers for many users at once', async () => {
      const [a, b] = await Promise.all([givenAdult(t), givenAdult(t)]);
      await online(a);
      expect(await presence().onlineAmong([a.id, b.id, a.id])).toEqual(new Set([a.id]));
    });
  });

  // last: the clock stays set for the rest of the file
  describe('quiet hours', () => {
    let user: TestUser;
    let berlin: TestUser;
    let shanghai: TestUser;
    // signed up on the real clock: tokens are checked against it
    beforeAll(async () => {
      [user, berlin, shanghai] = await Promise.all([
        givenAdult(t, { timeZone: 'Asia/Shanghai' }),
        givenAdult(t, { timeZone: 'Europe/Berlin' }),
        givenAdult(t, { timeZone: 'Asia/Shanghai' }),
      ]);
      for (const someone of [user, berlin, shanghai]) expect((await putPreferences(someone, { ...VALID, locale: 'zh-CN' })).status).toBe(200);
    });

    it('hold a fallback SMS that falls due after they began', async () => {
      const nightOwl = await givenAdult(t, { timeZone: 'Asia/Shanghai' });
      await putPreferences(nightOwl, { ...VALID, locale: 'zh-CN' });
      const socket = await online(nightOwl);
      t.clock.set(new Date('2030-01-15T21:59:59.500+08:00'));
      const event = waitForEvent<NotificationEvent>(socket, 'notification');
      const id = await notify(nightOwl);
      await event;
      // the window ends after 22:00: the SMS would wake them, so it waits for the morning
      t.clock.set(new Date('2030-01-15T22:00:30+08:00'));
      expect(await outcomeOf(`notif-fb-${id}`)).toBe(DeliveryOutcome.Postponed);
      // the postponed job leaves through the outbox, after the postponing job completed
      const later = `notif-fb-${id}-at-${new Date('2030-01-16T07:00:00+08:00').getTime()}`;
      await eventually(async () => expect(await (await deliveries().getJob(later))?.getState()).toBe('delayed'));
      expect(smsFor(id)).toHaveLength(0);
      expect((await attemptsOf(id)).map((a) => a.channel)).toEqual(['socket']);
    });

    it('hold a non-urgent notification until they end, and let an urgent one through', async () => {
      t.clock.set(new Date('2030-01-15T23:30:00+08:00'));

      const waiting = await notify(user);
      const urgent = await notify(user, { urgent: true });
      expect(await rowOf(waiting)).toMatchObject({ state: 'pending', urgent: false, not_before: new Date('2030-01-16T07:00:00+08:00') });
      expect(await rowOf(urgent)).toMatchObject({ urgent: true, not_before: null });

      // the urgent one went through the same queue and was sent (by SMS: the user is offline) ...
      expect(await outcomeOf(`notif-${urgent}`)).toBe(DeliveryOutcome.Sent);
      expect(smsFor(urgent)).toHaveLength(1);
      // ... while the other waits in it, untouched
      const job = await eventually(async () => {
        const found = await deliveries().getJob(`notif-${waiting}`);
        expect(await found?.getState()).toBe('delayed');
        return found!;
      });
      expect(job.opts.delay).toBeGreaterThan(7 * 3600_000 - 60_000);
      expect(smsFor(waiting)).toHaveLength(0);
      expect(await attemptsOf(waiting)).toHaveLength(0);

      // run too early (a promoted job, a skewed clock), it puts itself back
      await job.promote();
      expect(await outcomeOf(`notif-${waiting}`)).toBe(DeliveryOutcome.Postponed);
      expect(smsFor(waiting)).toHaveLength(0);
      const again = `notif-${waiting}-at-${new Date('2030-01-16T07:00:00+08:00').getTime()}`;
      const postponed = await eventually(async () => {
        const found = await deliveries().getJob(again);
        expect(await found?.getState()).toBe('delayed');
        return found!;
      });

      // and when the quiet hours are over, it goes
      t.clock.set(new Date('2030-01-16T07:00:00+08:00'));
      await postponed.promote();
      expect(await outcomeOf(again)).toBe(DeliveryOutcome.Sent);
      expect(smsFor(waiting)).toHaveLength(1);
      expect(await rowOf(waiting)).toMatchObject({ state: 'sent' });
    });

    it("are read in the user's own zone", async () => {
      // 23:30 in Berlin (winter), 06:30 the next morning in Shanghai
      t.clock.set(new Date('2030-01-15T22:30:00Z'));
      const [b, s] = [await notify(berlin), await notify(shanghai)];
      expect((await rowOf(b)).not_before).toEqual(new Date('2030-01-16T07:00:00+01:00'));
      expect((await rowOf(s)).not_before).toEqual(new Date('2030-01-16T07:00:00+08:00'));
    });
  });
});
