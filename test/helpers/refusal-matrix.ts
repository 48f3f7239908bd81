import type request from 'supertest';
import type { TestApp } from './app';

/**
 * One route of a refusal matrix: how to call it with a caller's token, which callers it refuses
 * (404 when the resource is out of their scope, 403 when it is visible but not theirs to act on),
 * and the caller for whom it succeeds, with the status then.
 */
export interface RefusalRow<Caller extends string> {
  /** `METHOD /path/:id`, as the OpenAPI document names the route; a note may follow in parentheses. */
  name: string;
  call: (token: string) => request.Test;
  refused: Partial<Record<Caller, 403 | 404>>;
  ok: [Caller, number];
}

/** Who asks (named for the failure message), with which token, and the status they must get. */
export type Refusal = [caller: string, token: string, status: number];

/** Every caller gets its status from `call` as problem+json, and the database is as it was. */
export async function expectRefused(t: TestApp, refusals: Refusal[], call: (token: string) => request.Test): Promise<void> {
  const before = await t.snapshot();
  for (const [caller, token, status] of refusals) {
    const res = await call(token);
    expect({ caller, status: res.status }).toEqual({ caller, status });
    expect(res.headers['content-type']).toContain('application/problem+json');
  }
  expect(await t.snapshot()).toEqual(before);
}

/**
 * A test per row, in order: every refused caller is refused (expectRefused); then the right caller
 * succeeds. `app` and `callers` are read when the tests run (they are set up in a beforeAll).
 */
export function itRefusesEachRow<Caller extends string>(app: () => TestApp, callers: () => Record<Caller, { token: string }>, rows: RefusalRow<Caller>[]): void {
  it.each(rows.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const refusals = (Object.entries(row.refused) as [Caller, number][]).map(([caller, status]): Refusal => [caller, callers()[caller].token, status]);
    await expectRefused(app(), refusals, row.call);
    const [caller, status] = row.ok;
    const res = await row.call(callers()[caller].token);
    expect({ caller, status: res.status, body: res.status === status ? undefined : res.body }).toEqual({ caller, status, body: undefined });
  });
}

/**
 * The routes of the OpenAPI document that `pattern` picks and no row covers: `name` turns a
 * documented route (`GET /v1/things/{thingId}`) into a row's name (`GET /v1/things/:id`).
 */
export async function uncoveredRoutes(t: TestApp, pattern: RegExp, name: (route: string) => string, rows: RefusalRow<string>[]): Promise<string[]> {
  const doc = (await t.http.get('/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
  const routes = Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
    .filter((route) => pattern.test(route))
    .map(name);
  if (routes.length === 0) throw new Error(`no documented route matches ${pattern}`);
  const covered = new Set(rows.map((row) => row.name.replace(/ \(.*\)$/, '')));
  return routes.filter((route) => !covered.has(route));
}
