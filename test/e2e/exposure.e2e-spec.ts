import { TestApp } from '../helpers/app';
import { auth, givenAdult, givenClass, givenFamily, TestFamily, TestUser } from '../factories';

/**
 * No response ever contains a password hash, a token or code hash, an issued one-time code, or
 * another user's phone or email: every GET in the OpenAPI document, as every kind of caller. And
 * every GET that names one of a family's things (a child, the family, its class, a device...) is
 * refused (403 or 404) to a stranger and to another family's adult and child.
 */
describe('exposure: nothing secret or personal leaks from any GET', () => {
  let t: TestApp;
  let family: TestFamily;
  let other: TestFamily;
  /** A family in no class of this one's. */
  let outside: TestFamily;
  let teacher: TestUser;
  let stranger: TestUser;
  let ids: Record<string, string>;
  let pairingCode: string;

  beforeAll(async () => {
    t = await TestApp.start();
    [family, other, outside, stranger] = await Promise.all([givenFamily(t), givenFamily(t), givenFamily(t), givenAdult(t)]);
    const klass = await givenClass(t, [family, other]);
    teacher = klass.teacher;
    pairingCode = (await t.http.post(`/v1/children/${family.child.id}/pairing-codes`).set(auth(family.guardian.token))).body.code;
    await t.http.post(`/v1/families/${family.familyId}/invitations`).set(auth(family.guardian.token)).send({ role: 'parent' });
    ids = { childId: family.child.id, id: family.familyId, familyId: family.familyId, classId: klass.id, deviceId: family.child.deviceId };
  });
  afterAll(() => t.stop());

  it('holds for every GET route and every caller', async () => {
    const doc = (await t.http.get('/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    const templates = Object.entries(doc.paths)
      .filter(([path, ops]) => 'get' in ops && !path.startsWith('/docs') && path !== '/metrics')
      .map(([path]) => path);
    const fill = (path: string) => path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? ids[`${name}Id`] ?? family.child.id);
    const routes = templates.map(fill);
    expect(routes.length).toBeGreaterThan(5);
    // every GET that names one of the family's things is refused to those outside it
    const named = templates.filter((path) => path.includes('{')).map(fill);
    expect(named.length).toBeGreaterThan(5);
    for (const outsider of [stranger, outside.guardian, outside.child]) {
      for (const route of named) {
        const { status } = await t.http.get(route).set(auth(outsider.token));
        expect({ route, outsider: outsider.id, refused: status === 403 || status === 404 }).toEqual({ route, outsider: outsider.id, refused: true });
      }
    }

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
