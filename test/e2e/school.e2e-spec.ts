import { randomUUID } from 'node:crypto';
import { TestApp } from '../helpers/app';
import { auth, givenAdult, givenClass, givenFamily, TestClass, TestFamily, TestUser } from '../factories';
import { JoinCodes } from '../../src/modules/school/join-codes';

const JOIN_CODE = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/;

describe('school: classes and enrollments', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.stop());

  const createClass = (user: TestUser, body: Record<string, unknown> = { name: '三年级二班', schoolName: '城关小学' }) =>
    t.http.post('/v1/classes').set(auth(user.token)).send(body);
  const enrol = (token: string, childId: string, joinCode: string) =>
    t.http.post(`/v1/children/${childId}/enrollments`).set(auth(token)).send({ joinCode });
  const enrollments = (classId: string) => t.count('class_enrollments', 'class_id = $1', [classId]);

  /** A well-formed code that no class has. */
  const unusedCode = async () => {
    for (;;) {
      const code = new JoinCodes().next();
      if ((await t.count('classes', 'join_code = $1', [code])) === 0) return code;
    }
  };

  describe('opening a class', () => {
    it('lets any adult open a class, becoming its teacher, with a fresh join code', async () => {
      const teacher = await givenAdult(t, { displayName: '李老师' });
      const res = await createClass(teacher);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.any(String), name: '三年级二班', schoolName: '城关小学', joinCode: expect.stringMatching(JOIN_CODE), createdAt: expect.any(String) });
      expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
      const [row] = await t.query<{ teacher_id: string; join_code: string }>(`SELECT teacher_id, join_code FROM classes WHERE id = $1`, [res.body.id]);
      expect(row).toEqual({ teacher_id: teacher.id, join_code: res.body.joinCode });

      const second = await createClass(teacher, { name: '  四年级一班  ' });
      expect(second.status).toBe(201);
      expect(second.body).toMatchObject({ name: '四年级一班', schoolName: null });
      expect(second.body.joinCode).not.toBe(res.body.joinCode);
    });

    it('draws another join code when the first one is already taken', async () => {
      const existing = await givenClass(t);
      const codes = t.app.get(JoinCodes);
      const next = jest.spyOn(codes, 'next').mockReturnValueOnce(existing.joinCode);
      try {
        const res = await createClass(existing.teacher, { name: '五年级三班' });
        expect(res.status).toBe(201);
        expect(res.body.joinCode).toMatch(JOIN_CODE);
        expect(res.body.joinCode).not.toBe(existing.joinCode);
        expect(next).toHaveBeenCalledTimes(2);
      } finally {
        next.mockRestore();
      }
      expect(await t.count('classes', 'join_code = $1', [existing.joinCode])).toBe(1);
    });

    it.each([
      ['no name', {}, 'name'],
      ['an empty name', { name: '   ' }, 'name'],
      ['an oversize name', { name: 'x'.repeat(101) }, 'name'],
      ['a name with control characters', { name: '三年级\u0000二班' }, 'name'],
      ['a null school name', { name: '三年级二班', schoolName: null }, 'schoolName'],
      ['a wrong type', { name: 42 }, 'name'],
      ['a smuggled teacher', { name: '三年级二班', teacherId: randomUUID() }, 'teacherId'],
      ['a chosen join code', { name: '三年级二班', joinCode: 'ABCDEF' }, 'joinCode'],
    ])('refuses %s with a problem naming the field, and writes nothing', async (_what, body, field) => {
      const teacher = await givenAdult(t);
      const before = await t.snapshot();
      const res = await createClass(teacher, body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await t.snapshot()).toEqual(before);
    });
  });

  describe('enrolling a child with the join code', () => {
    it("lets a guardian enrol the child, records it, and from then on the teacher can see the child", async () => {
      const family = await givenFamily(t);
      const klass = await givenClass(t);
      expect((await t.http.get(`/v1/children/${family.child.id}`).set(auth(klass.teacher.token))).status).toBe(404);

      // typed the way a grandparent might: lower case, with a dash
      const typed = `${klass.joinCode.slice(0, 3).toLowerCase()}-${klass.joinCode.slice(3).toLowerCase()}`;
      const res = await enrol(family.guardian.token, family.child.id, typed);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ classId: klass.id, childId: family.child.id, enrolledAt: expect.any(String) });

      const [row] = await t.query(`SELECT enrolled_by FROM class_enrollments WHERE class_id = $1 AND child_id = $2`, [klass.id, family.child.id]);
      expect(row).toEqual({ enrolled_by: family.guardian.id });
      const audit = await t.query(`SELECT actor_id, family_id, details FROM audit_events WHERE action = 'child.enrolled' AND child_id = $1`, [family.child.id]);
      expect(audit).toEqual([{ actor_id: family.guardian.id, family_id: family.familyId, details: { classId: klass.id } }]);

      expect((await t.http.get(`/v1/children/${family.child.id}`).set(auth(klass.teacher.token))).status).toBe(200);
    });

    it('lets a parent enrol too, and a child may be in more than one class', async () => {
      const family = await givenFamily(t);
      const [first, second] = await Promise.all([givenClass(t), givenClass(t)]);
      expect((await enrol(family.parent.token, family.child.id, first.joinCode)).status).toBe(201);
      expect((await enrol(family.guardian.token, family.child.id, second.joinCode)).status).toBe(201);
      expect(await t.count('class_enrollments', 'child_id = $1', [family.child.id])).toBe(2);
    });

    it('answers a wrong join code with 404, telling nothing more, and writes nothing', async () => {
      const family = await givenFamily(t);
      await givenClass(t);
      const before = await t.snapshot();
      const res = await enrol(family.guardian.token, family.child.id, await unusedCode());
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 404, code: 'not_found', detail: expect.stringMatching(/^no class with that code$/i) });
      expect(await t.count('class_enrollments', 'child_id = $1', [family.child.id])).toBe(0);
      expect(await t.snapshot()).toEqual(before);
    });

    it.each([
      ['too short', 'K7M2X'],
      ['with a letter that codes never use', 'K7M2XO'],
      ['not a string', 123456],
      ['missing', undefined],
    ])('refuses a join code that is %s with a problem naming the field', async (_what, joinCode) => {
      const family = await givenFamily(t);
      const before = await t.snapshot();
      const res = await t.http.post(`/v1/children/${family.child.id}/enrollments`).set(auth(family.guardian.token)).send({ joinCode });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('joinCode');
      expect(await t.snapshot()).toEqual(before);
    });

    it('answers a second enrollment in the same class with 409 and writes nothing', async () => {
      const family = await givenFamily(t);
      const klass = await givenClass(t, [family]);
      const before = await t.snapshot();
      const again = await enrol(family.parent.token, family.child.id, klass.joinCode);
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('conflict');
      expect(await t.snapshot()).toEqual(before);
    });

    it('enrols once when two adults of the family use the code at the same moment', async () => {
      const family = await givenFamily(t);
      const klass = await givenClass(t);
      const answers = await Promise.all([
        enrol(family.parent.token, family.child.id, klass.joinCode),
        enrol(family.guardian.token, family.child.id, klass.joinCode),
      ]);
      expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(await enrollments(klass.id)).toBe(1);
      expect(await t.count('audit_events', `action = 'child.enrolled' AND child_id = $1`, [family.child.id])).toBe(1);
    });
  });

  describe('seeing classes', () => {
    let family: TestFamily;
    let klass: TestClass;
    beforeAll(async () => {
      family = await givenFamily(t);
      klass = await givenClass(t, [family]);
    });

    it('lists the classes I teach with their join codes, and my children’s classes without', async () => {
      const asTeacher = await t.http.get('/v1/classes').set(auth(klass.teacher.token));
      expect(asTeacher.status).toBe(200);
      expect(asTeacher.body).toEqual({
        items: [
          {
            id: klass.id,
            name: '三年级二班',
            schoolName: '城关小学',
            teacherName: '李老师',
            teaching: true,
            joinCode: klass.joinCode,
            childIds: [],
            createdAt: expect.any(String),
          },
        ],
        nextCursor: null,
      });

      for (const adult of [family.parent, family.guardian]) {
        const asFamily = await t.http.get('/v1/classes').set(auth(adult.token));
        expect(asFamily.status).toBe(200);
        expect(asFamily.body.items).toEqual([
          { id: klass.id, name: '三年级二班', schoolName: '城关小学', teacherName: '李老师', teaching: false, childIds: [family.child.id], createdAt: expect.any(String) },
        ]);
        expect(asFamily.text).not.toContain(klass.joinCode);
      }

      const stranger = await givenAdult(t);
      expect((await t.http.get('/v1/classes').set(auth(stranger.token))).body).toEqual({ items: [], nextCursor: null });
    });

    it('pages through many classes without gaps or repeats', async () => {
      const teacher = await givenAdult(t);
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push((await createClass(teacher, { name: `班级${i}` })).body.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } = await t.http
          .get('/v1/classes')
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .set(auth(teacher.token));
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items.map((k) => k.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...created].reverse());
    });

    it('shows one class to its teacher (with the join code) and to the families of its pupils (without)', async () => {
      const asTeacher = await t.http.get(`/v1/classes/${klass.id}`).set(auth(klass.teacher.token));
      expect(asTeacher.status).toBe(200);
      expect(asTeacher.body).toEqual({ id: klass.id, name: '三年级二班', schoolName: '城关小学', teacherName: '李老师', joinCode: klass.joinCode });

      const asParent = await t.http.get(`/v1/classes/${klass.id}`).set(auth(family.parent.token));
      expect(asParent.status).toBe(200);
      expect(asParent.body).toEqual({ id: klass.id, name: '三年级二班', schoolName: '城关小学', teacherName: '李老师' });
    });
  });

  describe('the roster', () => {
    it("shows the teacher each pupil and the adults of the pupil's family, with no phone or email", async () => {
      const [a, b] = await Promise.all([givenFamily(t), givenFamily(t)]);
      const klass = await givenClass(t, [a, b]);
      const res = await t.http.get(`/v1/classes/${klass.id}/roster`).set(auth(klass.teacher.token));
      expect(res.status).toBe(200);
      const adults = (f: TestFamily) =>
        expect.arrayContaining([
          { userId: f.parent.id, displayName: '爸爸', roles: ['parent'] },
          { userId: f.guardian.id, displayName: '奶奶', roles: ['guardian'] },
        ]);
      expect(res.body).toEqual([
        { childId: a.child.id, displayName: '小明', familyId: a.familyId, enrolledAt: expect.any(String), adults: adults(a) },
        { childId: b.child.id, displayName: '小明', familyId: b.familyId, enrolledAt: expect.any(String), adults: adults(b) },
      ]);
      for (const entry of res.body) expect(entry.adults).toHaveLength(2);
      for (const phone of [a.parent.phone, a.guardian.phone, b.parent.phone, b.guardian.phone]) expect(res.text).not.toContain(phone);
      expect(res.text).not.toMatch(/phone|email/i);
    });

    it('shows a teacher the rosters of their own classes only', async () => {
      const [a, b] = await Promise.all([givenFamily(t), givenFamily(t)]);
      const [mine, theirs] = await Promise.all([givenClass(t, [a]), givenClass(t, [b])]);
      const own = await t.http.get(`/v1/classes/${mine.id}/roster`).set(auth(mine.teacher.token));
      expect(own.body.map((e: { childId: string }) => e.childId)).toEqual([a.child.id]);
      const other = await t.http.get(`/v1/classes/${theirs.id}/roster`).set(auth(mine.teacher.token));
      expect(other.status).toBe(404);
      expect((await t.http.get('/v1/classes').set(auth(mine.teacher.token))).body.items.map((k: { id: string }) => k.id)).toEqual([mine.id]);
    });
  });

  describe('who may not', () => {
    let family: TestFamily;
    let otherFamily: TestFamily;
    let stranger: TestUser;
    let klass: TestClass;
    let otherClass: TestClass;
    let emptyClass: TestClass;

    beforeAll(async () => {
      [family, otherFamily, stranger] = await Promise.all([givenFamily(t), givenFamily(t), givenAdult(t)]);
      [klass, otherClass, emptyClass] = await Promise.all([givenClass(t, [family]), givenClass(t, [otherFamily]), givenClass(t)]);
    });

    type Caller = () => string | undefined;
    const as = {
      stranger: () => stranger.token,
      otherFamilyParent: () => otherFamily.parent.token,
      otherFamilyGuardian: () => otherFamily.guardian.token,
      otherTeacher: () => otherClass.teacher.token,
      child: () => family.child.token,
      otherChild: () => otherFamily.child.token,
      parent: () => family.parent.token,
      guardian: () => family.guardian.token,
      teacher: () => klass.teacher.token,
      nobody: () => undefined,
    } satisfies Record<string, Caller>;

    type Call = { method: 'get' | 'post'; path: () => string; body?: () => object };
    const listClasses: Call = { method: 'get', path: () => '/v1/classes' };
    const openClass: Call = { method: 'post', path: () => '/v1/classes', body: () => ({ name: '六年级一班' }) };
    const showClass: Call = { method: 'get', path: () => `/v1/classes/${klass.id}` };
    const roster: Call = { method: 'get', path: () => `/v1/classes/${klass.id}/roster` };
    // a class the child is not in yet, with its right code: success would write a row
    const enrolChild: Call = { method: 'post', path: () => `/v1/children/${family.child.id}/enrollments`, body: () => ({ joinCode: emptyClass.joinCode }) };

    it.each([
      ['open a class', 'a child', 403, openClass, as.child],
      ['open a class', 'no token', 401, openClass, as.nobody],
      ['list classes', 'a child', 403, listClasses, as.child],
      ['list classes', 'no token', 401, listClasses, as.nobody],
      ['see a class', 'a stranger adult', 404, showClass, as.stranger],
      ['see a class', 'an adult of another family', 404, showClass, as.otherFamilyGuardian],
      ['see a class', 'another class’s teacher', 404, showClass, as.otherTeacher],
      ['see a class', 'an enrolled child', 403, showClass, as.child],
      ['see a class', 'no token', 401, showClass, as.nobody],
      ['see the roster', 'a stranger adult', 404, roster, as.stranger],
      ['see the roster', 'an adult of another family', 404, roster, as.otherFamilyParent],
      ['see the roster', 'another class’s teacher', 404, roster, as.otherTeacher],
      ['see the roster', 'an enrolled child', 403, roster, as.child],
      ['see the roster', "a pupil's parent", 403, roster, as.parent],
      ['see the roster', "a pupil's guardian", 403, roster, as.guardian],
      ['see the roster', 'no token', 401, roster, as.nobody],
      ['enrol a child', 'a stranger adult', 404, enrolChild, as.stranger],
      ['enrol a child', 'an adult of another family', 404, enrolChild, as.otherFamilyGuardian],
      ['enrol a child', 'the child itself', 403, enrolChild, as.child],
      ['enrol a child', 'another child', 404, enrolChild, as.otherChild],
      ['enrol a child', "the child's teacher", 403, enrolChild, as.teacher],
      ['enrol a child', 'no token', 401, enrolChild, as.nobody],
    ] as const)('%s: %s is answered %i and nothing is written', async (_action, _who, status, call, caller) => {
      const before = await t.snapshot();
      const token = caller();
      let req = t.http[call.method](call.path());
      if (token) req = req.set(auth(token));
      const res = call.body ? await req.send(call.body()) : await req;
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.status).toBe(status);
      expect(await t.snapshot()).toEqual(before);
    });

    it('answers an out-of-scope class exactly like one that does not exist', async () => {
      const missing = await t.http.get(`/v1/classes/${randomUUID()}`).set(auth(stranger.token));
      const hidden = await t.http.get(`/v1/classes/${klass.id}`).set(auth(stranger.token));
      expect(hidden.status).toBe(404);
      expect(hidden.body).toEqual(missing.body);
      const missingRoster = await t.http.get(`/v1/classes/${randomUUID()}/roster`).set(auth(stranger.token));
      const hiddenRoster = await t.http.get(`/v1/classes/${klass.id}/roster`).set(auth(stranger.token));
      expect(hiddenRoster.body).toEqual(missingRoster.body);
    });

    it("gives a stranger holding the right code nothing but 'child not found'", async () => {
      const withCode = await enrol(stranger.token, family.child.id, emptyClass.joinCode);
      const withoutCode = await enrol(stranger.token, family.child.id, await unusedCode());
      expect(withCode.status).toBe(404);
      expect(withCode.body).toEqual(withoutCode.body);
      expect(await enrollments(emptyClass.id)).toBe(0);
    });

    it('refuses a class id that is not a uuid with 400', async () => {
      for (const path of ['/v1/classes/not-a-uuid', '/v1/classes/not-a-uuid/roster']) {
        const res = await t.http.get(path).set(auth(klass.teacher.token));
        expect(res.status).toBe(400);
      }
    });
  });
});
