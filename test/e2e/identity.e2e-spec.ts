import jwt from 'jsonwebtoken';
import { TestApp, eventually } from '../helpers/app';
import { RealtimePublisher } from '../../src/infra/realtime/realtime.publisher';
import { connectAs, emitWithAck, waitForEvent } from '../helpers/sockets';
import { aPhone, auth, givenAdult, givenChildProfile, givenFamily, givenFamilyOf, givenPairedDevice, PASSWORD } from '../factories';

describe('identity: accounts, tokens and child devices', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.stop());

  describe('registration and sign-in', () => {
    it('registers with a phone, sends an SMS code, and confirms the phone with it', async () => {
      const phone = aPhone();
      const reg = await t.http.post('/v1/auth/register').send({ displayName: '王芳', phone, password: PASSWORD, locale: 'zh-CN', timeZone: 'Europe/Berlin' });
      expect(reg.status).toBe(201);
      expect(reg.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresIn: 900, tokenType: 'Bearer' });

      const me = await t.http.get('/v1/me').set(auth(reg.body.accessToken));
      expect(me.body).toMatchObject({ kind: 'adult', displayName: '王芳', locale: 'zh-CN', timeZone: 'Europe/Berlin', phone, phoneVerified: false });
      expect(JSON.stringify(me.body)).not.toMatch(/argon2|passwordHash/);

      const sms = await eventually(() => {
        const [message] = t.sms.to(phone);
        expect(message).toBeDefined();
        return message;
      });
      expect(sms.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
      const code = /(\d{6})/.exec(sms.text)![1];
      expect(sms.text).toContain('验证码');

      const wrong = await t.http.post('/v1/me/phone-verification/confirm').set(auth(reg.body.accessToken)).send({ code: code === '000000' ? '111111' : '000000' });
      expect(wrong.status).toBe(400);
      expect(wrong.body.code).toBe('invalid_code');

      const confirmed = await t.http.post('/v1/me/phone-verification/confirm').set(auth(reg.body.accessToken)).send({ code });
      expect(confirmed.status).toBe(200);
      expect(confirmed.body.phoneVerified).toBe(true);

      const again = await t.http.post('/v1/me/phone-verification/confirm').set(auth(reg.body.accessToken)).send({ code });
      expect(again.status).toBe(400);
    });

    it('registers with an email only, in English', async () => {
      const res = await t.http.post('/v1/auth/register').send({ displayName: 'Li Wei', email: 'Li.Wei@Example.com', password: PASSWORD, locale: 'en', timeZone: 'America/New_York' });
      expect(res.status).toBe(201);
      const login = await t.http.post('/v1/auth/login').send({ login: 'li.wei@example.com', password: PASSWORD });
      expect(login.status).toBe(200);
    });

    it('refuses a second account with the same phone', async () => {
      const user = await givenAdult(t);
      const before = await t.count('users');
      const res = await t.http.post('/v1/auth/register').send({ displayName: 'x', phone: user.phone, password: PASSWORD });
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(await t.count('users')).toBe(before);
    });

    it.each([
      ['a common password', { password: 'password123' }, 'password'],
      ['a short password', { password: 'abc12' }, 'password'],
      ['no phone and no email', { phone: undefined }, 'phone'],
      ['an invalid phone', { phone: '+86123' }, 'phone'],
      ['a phone not in E.164', { phone: '13812345678' }, 'phone'],
      ['an invalid time zone', { timeZone: 'Mars/Olympus' }, 'timeZone'],
      ['an unknown locale', { locale: 'fr' }, 'locale'],
      ['an oversize name', { displayName: 'x'.repeat(61) }, 'displayName'],
      ['a smuggled id', { id: '7e1f8f9e-8a4b-4a57-9a3e-4c9f4f2b8a11' }, 'id'],
      ['a smuggled kind', { kind: 'child' }, 'kind'],
      ['a smuggled role', { role: 'guardian' }, 'role'],
      ['a wrong type', { displayName: 42 }, 'displayName'],
    ])('refuses %s with a problem naming the field, and writes nothing', async (_what, change, field) => {
      const before = await t.snapshot();
      const body = { displayName: '张三', phone: aPhone(), password: PASSWORD, ...change };
      const res = await t.http.post('/v1/auth/register').send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 400, code: 'validation_failed', title: expect.any(String) });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await t.snapshot()).toEqual(before);
    });

    it('answers malformed JSON with a problem, not a crash', async () => {
      const res = await t.http.post('/v1/auth/register').set('content-type', 'application/json').send('{"displayName": "x",');
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.status).toBe(400);
    });

    it('answers an unknown login and a wrong password the same way', async () => {
      const user = await givenAdult(t);
      const wrongPassword = await t.http.post('/v1/auth/login').send({ login: user.phone, password: 'Not-the-password-99' });
      const unknownUser = await t.http.post('/v1/auth/login').send({ login: aPhone(), password: 'Not-the-password-99' });
      expect(wrongPassword.status).toBe(401);
      expect(unknownUser.status).toBe(401);
      expect(unknownUser.body).toEqual(wrongPassword.body);
    });
  });

  describe('tokens', () => {
    it('rotates refresh tokens, and a reused one ends the whole sign-in', async () => {
      const user = await givenAdult(t);
      const first = await t.http.post('/v1/auth/refresh').send({ refreshToken: user.refreshToken });
      expect(first.status).toBe(200);
      const second = await t.http.post('/v1/auth/refresh').send({ refreshToken: first.body.refreshToken });
      expect(second.status).toBe(200);

      const reuse = await t.http.post('/v1/auth/refresh').send({ refreshToken: user.refreshToken });
      expect(reuse.status).toBe(401);
      // the thief's and the owner's newest tokens are both dead now
      expect((await t.http.post('/v1/auth/refresh').send({ refreshToken: second.body.refreshToken })).status).toBe(401);
      expect((await t.http.get('/v1/me').set(auth(second.body.accessToken))).status).toBe(401);
      const [token] = await t.query<{ token_hash: string }>(`SELECT token_hash FROM refresh_tokens LIMIT 1`);
      expect(token.token_hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('logout ends the access token at once', async () => {
      const user = await givenAdult(t);
      expect((await t.http.post('/v1/auth/logout').set(auth(user.token))).status).toBe(204);
      expect((await t.http.get('/v1/me').set(auth(user.token))).status).toBe(401);
      expect((await t.http.post('/v1/auth/refresh').send({ refreshToken: user.refreshToken })).status).toBe(401);
    });

    it('refuses expired, forged, alg:none, wrong-audience and refresh-as-access tokens', async () => {
      const user = await givenAdult(t);
      const claims = jwt.decode(user.token) as jwt.JwtPayload;
      const forged = jwt.sign({ ...claims }, 'some-other-secret-that-is-long-enough-000');
      const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
      const { aud: _aud, ...withoutAudience } = claims;
      const wrongAudience = jwt.sign({ ...withoutAudience, aud: 'another-service' }, t.config.jwtSecret);
      const { typ: _typ, ...untyped } = claims;
      const untypedToken = jwt.sign(untyped, t.config.jwtSecret);
      for (const token of [forged, none, wrongAudience, untypedToken, user.refreshToken, 'garbage']) {
        const res = await t.http.get('/v1/me').set(auth(token));
        expect(res.status).toBe(401);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
      expect((await t.http.get('/v1/me')).status).toBe(401);

      t.clock.advance(16 * 60 * 1000);
      try {
        expect((await t.http.get('/v1/me').set(auth(user.token))).status).toBe(401);
      } finally {
        t.clock.advance(-16 * 60 * 1000);
      }
      expect((await t.http.get('/v1/me').set(auth(user.token))).status).toBe(200);
    });
  });

  describe('child devices', () => {
    it('pairs a device with a one-time code that works once', async () => {
      const guardian = await givenAdult(t);
      const familyId = await givenFamilyOf(t, guardian, 'guardian');
      const childId = await givenChildProfile(t, familyId, guardian);
      const issued = await t.http.post(`/v1/children/${childId}/pairing-codes`).set(auth(guardian.token));
      expect(issued.status).toBe(201);
      expect(issued.body.code).toMatch(/^[2-9A-Z]{4}-[2-9A-Z]{4}$/);
      expect(new Date(issued.body.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(600_000);
      const [stored] = await t.query<{ code_hash: string; lookup: string }>(`SELECT code_hash, lookup FROM one_time_codes WHERE purpose = 'pairing'`);
      expect(stored.code_hash).not.toContain(issued.body.code.replace('-', '').slice(4));

      const paired = await t.http.post('/v1/auth/child-pair').send({ code: issued.body.code.toLowerCase(), deviceName: '平板' });
      expect(paired.status).toBe(201);
      const me = await t.http.get('/v1/me').set(auth(paired.body.accessToken));
      expect(me.body).toMatchObject({ id: childId, kind: 'child', deviceId: expect.any(String) });

      const reuse = await t.http.post('/v1/auth/child-pair').send({ code: issued.body.code, deviceName: '另一个' });
      expect(reuse.status).toBe(400);
      expect(await t.count('child_devices', 'child_id = $1', [childId])).toBe(1);
    });

    it('burns a pairing code after 5 wrong tries', async () => {
      const { child, guardian } = await givenFamily(t);
      const { body } = await t.http.post(`/v1/children/${child.id}/pairing-codes`).set(auth(guardian.token));
      const [lookup, secret] = body.code.split('-');
      const wrongSecret = secret === '2222' ? '3333' : '2222';
      for (let i = 0; i < 5; i++) {
        expect((await t.http.post('/v1/auth/child-pair').send({ code: `${lookup}-${wrongSecret}`, deviceName: 'x' })).status).toBe(400);
      }
      const right = await t.http.post('/v1/auth/child-pair').send({ code: body.code, deviceName: 'x' });
      expect(right.status).toBe(400);
      expect(right.body.code).toBe('invalid_code');
    });

    it('refuses an expired pairing code', async () => {
      const { child, guardian } = await givenFamily(t);
      const { body } = await t.http.post(`/v1/children/${child.id}/pairing-codes`).set(auth(guardian.token));
      t.clock.advance(11 * 60 * 1000);
      try {
        expect((await t.http.post('/v1/auth/child-pair').send({ code: body.code, deviceName: 'x' })).status).toBe(400);
      } finally {
        t.clock.advance(-11 * 60 * 1000);
      }
    });

    it('lists devices to guardians and revokes one: its tokens and open socket stop at once', async () => {
      const family = await givenFamily(t);
      const list = await t.http.get(`/v1/children/${family.child.id}/devices`).set(auth(family.guardian.token));
      expect(list.status).toBe(200);
      expect(list.body).toEqual([expect.objectContaining({ id: family.child.deviceId, revokedAt: null })]);

      const socket = await connectAs(t, family.child.token);
      // stamped by the service's clock (five minutes ahead of the real one here)
      t.clock.advance(5 * 60_000);
      const before = t.clock.now().getTime();
      const ping = await emitWithAck<{ ok: boolean; userId: string; at: string }>(socket, 'session:ping', {});
      const after = t.clock.now().getTime();
      t.clock.advance(-5 * 60_000);
      expect(ping).toEqual({ ok: true, userId: family.child.id, at: expect.any(String) });
      expect(Date.parse(ping.at)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(ping.at)).toBeLessThanOrEqual(after);
      const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));

      const revoke = await t.http.delete(`/v1/children/${family.child.id}/devices/${family.child.deviceId}`).set(auth(family.guardian.token));
      expect(revoke.status).toBe(204);
      expect((await t.http.get('/v1/me').set(auth(family.child.token))).status).toBe(401);
      expect((await t.http.post('/v1/auth/refresh').send({ refreshToken: family.child.refreshToken })).status).toBe(401);
      expect(await disconnected).toBe('io server disconnect');
      await expect(connectAs(t, family.child.token)).rejects.toThrow();

      const audit = await t.http.get(`/v1/children/${family.child.id}/audit`).set(auth(family.guardian.token));
      expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(
        expect.arrayContaining(['child.device_revoked', 'child.device_paired', 'child.pairing_code_issued', 'child.created']),
      );
    });

    it('a second device gets its own tokens; revoking one leaves the other', async () => {
      const family = await givenFamily(t);
      const second = await givenPairedDevice(t, family.child.id, family.guardian, '手机');
      await t.http.delete(`/v1/children/${family.child.id}/devices/${family.child.deviceId}`).set(auth(family.guardian.token)).expect(204);
      expect((await t.http.get('/v1/me').set(auth(second.token))).status).toBe(200);
    });

    it('refuses device endpoints to a stranger (404), the child (403), a parent while a guardian holds controls (403)', async () => {
      const family = await givenFamily(t);
      const stranger = await givenAdult(t);
      const other = await givenFamily(t);
      const base = `/v1/children/${family.child.id}`;
      const before = await t.snapshot();
      for (const [token, status] of [
        [stranger.token, 404],
        [other.guardian.token, 404],
        [other.child.token, 404],
        [family.child.token, 403],
        [family.parent.token, 403],
      ] as const) {
        expect((await t.http.post(`${base}/pairing-codes`).set(auth(token))).status).toBe(status);
        expect((await t.http.get(`${base}/devices`).set(auth(token))).status).toBe(status);
        expect((await t.http.delete(`${base}/devices/${family.child.deviceId}`).set(auth(token))).status).toBe(status);
      }
      expect(await t.snapshot()).toEqual(before);
      expect((await t.http.get('/v1/me').set(auth(family.child.token))).status).toBe(200);
    });
  });

  describe('my account', () => {
    it('lets an adult change name, language and time zone, and records it in the audit', async () => {
      const user = await givenAdult(t);
      const res = await t.http.patch('/v1/me').set(auth(user.token)).send({ displayName: '李奶奶', locale: 'en', timeZone: 'Asia/Chongqing' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ displayName: '李奶奶', locale: 'en', timeZone: 'Asia/Chongqing', phoneVerified: false });
      const [event] = await t.query<{ action: string; details: { fields: string[] } }>(`SELECT action, details FROM audit_events WHERE actor_id = $1 AND action = 'account.updated'`, [user.id]);
      expect(event.details.fields).toEqual(['displayName', 'locale', 'timeZone']);
    });

    it('refuses account changes to a child (its guardians keep its profile) and to a caller without a token', async () => {
      const family = await givenFamily(t);
      const before = await t.snapshot();
      for (const [method, path, body] of [
        ['patch', '/v1/me', { displayName: 'x' }],
        ['post', '/v1/me/phone-verification', undefined],
        ['post', '/v1/me/phone-verification/confirm', { code: '123456' }],
      ] as const) {
        const asChild = await t.http[method](path).set(auth(family.child.token)).send(body);
        expect({ path, status: asChild.status }).toEqual({ path, status: 403 });
        const anonymous = await t.http[method](path).send(body);
        expect({ path, status: anonymous.status }).toEqual({ path, status: 401 });
      }
      expect(await t.snapshot()).toEqual(before);
    });

    it('refuses a null where a field may only be left out', async () => {
      const user = await givenAdult(t);
      const res = await t.http.patch('/v1/me').set(auth(user.token)).send({ locale: null });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['locale']);
    });
  });

  describe('sockets', () => {
    it('refuses a bad or missing token at connect', async () => {
      await expect(connectAs(t, 'not-a-token')).rejects.toMatchObject({ data: { status: 401 } });
      await expect(connectAs(t, undefined)).rejects.toMatchObject({ data: { status: 401 } });
    });

    it('reaches a user in their room through the publisher, and closes the socket on logout', async () => {
      const [user, other] = await Promise.all([givenAdult(t), givenAdult(t)]);
      const [socket, otherSocket] = await Promise.all([connectAs(t, user.token), connectAs(t, other.token)]);
      const seenByOther: unknown[] = [];
      otherSocket.on('notification', (data: unknown) => seenByOther.push(data));
      const received = waitForEvent<{ hello: string }>(socket, 'notification');
      t.app.get(RealtimePublisher).toUser(user.id, 'notification', { hello: '你好' });
      expect(await received).toEqual({ hello: '你好' });
      // a round trip on the other socket after the emit: it would have had the event by now
      expect(await emitWithAck(otherSocket, 'session:ping', {})).toMatchObject({ ok: true });
      expect(seenByOther).toEqual([]);
      otherSocket.close();
      const closed = new Promise((resolve) => socket.once('disconnect', resolve));
      await t.http.post('/v1/auth/logout').set(auth(user.token)).expect(204);
      await closed;
    });
  });
});
