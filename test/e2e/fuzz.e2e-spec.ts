import fc from 'fast-check';
import { TestApp } from '../helpers/app';
import { auth, givenClass, givenFamily, TestFamily } from '../factories';

interface Operation {
  method: 'post' | 'put' | 'patch' | 'delete';
  path: string;
  properties: Record<string, { type?: string; maxLength?: number; enum?: unknown[] }>;
}

/** Property-based: arbitrary bodies thrown at every write endpoint answer 4xx (never 5xx) and write nothing. */
describe('fuzz: generated bodies at every write endpoint', () => {
  let t: TestApp;
  let family: TestFamily;
  let operations: Operation[];
  let ids: Record<string, string>;

  beforeAll(async () => {
    t = await TestApp.start();
    family = await givenFamily(t);
    const klass = await givenClass(t, [family]);
    ids = { childId: family.child.id, familyId: family.familyId, deviceId: family.child.deviceId, classId: klass.id, userId: family.parent.id };
    const doc = (await t.http.get('/docs-json')).body as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref?: string } }> } }>>;
      components: { schemas: Record<string, { properties?: Operation['properties'] }> };
    };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method, op]) => ['post', 'put', 'patch'].includes(method) && op.requestBody)
        .map(([method, op]) => {
          const ref = op.requestBody!.content['application/json']?.schema.$ref ?? '';
          const schema = doc.components.schemas[ref.split('/').pop() ?? ''] ?? {};
          return { method: method as Operation['method'], path, properties: schema.properties ?? {} };
        }),
    );
  });
  afterAll(() => t.stop());

  const fill = (path: string) => path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? ids[`${name}Id`] ?? 'ZZZZ-ZZZZ');

  /** Bodies that are nearly right as well as plainly wrong: each known field gets a hostile value. */
  const bodies = (op: Operation) => {
    const hostile = fc.oneof(
      fc.jsonValue(),
      fc.string({ maxLength: 5 }),
      fc.string({ minLength: 300, maxLength: 2000 }),
      fc.constantFrom('', ' ', '+86', 'Mars/Olympus', '<script>', "'; DROP TABLE users; --", '\u0000', '9'.repeat(40)),
      fc.integer(),
      fc.constant(null),
    );
    const keys = Object.keys(op.properties);
    const shaped = keys.length ? fc.record(Object.fromEntries(keys.map((k) => [k, hostile])), { requiredKeys: [] }) : fc.constant({});
    const smuggled = fc.record({ id: fc.uuid(), role: fc.constantFrom('guardian', 'admin'), familyId: fc.uuid(), userId: fc.uuid() }, { requiredKeys: [] });
    return fc.oneof(fc.jsonValue(), shaped, fc.tuple(shaped, smuggled).map(([a, b]) => ({ ...a, ...b })));
  };

  it('covers the write endpoints of the contract', () => {
    const paths = operations.map((o) => `${o.method} ${o.path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'post /v1/auth/register',
        'post /v1/auth/login',
        'post /v1/auth/child-pair',
        'patch /v1/me',
        'post /v1/families',
        'post /v1/families/{familyId}/invitations',
        'post /v1/families/{familyId}/children',
        'post /v1/children/{childId}/contact-requests',
        'post /v1/children/{childId}/enrollments',
        'post /v1/classes',
      ]),
    );
  });

  it('never answers 5xx, and a refused body changes nothing', async () => {
    for (const op of operations) {
      await fc.assert(
        fc.asyncProperty(bodies(op), async (body) => {
          const before = await t.snapshot();
          const res = await t.http[op.method](fill(op.path))
            .set(auth(family.guardian.token))
            .set('content-type', 'application/json')
            .send(JSON.stringify(body));
          if (res.status >= 500) throw new Error(`${op.method} ${op.path} answered ${res.status} to ${JSON.stringify(body).slice(0, 200)}`);
          if (res.status >= 400) {
            expect(res.headers['content-type']).toContain('application/problem+json');
            expect(await t.snapshot()).toEqual(before);
          }
        }),
        { numRuns: 15 },
      );
    }
  });
});
