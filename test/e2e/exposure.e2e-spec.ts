import { TestApp } from '../helpers/app';
import { auth, givenAdult, givenClass, givenFamily, TestFamily, TestUser } from '../factories';

/**
 * No response ever contains a password hash, a token or code hash, an issued one-time code, or
 * another user's phone or email: every GET in the OpenAPI document, as every kind of caller.
 */
describe('exposure: nothing secret or personal leaks from any GET', () => {
  let t: TestApp;
  let family: TestFamily;
  let other: TestFamily;
  let teacher: TestUser;
  let stranger: TestUser;
  let ids: Record<string, string>;
  let pairingCode: string;

  beforeAll(async () => {
    t = await TestApp.start();
    [family, other, stranger] = await Promise.all([givenFamily(t), givenFamily(t), givenAdult(t)]);
    const klass = await givenClass(t, [family, other]);
    teacher = klass.teacher;
    pairingCode = (await t.http.post(`/v1/children/${family.child.id}/pairing-codes`).set(auth(family.guardian.token))).body.code;
    await t.http.post(`/v1/families/${family.familyId}/invitations`).set(auth(family.guardian.token)).send({ role: 'parent' });
    ids = { childId: family.child.id, id: family.familyId, familyId: family.familyId, classId: klass.id, deviceId: family.child.deviceId };
  });
  afterAll(() => t.stop());

  it('holds for every GET route and every caller', async () => {
    const doc = (await t.http.get('/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths)
      .filter(([, ops]) => 'get' in ops)
      .map(([path]) => path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? ids[`${name}Id`] ?? family.child.id))
      .filter((path) => !path.startsWith('/docs') && path !== '/metrics');
    expect(routes.length).toBeGreaterThan(5);

    const users = await t.query<{ id: string; phone: string | null; email: string | null }>(`SELECT id, phone, email FROM users`);
    const hashes = [
      ...(await t.query<{ h: string }>(`SELECT token_hash AS h FROM refresh_tokens`)),
      ...(await t.query<{ h: string }>(`SELECT code_hash AS h FROM one_time_codes`)),
    ].map((r) => r.h);
    const callers = [family.parent, family.guardian, { ...family.child, phone: '' }, other.guardian, teacher, stranger];

    for (const caller of callers) {
      const forbidden = [
        '$argon2',
        pairingCode,
        pairingCode.replace('-', ''),
        ...hashes,
        ...users.filter((u) => u.id !== caller.id).flatMap((u) => [u.phone, u.email]).filter((v): v is string => !!v),
      ];
      for (const route of routes) {
        const res = await t.http.get(route).set(auth(caller.token));
        expect(res.status).toBeLessThan(500);
        const text = res.text;
        const leaked = forbidden.filter((secret) => text.includes(secret));
        expect({ route, caller: caller.id, leaked }).toEqual({ route, caller: caller.id, leaked: [] });
      }
    }
  });
});
