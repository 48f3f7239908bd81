import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { eventually, TestApp } from '../helpers/app';
import { itRefusesEachRow, RefusalRow, uncoveredRoutes } from '../helpers/refusal-matrix';
import { connectAs, waitForEvent } from '../helpers/sockets';
import {
  aPhone,
  auth,
  givenAdult,
  givenChildProfile,
  givenClass,
  givenFamily,
  givenFamilyOf,
  givenMember,
  givenPairedDevice,
  PASSWORD,
  TestFamily,
  TestUser,
} from '../factories';

const DAY_MS = 24 * 60 * 60 * 1000;
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(64, 7)]);

describe('families: care circles, children, contacts and the child’s data rights', () => {
  let t: TestApp;
  let mediaDir: string;
  beforeAll(async () => {
    mediaDir = await mkdtemp(join(tmpdir(), 'hl-media-families-'));
    t = await TestApp.start({ env: { MEDIA_LOCAL_DIR: mediaDir } });
  });
  afterAll(async () => {
    await t.stop();
    await rm(mediaDir, { recursive: true, force: true });
  });

  const consent = () => ({ accepted: true, noticeVersion: t.config.privacyNoticeVersion });
  const invite = (familyId: string, inviter: { token: string }, body: object) =>
    t.http.post(`/v1/families/${familyId}/invitations`).set(auth(inviter.token)).send(body);
  const accept = (code: string, user: { token: string }) => t.http.post(`/v1/invitations/${code}/accept`).set(auth(user.token));
  const requestContact = (childId: string, who: { token: string }, body: object) =>
    t.http.post(`/v1/children/${childId}/contact-requests`).set(auth(who.token)).send(body);
  const contactsOf = async (childId: string, who: { token: string }) =>
    (await t.http.get(`/v1/children/${childId}/contacts`).set(auth(who.token)).expect(200)).body as {
      userId: string;
      source: string;
      relationship: string | null;
    }[];
  const auditActions = async (where: string, params: unknown[]) =>
    (await t.query<{ action: string }>(`SELECT action FROM audit_events WHERE ${where} ORDER BY created_at, id`, params)).map((r) => r.action);
  /** The child sends a picture into the conversation: its upload, then the message. */
  const sendPicture = async (child: { token: string }, conversationId: string, clientMsgId: string) => {
    const upload = await t.http.post(`/v1/conversations/${conversationId}/media`).set(auth(child.token)).set('content-type', 'image/png').send(PNG);
    expect(upload.status).toBe(201);
    const sent = { clientMsgId, kind: 'image', mediaId: upload.body.mediaId as string, body: '我的画' };
    expect((await t.http.post(`/v1/conversations/${conversationId}/messages`).set(auth(child.token)).send(sent)).status).toBe(201);
    return { mediaId: sent.mediaId, url: upload.body.url as string, storageKey: `${conversationId}/${sent.mediaId}` };
  };
  const expectProblem = (res: request.Response, status: number) => {
    expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { status } });
    expect(res.headers['content-type']).toContain('application/problem+json');
  };

  describe('families', () => {
    it('creates a family with the creator as member, lists it and shows members by name and role only', async () => {
      const parent = await givenAdult(t, { displayName: '爸爸' });
      const created = await t.http.post('/v1/families').set(auth(parent.token)).send({ name: '  李家 ', role: 'parent' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        name: '李家',
        members: [{ userId: parent.id, displayName: '爸爸', roles: ['parent'] }],
        children: [],
        createdAt: expect.any(String),
      });
      const familyId = created.body.id as string;
      expect(await auditActions('family_id = $1', [familyId])).toEqual(['family.created']);

      const guardian = await givenAdult(t, { displayName: '奶奶' });
      await givenMember(t, familyId, parent, guardian, 'guardian');
      // one person may hold both roles
      await givenMember(t, familyId, guardian, parent, 'guardian');
      const childId = await givenChildProfile(t, familyId, guardian, '小明');

      const got = await t.http.get(`/v1/families/${familyId}`).set(auth(guardian.token));
      expect(got.status).toBe(200);
      expect(got.body).toEqual({
        id: familyId,
        name: '李家',
        members: [
          { userId: parent.id, displayName: '爸爸', roles: ['guardian', 'parent'] },
          { userId: guardian.id, displayName: '奶奶', roles: ['guardian'] },
        ],
        children: [{ id: childId, displayName: '小明' }],
        createdAt: created.body.createdAt,
      });
      expect(got.text).not.toContain(parent.phone);
      expect(got.text).not.toContain(guardian.phone);

      const list = await t.http.get('/v1/families').set(auth(parent.token));
      expect(list.status).toBe(200);
      expect(list.body).toEqual({ items: [got.body], nextCursor: null });

      // the child reads its own family, and only that one
      const child = await givenPairedDevice(t, childId, guardian);
      expect((await t.http.get(`/v1/families/${familyId}`).set(auth(child.token))).body).toEqual(got.body);
      expect((await t.http.get('/v1/families').set(auth(child.token))).body).toEqual({ items: [got.body], nextCursor: null });
    });

    it('pages through my families, newest first', async () => {
      const adult = await givenAdult(t);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await givenFamilyOf(t, adult, 'parent'));
      const first = await t.http.get('/v1/families?limit=2').set(auth(adult.token)).expect(200);
      expect(first.body.items.map((f: { id: string }) => f.id)).toEqual([ids[2], ids[1]]);
      const second = await t.http.get(`/v1/families?limit=2&cursor=${first.body.nextCursor}`).set(auth(adult.token)).expect(200);
      expect(second.body).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    });

    it.each([
      ['no name', { role: 'parent' }, 'name'],
      ['an empty name', { name: '   ', role: 'parent' }, 'name'],
      ['an oversize name', { name: 'x'.repeat(61), role: 'parent' }, 'name'],
      ['an unknown role', { name: '李家', role: 'admin' }, 'role'],
      ['a smuggled id', { name: '李家', role: 'parent', id: '7e1f8f9e-8a4b-4a57-9a3e-4c9f4f2b8a11' }, 'id'],
      ['a smuggled createdBy', { name: '李家', role: 'parent', createdBy: '7e1f8f9e-8a4b-4a57-9a3e-4c9f4f2b8a11' }, 'createdBy'],
      ['a null name', { name: null, role: 'parent' }, 'name'],
    ])('refuses a family with %s and writes nothing', async (_what, body, field) => {
      const adult = await givenAdult(t);
      const before = await t.snapshot();
      const res = await t.http.post('/v1/families').set(auth(adult.token)).send(body);
      expectProblem(res, 400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await t.snapshot()).toEqual(before);
    });
  });

  describe('invitations', () => {
    it('invites by SMS; accepting joins with the role and makes the newcomer a contact of every child', async () => {
      const parent = await givenAdult(t, { displayName: '爸爸' });
      const familyId = await givenFamilyOf(t, parent, 'parent');
      // a parent may create the child while the family has no guardian yet
      const childId = await givenChildProfile(t, familyId, parent, '小红');
      const grandma = await givenAdult(t, { displayName: '奶奶' });

      const issued = await invite(familyId, parent, { role: 'guardian', phone: grandma.phone });
      expect(issued.status).toBe(201);
      expect(issued.body).toEqual({ code: expect.stringMatching(/^[2-9A-Z]{4}-[2-9A-Z]{4}$/), expiresAt: expect.any(String) });
      const ttl = new Date(issued.body.expiresAt).getTime() - Date.now();
      expect(ttl).toBeGreaterThan(7 * DAY_MS - 60_000);
      expect(ttl).toBeLessThanOrEqual(7 * DAY_MS);
      // (the phone's own confirmation code went there first, at registration)
      const sms = await eventually(() => {
        const message = t.sms.to(grandma.phone).find((m) => m.text.includes(issued.body.code));
        expect(message).toBeDefined();
        return message!;
      });
      expect(sms.text).toContain('爸爸');
      // the code is not kept in clear anywhere
      const [stored] = await t.query<{ code_hash: string; role: string }>(`SELECT code_hash, role FROM one_time_codes WHERE family_id = $1`, [familyId]);
      expect(stored.role).toBe('guardian');
      expect(JSON.stringify(await t.query(`SELECT * FROM notifications`))).not.toContain(issued.body.code.slice(5));

      const joined = await accept(issued.body.code.toLowerCase(), grandma);
      expect(joined.status).toBe(201);
      expect(joined.body.members).toEqual([
        { userId: parent.id, displayName: '爸爸', roles: ['parent'] },
        { userId: grandma.id, displayName: '奶奶', roles: ['guardian'] },
      ]);
      expect(await contactsOf(childId, grandma)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ userId: parent.id, source: 'family' }),
          expect.objectContaining({ userId: grandma.id, source: 'family' }),
        ]),
      );
      expect(await auditActions('family_id = $1', [familyId])).toEqual([
        'family.created',
        'child.created',
        'family.invitation_created',
        'family.member_joined',
      ]);
      // the first guardian to join holds the child's controls now
      expect((await t.http.get(`/v1/children/${childId}/devices`).set(auth(parent.token))).status).toBe(403);
      expect((await t.http.get(`/v1/children/${childId}/devices`).set(auth(grandma.token))).status).toBe(200);
    });

    it('a code works once', async () => {
      const parent = await givenAdult(t);
      const familyId = await givenFamilyOf(t, parent, 'parent');
      const [first, second] = await Promise.all([givenAdult(t), givenAdult(t)]);
      const { body } = await invite(familyId, parent, { role: 'parent' }).expect(201);
      expect((await accept(body.code, first)).status).toBe(201);
      const before = await t.snapshot();
      const again = await accept(body.code, second);
      expectProblem(again, 400);
      expect(again.body.code).toBe('invalid_code');
      expect(await t.count('family_members', 'family_id = $1 AND user_id = $2', [familyId, second.id])).toBe(0);
      expect(await t.snapshot()).toEqual(before);
    });

    it('burns a code after 5 wrong tries', async () => {
      const parent = await givenAdult(t);
      const familyId = await givenFamilyOf(t, parent, 'parent');
      const joiner = await givenAdult(t);
      const { body } = await invite(familyId, parent, { role: 'parent' }).expect(201);
      const [lookup, secret] = (body.code as string).split('-');
      const wrong = `${lookup}-${secret === '2222' ? '3333' : '2222'}`;
      for (let i = 0; i < 5; i++) {
        const res = await accept(wrong, joiner);
        expectProblem(res, 400);
        expect(res.body.code).toBe('invalid_code');
      }
      const [row] = await t.query<{ failed_attempts: number }>(`SELECT failed_attempts FROM one_time_codes WHERE family_id = $1`, [familyId]);
      expect(row.failed_attempts).toBe(5);
      const right = await accept(body.code, joiner);
      expectProblem(right, 400);
      expect(right.body.code).toBe('invalid_code');
      expect(await t.count('family_members', 'family_id = $1', [familyId])).toBe(1);
    });

    it('refuses an expired code, a malformed code, and a role the joiner already holds (the code stays usable)', async () => {
      const parent = await givenAdult(t);
      const familyId = await givenFamilyOf(t, parent, 'parent');
      const joiner = await givenAdult(t);

      t.clock.advance(-(7 * DAY_MS + 60_000));
      let expired: string;
      try {
        expired = (await invite(familyId, parent, { role: 'parent' }).expect(201)).body.code;
      } finally {
        t.clock.advance(7 * DAY_MS + 60_000);
      }
      expectProblem(await accept(expired, joiner), 400);
      expectProblem(await accept('not-a-code', joiner), 400);

      const { body } = await invite(familyId, parent, { role: 'parent' }).expect(201);
      const before = await t.snapshot();
      const own = await accept(body.code, parent);
      expectProblem(own, 409);
      expect(await t.snapshot()).toEqual(before);
      expect((await accept(body.code, joiner)).status).toBe(201);
    });

    it('lets only a guardian invite a guardian once the family has one; parents invite parents', async () => {
      const family = await givenFamily(t);
      const before = await t.snapshot();
      const refused = await invite(family.familyId, family.parent, { role: 'guardian' });
      expectProblem(refused, 403);
      expect(await t.snapshot()).toEqual(before);
      expect((await invite(family.familyId, family.parent, { role: 'parent' })).status).toBe(201);
      expect((await invite(family.familyId, family.guardian, { role: 'guardian' })).status).toBe(201);
      expect((await invite(family.familyId, family.guardian, { role: 'parent' })).status).toBe(201);
    });

    it.each([
      ['an unknown role', { role: 'teacher' }, 'role'],
      ['an invalid phone', { role: 'parent', phone: '+86123' }, 'phone'],
      ['a null phone', { role: 'parent', phone: null }, 'phone'],
      ['a smuggled familyId', { role: 'parent', familyId: '7e1f8f9e-8a4b-4a57-9a3e-4c9f4f2b8a11' }, 'familyId'],
    ])('refuses an invitation with %s and writes nothing', async (_what, body, field) => {
      const guardian = await givenAdult(t);
      const familyId = await givenFamilyOf(t, guardian, 'guardian');
      const before = await t.snapshot();
      const res = await invite(familyId, guardian, body);
      expectProblem(res, 400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await t.snapshot()).toEqual(before);
    });
  });

  describe('children', () => {
    it('creates a child with the guardian’s consent; every family adult becomes a contact', async () => {
      const guardian = await givenAdult(t, { displayName: '外婆' });
      const familyId = await givenFamilyOf(t, guardian, 'guardian');
      const parent = await givenAdult(t, { displayName: '妈妈' });
      await givenMember(t, familyId, guardian, parent, 'parent');

      const res = await t.http
        .post(`/v1/families/${familyId}/children`)
        .set(auth(guardian.token))
        .send({ displayName: '小宇', birthYear: 2016, consent: consent() });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.any(String), familyId, displayName: '小宇', birthYear: 2016, createdAt: expect.any(String) });
      const childId = res.body.id as string;

      const [user] = await t.query(`SELECT kind, phone, email, password_hash FROM users WHERE id = $1`, [childId]);
      expect(user).toEqual({ kind: 'child', phone: null, email: null, password_hash: null });
      const [row] = await t.query(`SELECT consent_given_by, consent_notice_version, consent_given_at FROM children WHERE user_id = $1`, [childId]);
      expect(row).toEqual({ consent_given_by: guardian.id, consent_notice_version: t.config.privacyNoticeVersion, consent_given_at: expect.any(Date) });
      expect((await contactsOf(childId, guardian)).map((c) => [c.userId, c.source]).sort()).toEqual(
        [
          [guardian.id, 'family'],
          [parent.id, 'family'],
        ].sort(),
      );
      expect(await auditActions('child_id = $1', [childId])).toEqual(['child.created']);

      // the family adults, the child itself and its teacher all see the same minimal profile
      const child = await givenPairedDevice(t, childId, guardian);
      const klass = await givenClass(t);
      await t.http.post(`/v1/children/${childId}/enrollments`).set(auth(parent.token)).send({ joinCode: klass.joinCode }).expect(201);
      for (const who of [guardian, parent, child, klass.teacher]) {
        const got = await t.http.get(`/v1/children/${childId}`).set(auth(who.token));
        expect(got.status).toBe(200);
        expect(got.body).toEqual(res.body);
      }
    });

    it.each([
      ['no consent', { displayName: '小宇' }, 'consent'],
      ['consent not accepted', { displayName: '小宇', consent: { accepted: false, noticeVersion: 'current' } }, 'consent.accepted'],
      ['consent given as a string', { displayName: '小宇', consent: 'yes' }, 'consent'],
      ['an outdated privacy notice', { displayName: '小宇', consent: { accepted: true, noticeVersion: 'v0-outdated' } }, 'consent.noticeVersion'],
      ['a smuggled consent field', { displayName: '小宇', consent: { accepted: true, noticeVersion: 'current', givenBy: 'me' } }, 'consent.givenBy'],
      ['a birth year in the future', { displayName: '小宇', birthYear: 2099, consent: 'current' }, 'birthYear'],
      ['a fractional birth year', { displayName: '小宇', birthYear: 2016.5, consent: 'current' }, 'birthYear'],
      ['an oversize name', { displayName: 'x'.repeat(61), consent: 'current' }, 'displayName'],
      ['a name with a control character', { displayName: '小\u0007宇', consent: 'current' }, 'displayName'],
      ['a smuggled familyId', { displayName: '小宇', consent: 'current', familyId: '7e1f8f9e-8a4b-4a57-9a3e-4c9f4f2b8a11' }, 'familyId'],
    ])('refuses a child with %s and writes nothing', async (_what, body: Record<string, unknown>, field) => {
      const guardian = await givenAdult(t);
      const familyId = await givenFamilyOf(t, guardian, 'guardian');
      const withCurrent = (value: unknown): unknown =>
        value === 'current'
          ? consent()
          : value && typeof value === 'object' && 'noticeVersion' in value && (value as { noticeVersion: string }).noticeVersion === 'current'
            ? { ...value, noticeVersion: t.config.privacyNoticeVersion }
            : value;
      const sent = { ...body, ...('consent' in body ? { consent: withCurrent(body.consent) } : {}) };
      const before = await t.snapshot();
      const res = await t.http.post(`/v1/families/${familyId}/children`).set(auth(guardian.token)).send(sent);
      expectProblem(res, 400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await t.snapshot()).toEqual(before);
      expect(await t.count('children', 'family_id = $1', [familyId])).toBe(0);
    });
  });

  describe('contacts', () => {
    let family: TestFamily;
    beforeAll(async () => {
      family = await givenFamily(t);
    });

    it('lists contacts to the family’s adults and to the child itself', async () => {
      const expected = [
        { userId: family.parent.id, displayName: '爸爸', source: 'family', relationship: null, approvedAt: expect.any(String) },
        { userId: family.guardian.id, displayName: '奶奶', source: 'family', relationship: null, approvedAt: expect.any(String) },
      ];
      for (const who of [family.parent, family.guardian, family.child]) {
        const res = await t.http.get(`/v1/children/${family.child.id}/contacts`).set(auth(who.token));
        expect(res.status).toBe(200);
        expect(res.body).toEqual(expect.arrayContaining(expected));
        expect(res.body).toHaveLength(2);
      }
    });

    it('a parent’s request waits for the guardian, who is told at once and approves it', async () => {
      const uncle = await givenAdult(t, { displayName: '舅舅' });
      const socket = await connectAs(t, family.guardian.token);
      try {
        const told = waitForEvent<{ kind: string; body: string }>(socket, 'notification', (n) => n.kind === 'contact_request', 10_000);
        const res = await requestContact(family.child.id, family.parent, { phone: uncle.phone, relationship: '舅舅', note: '他在深圳，想周末和孩子视频' });
        expect(res.status).toBe(201);
        expect(res.body).toEqual({
          id: expect.any(String),
          childId: family.child.id,
          contactUserId: uncle.id,
          contactDisplayName: '舅舅',
          requestedBy: family.parent.id,
          requesterDisplayName: '爸爸',
          relationship: '舅舅',
          note: '他在深圳，想周末和孩子视频',
          status: 'pending',
          decidedBy: null,
          decidedAt: null,
          createdAt: expect.any(String),
        });
        expect(res.text).not.toContain(uncle.phone);
        const notification = await told;
        expect(notification.body).toContain('爸爸');
        expect(notification.body).toContain('小明');
        // not yet a contact
        expect((await contactsOf(family.child.id, family.guardian)).map((c) => c.userId)).not.toContain(uncle.id);

        const pending = await t.http.get(`/v1/children/${family.child.id}/contact-requests?status=pending`).set(auth(family.guardian.token));
        expect(pending.status).toBe(200);
        expect(pending.body).toEqual({ items: [res.body], nextCursor: null });

        const approved = await t.http.post(`/v1/contact-requests/${res.body.id}/approve`).set(auth(family.guardian.token));
        expect(approved.status).toBe(200);
        expect(approved.body).toMatchObject({ id: res.body.id, status: 'approved', decidedBy: family.guardian.id, decidedAt: expect.any(String) });
        expect(await contactsOf(family.child.id, family.child)).toEqual(
          expect.arrayContaining([expect.objectContaining({ userId: uncle.id, source: 'request', relationship: '舅舅' })]),
        );
        const [contact] = await t.query(`SELECT approved_by FROM child_contacts WHERE child_id = $1 AND contact_user_id = $2`, [family.child.id, uncle.id]);
        expect(contact.approved_by).toBe(family.guardian.id);

        expectProblem(await t.http.post(`/v1/contact-requests/${res.body.id}/approve`).set(auth(family.guardian.token)), 409);
        expectProblem(await t.http.post(`/v1/contact-requests/${res.body.id}/decline`).set(auth(family.guardian.token)), 409);
        const actions = await auditActions('child_id = $1', [family.child.id]);
        expect(actions.slice(-2)).toEqual(['child.contact_requested', 'child.contact_approved']);
      } finally {
        socket.close();
      }
    });

    it('a declined request leaves no contact', async () => {
      const stranger = await givenAdult(t);
      const { body } = await requestContact(family.child.id, family.parent, { phone: stranger.phone, relationship: '邻居' }).expect(201);
      const declined = await t.http.post(`/v1/contact-requests/${body.id}/decline`).set(auth(family.guardian.token));
      expect(declined.status).toBe(200);
      expect(declined.body).toMatchObject({ status: 'declined', decidedBy: family.guardian.id });
      expect((await contactsOf(family.child.id, family.guardian)).map((c) => c.userId)).not.toContain(stranger.id);
      expect(await t.count('child_contacts', 'child_id = $1 AND contact_user_id = $2', [family.child.id, stranger.id])).toBe(0);
      expect((await auditActions('child_id = $1', [family.child.id])).slice(-1)).toEqual(['child.contact_declined']);
      // a new request may follow a decision
      expect((await requestContact(family.child.id, family.parent, { phone: stranger.phone, relationship: '邻居' })).status).toBe(201);
    });

    it('a guardian’s own request is the guardian’s decision: approved at once', async () => {
      const aunt = (
        await t.http.post('/v1/auth/register').send({ displayName: '姑姑', email: 'Aunt.Li@Example.com', password: PASSWORD, locale: 'zh-CN' }).expect(201)
      ).body;
      const me = await t.http.get('/v1/me').set(auth(aunt.accessToken)).expect(200);
      const res = await requestContact(family.child.id, family.guardian, { email: 'aunt.li@example.com', relationship: '姑姑' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ contactUserId: me.body.id, status: 'approved', decidedBy: family.guardian.id });
      expect(res.text).not.toContain('aunt.li@example.com');
      expect((await contactsOf(family.child.id, family.guardian)).map((c) => c.userId)).toContain(me.body.id);
      // requested and approved in one transaction: the same instant
      expect((await auditActions('child_id = $1', [family.child.id])).slice(-2).sort()).toEqual(['child.contact_approved', 'child.contact_requested']);
    });

    it('a teacher of the child asks for themselves; the guardian approves', async () => {
      const klass = await givenClass(t, [family]);
      const res = await requestContact(family.child.id, klass.teacher, { relationship: '班主任' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ contactUserId: klass.teacher.id, requestedBy: klass.teacher.id, status: 'pending' });
      await t.http.post(`/v1/contact-requests/${res.body.id}/approve`).set(auth(family.guardian.token)).expect(200);
      expect((await contactsOf(family.child.id, family.guardian)).map((c) => c.userId)).toContain(klass.teacher.id);
      expectProblem(await requestContact(family.child.id, klass.teacher, { relationship: '班主任' }), 409);
      // another teacher, who does not teach the child, cannot see it
      const otherTeacher = (await givenClass(t)).teacher;
      expectProblem(await requestContact(family.child.id, otherTeacher, { relationship: '老师' }), 404);
    });

    it('refuses unknown people, existing contacts, family members and duplicates, writing nothing', async () => {
      const cousin = await givenAdult(t);
      await requestContact(family.child.id, family.parent, { phone: cousin.phone, relationship: '表哥' }).expect(201);
      const cases: [object, number, string?][] = [
        [{ phone: aPhone(), relationship: '朋友' }, 404, 'No account with that phone or email'],
        [{ email: 'nobody-here@example.com', relationship: '朋友' }, 404, 'No account with that phone or email'],
        [{ phone: family.guardian.phone, relationship: '奶奶' }, 409],
        [{ phone: family.parent.phone, relationship: '爸爸' }, 409],
        [{ relationship: '爸爸' }, 409],
        [{ phone: cousin.phone, relationship: '表哥' }, 409],
        [{ phone: cousin.phone, email: 'x@example.com', relationship: '表哥' }, 400],
        [{ phone: cousin.phone }, 400],
        [{ phone: cousin.phone, relationship: 'x'.repeat(61) }, 400],
        [{ phone: cousin.phone, relationship: '表哥', note: 'x'.repeat(501) }, 400],
        [{ phone: 'not-a-phone', relationship: '表哥' }, 400],
        [{ phone: cousin.phone, relationship: '表哥', contactUserId: cousin.id }, 400],
      ];
      const before = await t.snapshot();
      for (const [body, status, detail] of cases) {
        const res = await requestContact(family.child.id, family.parent, body);
        expectProblem(res, status);
        if (detail) expect(res.body.detail).toBe(detail);
      }
      expect(await t.snapshot()).toEqual(before);
    });

    it('pages through the contact requests, newest first, without losing any', async () => {
      const all = (await t.http.get(`/v1/children/${family.child.id}/contact-requests`).set(auth(family.guardian.token)).expect(200)).body;
      expect(all.items.length).toBeGreaterThanOrEqual(4);
      expect(all.nextCursor).toBeNull();
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: request.Response = await t.http
          .get(`/v1/children/${family.child.id}/contact-requests?limit=1${cursor ? `&cursor=${cursor}` : ''}`)
          .set(auth(family.guardian.token));
        expect(page.status).toBe(200);
        seen.push(...page.body.items.map((r: { id: string }) => r.id));
        cursor = page.body.nextCursor;
      } while (cursor && seen.length <= all.items.length);
      expect(seen).toEqual(all.items.map((r: { id: string }) => r.id));
      const declined = await t.http.get(`/v1/children/${family.child.id}/contact-requests?status=declined`).set(auth(family.guardian.token)).expect(200);
      expect(declined.body.items.map((r: { status: string }) => r.status)).toEqual(['declined']);
      expectProblem(await t.http.get(`/v1/children/${family.child.id}/contact-requests?status=maybe`).set(auth(family.guardian.token)), 400);
      expectProblem(await t.http.get(`/v1/children/${family.child.id}/contact-requests?cursor=bm90LWEtY3Vyc29y`).set(auth(family.guardian.token)), 400);
    });

    it('a guardian removes a contact; family adults stay', async () => {
      const friend = await givenAdult(t);
      await requestContact(family.child.id, family.guardian, { phone: friend.phone, relationship: '朋友' }).expect(201);
      const removed = await t.http.delete(`/v1/children/${family.child.id}/contacts/${friend.id}`).set(auth(family.guardian.token));
      expect(removed.status).toBe(204);
      expect((await contactsOf(family.child.id, family.guardian)).map((c) => c.userId)).not.toContain(friend.id);
      const [event] = await t.query<{ details: { contactUserId: string } }>(
        `SELECT details FROM audit_events WHERE child_id = $1 AND action = 'child.contact_removed' ORDER BY created_at DESC LIMIT 1`,
        [family.child.id],
      );
      expect(event.details).toEqual({ contactUserId: friend.id });

      const before = await t.snapshot();
      expectProblem(await t.http.delete(`/v1/children/${family.child.id}/contacts/${friend.id}`).set(auth(family.guardian.token)), 404);
      expectProblem(await t.http.delete(`/v1/children/${family.child.id}/contacts/${family.parent.id}`).set(auth(family.guardian.token)), 409);
      expect(await t.snapshot()).toEqual(before);
    });
  });

  describe('audit log', () => {
    it('shows the guardians every decision about the child and about the family', async () => {
      const family = await givenFamily(t);
      const friend = await givenAdult(t);
      await requestContact(family.child.id, family.guardian, { phone: friend.phone, relationship: '朋友' }).expect(201);

      const childLog = await t.http.get(`/v1/children/${family.child.id}/audit`).set(auth(family.guardian.token));
      expect(childLog.status).toBe(200);
      expect(childLog.body.nextCursor).toBeNull();
      expect(childLog.body.items.map((e: { action: string }) => e.action).sort()).toEqual(
        ['child.created', 'child.pairing_code_issued', 'child.device_paired', 'child.contact_requested', 'child.contact_approved'].sort(),
      );
      expect(childLog.body.items[childLog.body.items.length - 1]).toEqual({
        id: expect.any(String),
        action: 'child.created',
        actorId: family.guardian.id,
        familyId: family.familyId,
        childId: family.child.id,
        details: { noticeVersion: t.config.privacyNoticeVersion },
        createdAt: expect.any(String),
      });

      const familyLog = await t.http.get(`/v1/families/${family.familyId}/audit`).set(auth(family.guardian.token));
      expect(familyLog.status).toBe(200);
      expect(familyLog.body.items.map((e: { action: string }) => e.action)).toEqual(
        expect.arrayContaining(['family.created', 'family.invitation_created', 'family.member_joined', 'child.created']),
      );
    });

    it('pages through the child’s log without losing events recorded in the same transaction', async () => {
      const family = await givenFamily(t);
      const friend = await givenAdult(t);
      // requested and approved at once: two events with the very same created_at
      await requestContact(family.child.id, family.guardian, { phone: friend.phone, relationship: '朋友' }).expect(201);
      const all = (await t.http.get(`/v1/children/${family.child.id}/audit`).set(auth(family.guardian.token)).expect(200)).body.items;
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: request.Response = await t.http
          .get(`/v1/children/${family.child.id}/audit?limit=1${cursor ? `&cursor=${cursor}` : ''}`)
          .set(auth(family.guardian.token));
        expect(page.status).toBe(200);
        seen.push(...page.body.items.map((e: { id: string }) => e.id));
        cursor = page.body.nextCursor;
      } while (cursor && seen.length <= all.length);
      expect(seen).toEqual(all.map((e: { id: string }) => e.id));
    });
  });

  describe('the child’s data rights', () => {
    it('exports everything held about the child, and records the export', async () => {
      const family = await givenFamily(t);
      const klass = await givenClass(t, [family]);
      const uncle = await givenAdult(t, { displayName: '舅舅' });
      await requestContact(family.child.id, family.guardian, { phone: uncle.phone, relationship: '舅舅' }).expect(201);
      const [thread] = (await t.http.get('/v1/conversations').set(auth(family.child.token))).body.items;
      await t.http.post(`/v1/conversations/${thread.id}/messages`).set(auth(family.child.token)).send({ clientMsgId: 'x-1', kind: 'text', body: '我考了一百分' }).expect(201);
      const picture = await sendPicture(family.child, thread.id, 'x-2');

      const res = await t.http.get(`/v1/children/${family.child.id}/export`).set(auth(family.guardian.token));
      expect(res.status).toBe(200);
      const body = res.body;
      expect(body.profile).toEqual({
        id: family.child.id,
        displayName: '小明',
        birthYear: 2016,
        locale: 'zh-CN',
        timeZone: 'Asia/Shanghai',
        createdBy: family.guardian.id,
        createdAt: expect.any(String),
      });
      expect(body.familyId).toBe(family.familyId);
      expect(body.consent).toEqual({ givenBy: family.guardian.id, givenAt: expect.any(String), noticeVersion: t.config.privacyNoticeVersion });
      expect(body.devices).toEqual([expect.objectContaining({ id: family.child.deviceId, name: '孩子的平板', revokedAt: null })]);
      expect(body.contacts.map((c: { userId: string }) => c.userId).sort()).toEqual([family.parent.id, family.guardian.id, uncle.id].sort());
      expect(body.contactRequests).toEqual([expect.objectContaining({ contactUserId: uncle.id, status: 'approved' })]);
      expect(body.enrollments).toEqual([expect.objectContaining({ classId: klass.id, className: '三年级二班', enrolledBy: family.guardian.id })]);
      const sentByChild = { id: expect.any(String), conversationId: thread.id, seq: expect.any(Number), senderId: family.child.id, createdAt: expect.any(String), retractedAt: null };
      expect(body.messages).toEqual([
        { ...sentByChild, clientMsgId: 'x-1', kind: 'text', body: '我考了一百分', mediaId: null, mediaUrl: null },
        { ...sentByChild, clientMsgId: 'x-2', kind: 'image', body: '我的画', mediaId: picture.mediaId, mediaUrl: picture.url },
      ]);
      // the guardian can open the child's picture from the export
      expect((await t.http.get(new URL(body.messages[1].mediaUrl).pathname).set(auth(family.guardian.token))).status).toBe(200);
      expect(body.auditEvents.map((e: { action: string }) => e.action).sort()).toEqual(
        [
          'child.created',
          'child.pairing_code_issued',
          'child.device_paired',
          'child.enrolled',
          'child.contact_requested',
          'child.contact_approved',
          'child.exported',
        ].sort(),
      );
      // everything about the child, nothing secret and no one's phone or email
      const users = await t.query<{ phone: string | null; email: string | null }>(`SELECT phone, email FROM users`);
      for (const value of users.flatMap((u) => [u.phone, u.email]).filter((v): v is string => !!v)) expect(res.text).not.toContain(value);
      expect(res.text).not.toMatch(/code_?hash|token_?hash|\$argon2/i);
    });

    it('deletes the child with its devices, sessions, contacts and enrollments, erases its messages; its token stops at once; the deletion is audited', async () => {
      const family = await givenFamily(t);
      await givenClass(t, [family]);
      const friend = await givenAdult(t);
      await requestContact(family.child.id, family.parent, { phone: friend.phone, relationship: '朋友' }).expect(201);
      const childId = family.child.id;
      // the child and its father talked in the family thread
      const [thread] = (await t.http.get('/v1/conversations').set(auth(family.child.token))).body.items;
      const said = { clientMsgId: 'child-1', kind: 'text', body: '奶奶，我想爸爸了' };
      expect((await t.http.post(`/v1/conversations/${thread.id}/messages`).set(auth(family.child.token)).send(said)).status).toBe(201);
      const picture = await sendPicture(family.child, thread.id, 'child-2');
      await access(join(mediaDir, picture.storageKey));
      const answer = { clientMsgId: 'dad-1', kind: 'text', body: '爸爸周日给你打电话' };
      expect((await t.http.post(`/v1/conversations/${thread.id}/messages`).set(auth(family.parent.token)).send(answer)).status).toBe(201);
      const socket = await connectAs(t, family.child.token);
      const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));

      const res = await t.http.delete(`/v1/children/${childId}`).set(auth(family.guardian.token));
      expect(res.status).toBe(204);
      expect((await t.http.get('/v1/me').set(auth(family.child.token))).status).toBe(401);
      expect((await t.http.post('/v1/auth/refresh').send({ refreshToken: family.child.refreshToken })).status).toBe(401);
      expect(await disconnected).toBe('io server disconnect');

      for (const [table, column] of [
        ['users', 'id'],
        ['children', 'user_id'],
        ['child_devices', 'child_id'],
        ['auth_sessions', 'user_id'],
        ['child_contacts', 'child_id'],
        ['contact_requests', 'child_id'],
        ['class_enrollments', 'child_id'],
        ['one_time_codes', 'child_id'],
      ]) {
        expect({ table, rows: await t.count(table, `${column} = $1`, [childId]) }).toEqual({ table, rows: 0 });
      }
      // the child's words are erased; the thread keeps every seq, so the father's sync has no gap
      const [erased] = await t.query<{ body: string | null; sender_id: string | null; retracted_at: Date | null }>(
        `SELECT body, sender_id, retracted_at FROM messages WHERE client_msg_id = 'child-1'`,
      );
      expect(erased).toMatchObject({ body: null, sender_id: null });
      expect(erased.retracted_at).not.toBeNull();
      // and so is its picture: the upload's row and its stored bytes
      expect(await t.count('message_media', 'id = $1', [picture.mediaId])).toBe(0);
      await expect(access(join(mediaDir, picture.storageKey))).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await t.http.get(`/v1/media/${picture.mediaId}`).set(auth(family.parent.token))).status).toBe(404);
      const sync = await t.http.get(`/v1/conversations/${thread.id}/messages`).query({ afterSeq: 0 }).set(auth(family.parent.token));
      expect(sync.status).toBe(200);
      expect(sync.body.items.map((m: { seq: number }) => m.seq)).toEqual(sync.body.items.map((_: unknown, i: number) => i + 1));
      expect(sync.text).not.toContain(said.body);
      expect(sync.text).not.toContain('我的画');
      expect(sync.text).toContain(answer.body);
      const [deleted] = await t.query(`SELECT actor_id, family_id, details FROM audit_events WHERE child_id = $1 AND action = 'child.deleted'`, [childId]);
      expect(deleted).toEqual({ actor_id: family.guardian.id, family_id: family.familyId, details: { deletedBy: family.guardian.id } });

      expectProblem(await t.http.get(`/v1/children/${childId}`).set(auth(family.guardian.token)), 404);
      expectProblem(await t.http.delete(`/v1/children/${childId}`).set(auth(family.guardian.token)), 404);
      expect((await t.http.get(`/v1/families/${family.familyId}`).set(auth(family.parent.token))).body.children).toEqual([]);
      // the family's log still tells what happened
      const log = await t.http.get(`/v1/families/${family.familyId}/audit`).set(auth(family.guardian.token));
      expect(log.body.items[0]).toMatchObject({ action: 'child.deleted', childId });
    });
  });

  /**
   * Every families endpoint, refused to a stranger, an adult of another family, a child of another
   * family, the child itself and an adult of the right family in the wrong role: 404 when the
   * resource is out of the caller's scope, 403 when it is visible but not theirs to change; nothing
   * is written. Then the right person succeeds.
   */
  describe('refusal matrix', () => {
    type Caller = 'stranger' | 'otherAdult' | 'otherChild' | 'child' | 'parent' | 'teacher' | 'guardian' | 'newcomer';
    type Row = RefusalRow<Caller>;

    let family: TestFamily;
    let other: TestFamily;
    let callers: Record<Caller, TestUser | { token: string }>;
    let ids: { requestToApprove: string; requestToDecline: string; contact: string; code: string; newContact: string };

    beforeAll(async () => {
      let stranger: TestUser;
      let newcomer: TestUser;
      let uncle: TestUser;
      let aunt: TestUser;
      let cousin: TestUser;
      let newContact: TestUser;
      [family, other, stranger, newcomer, uncle, aunt, cousin, newContact] = await Promise.all([
        givenFamily(t),
        givenFamily(t),
        givenAdult(t),
        givenAdult(t),
        givenAdult(t),
        givenAdult(t),
        givenAdult(t),
        givenAdult(t),
      ]);
      const teacher = (await givenClass(t, [family, other])).teacher;
      callers = { stranger, otherAdult: other.guardian, otherChild: other.child, child: family.child, parent: family.parent, teacher, guardian: family.guardian, newcomer };
      await requestContact(family.child.id, family.guardian, { phone: uncle.phone, relationship: '舅舅' }).expect(201);
      ids = {
        contact: uncle.id,
        requestToApprove: (await requestContact(family.child.id, family.parent, { phone: aunt.phone, relationship: '姑姑' }).expect(201)).body.id,
        requestToDecline: (await requestContact(family.child.id, family.parent, { phone: cousin.phone, relationship: '表哥' }).expect(201)).body.id,
        code: (await invite(family.familyId, family.guardian, { role: 'parent' }).expect(201)).body.code,
        newContact: newContact.phone,
      };
    });

    const outsiders = { stranger: 404, otherAdult: 404, otherChild: 404 } as const;
    const controlsOnly = { ...outsiders, child: 403, parent: 403, teacher: 403 } as const;
    const child = () => `/v1/children/${family.child.id}`;
    const rows: Row[] = [
      {
        name: 'POST /v1/families',
        call: (token) => t.http.post('/v1/families').set(auth(token)).send({ name: '新家', role: 'parent' }),
        refused: { child: 403, otherChild: 403 },
        ok: ['stranger', 201],
      },
      // everyone may list their own families; the list is scoped by the caller (checked below)
      { name: 'GET /v1/families', call: (token) => t.http.get('/v1/families').set(auth(token)), refused: {}, ok: ['child', 200] },
      { name: 'GET /v1/families/:id', call: (token) => t.http.get(`/v1/families/${family.familyId}`).set(auth(token)), refused: { ...outsiders, teacher: 404 }, ok: ['child', 200] },
      {
        name: 'POST /v1/families/:id/invitations',
        call: (token) => t.http.post(`/v1/families/${family.familyId}/invitations`).set(auth(token)).send({ role: 'guardian' }),
        refused: { ...outsiders, teacher: 404, child: 403, parent: 403 },
        ok: ['guardian', 201],
      },
      {
        name: 'POST /v1/families/:id/children',
        call: (token) => t.http.post(`/v1/families/${family.familyId}/children`).set(auth(token)).send({ displayName: '小妹', consent: consent() }),
        refused: { ...outsiders, teacher: 404, child: 403, parent: 403 },
        ok: ['guardian', 201],
      },
      {
        name: 'GET /v1/families/:id/audit',
        call: (token) => t.http.get(`/v1/families/${family.familyId}/audit`).set(auth(token)),
        refused: { ...outsiders, teacher: 404, child: 403, parent: 403 },
        ok: ['guardian', 200],
      },
      { name: 'GET /v1/children/:id', call: (token) => t.http.get(child()).set(auth(token)), refused: outsiders, ok: ['teacher', 200] },
      { name: 'GET /v1/children/:id/contacts', call: (token) => t.http.get(`${child()}/contacts`).set(auth(token)), refused: { ...outsiders, teacher: 403 }, ok: ['child', 200] },
      {
        name: 'POST /v1/children/:id/contact-requests (naming someone)',
        call: (token) => t.http.post(`${child()}/contact-requests`).set(auth(token)).send({ phone: ids.newContact, relationship: '朋友' }),
        refused: { ...outsiders, child: 403, teacher: 403 },
        ok: ['parent', 201],
      },
      {
        name: 'POST /v1/children/:id/contact-requests (for oneself)',
        call: (token) => t.http.post(`${child()}/contact-requests`).set(auth(token)).send({ relationship: '朋友' }),
        refused: { ...outsiders, child: 403 },
        ok: ['teacher', 201],
      },
      { name: 'GET /v1/children/:id/contact-requests', call: (token) => t.http.get(`${child()}/contact-requests`).set(auth(token)), refused: controlsOnly, ok: ['guardian', 200] },
      {
        name: 'POST /v1/contact-requests/:id/approve',
        call: (token) => t.http.post(`/v1/contact-requests/${ids.requestToApprove}/approve`).set(auth(token)),
        refused: controlsOnly,
        ok: ['guardian', 200],
      },
      {
        name: 'POST /v1/contact-requests/:id/decline',
        call: (token) => t.http.post(`/v1/contact-requests/${ids.requestToDecline}/decline`).set(auth(token)),
        refused: controlsOnly,
        ok: ['guardian', 200],
      },
      {
        name: 'DELETE /v1/children/:id/contacts/:userId',
        call: (token) => t.http.delete(`${child()}/contacts/${ids.contact}`).set(auth(token)),
        refused: controlsOnly,
        ok: ['guardian', 204],
      },
      { name: 'GET /v1/children/:id/audit', call: (token) => t.http.get(`${child()}/audit`).set(auth(token)), refused: controlsOnly, ok: ['guardian', 200] },
      { name: 'GET /v1/children/:id/export', call: (token) => t.http.get(`${child()}/export`).set(auth(token)), refused: controlsOnly, ok: ['guardian', 200] },
      {
        name: 'POST /v1/invitations/:code/accept',
        call: (token) => t.http.post(`/v1/invitations/${ids.code}/accept`).set(auth(token)),
        refused: { child: 403, otherChild: 403 },
        ok: ['newcomer', 201],
      },
      // last: it removes the child the other rows are about
      { name: 'DELETE /v1/children/:id', call: (token) => t.http.delete(child()).set(auth(token)), refused: controlsOnly, ok: ['guardian', 204] },
    ];

    itRefusesEachRow(() => t, () => callers, rows);

    it('lists to outsiders none of the family', async () => {
      for (const caller of ['stranger', 'otherAdult', 'otherChild', 'teacher'] as const) {
        const res = await t.http.get('/v1/families').set(auth(callers[caller].token)).expect(200);
        expect({ caller, ids: res.body.items.map((f: { id: string }) => f.id) }).toEqual({ caller, ids: expect.not.arrayContaining([family.familyId]) });
      }
    });

    it('every families route of the OpenAPI document is in the matrix', async () => {
      const families = /\/v1\/(families|invitations|contact-requests)|\/v1\/children\/\{childId\}(\/(contacts|contact-requests|audit|export).*)?$/;
      const name = (route: string) => route.replace(/\{(familyId|childId|requestId)\}/g, ':id').replace('{userId}', ':userId').replace('{code}', ':code');
      expect(await uncoveredRoutes(t, families, name, rows)).toEqual([]);
    });
  });
});
