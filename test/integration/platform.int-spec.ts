import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApi } from '../../src/app.factory';
import { TestApp, eventually } from '../helpers/app';
import { OwnRedis } from '../helpers/own-redis';
import { Transactions } from '../../src/database/transaction';
import { JobName, QueueName } from '../../src/infra/queue/job-catalogue';
import { Jobs } from '../../src/infra/queue/jobs';
import { Queues } from '../../src/infra/queue/queues';
import { aPhone, auth, givenAdult, PASSWORD } from '../factories';

describe('platform: health, metrics, OpenAPI, rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start({ env: { RATE_LIMIT_AUTH_PER_MINUTE: '5' } });
  });
  afterAll(() => t.stop());

  it('reports liveness and readiness', async () => {
    expect((await t.http.get('/health')).body).toEqual({ status: 'ok' });
    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', checks: { postgres: 'up', redis: 'up' } });
  });

  it('serves Prometheus metrics', async () => {
    await t.http.get('/health');
    const res = await t.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toContain('homeline_http_request_duration_seconds_bucket');
    expect(res.text).toContain('homeline_outbox_backlog');
  });

  it('tags a request id on every response', async () => {
    const res = await t.http.get('/health').set('X-Request-Id', 'abc-123');
    expect(res.headers['x-request-id']).toBe('abc-123');
    expect((await t.http.get('/health')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with a problem', async () => {
    const res = await t.http.get('/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('keeps the /admin/queues dashboard closed without ADMIN_TOKEN', async () => {
    expect((await t.http.get('/admin/queues')).status).toBe(404);
  });

  it('limits sign-in attempts per address, with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await t.http.post('/v1/auth/login').send({ login: aPhone(), password: PASSWORD })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    const limited = await t.http.post('/v1/auth/login').send({ login: aPhone(), password: PASSWORD });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited.body.code).toBe('rate_limited');
    // the count lives in Redis under this deployment's prefix, so every node shares it
    const keys = await t.app.get<import('ioredis').default>(require('../../src/infra/redis/redis.factory').REDIS_COMMAND).keys(`${t.config.redisPrefix}:rl:auth*`);
    expect(keys.length).toBeGreaterThan(0);
  });

  it('documents every route in OpenAPI, matching the committed openapi.json', async () => {
    const res = await t.http.get('/docs-json');
    expect(res.status).toBe(200);
    const generated = JSON.parse(JSON.stringify(buildOpenApi(t.app)));
    for (const [path, operations] of Object.entries(generated.paths as Record<string, Record<string, { tags?: string[]; summary?: string; responses?: object }>>)) {
      for (const [method, op] of Object.entries(operations)) {
        expect({ route: `${method} ${path}`, tagged: !!op.tags?.length, summarised: !!op.summary }).toEqual({ route: `${method} ${path}`, tagged: true, summarised: true });
      }
    }
    const committed = JSON.parse(readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8'));
    expect(generated).toEqual(committed);
  });

  it('wakes the outbox relay after a transaction that wrote to the outbox commits, and only then', async () => {
    const transactions = t.app.get(Transactions);
    const jobs = t.app.get(Jobs);
    let woken = 0;
    transactions.onOutboxCommit(() => woken++);
    await transactions.run((em) => em.query(`SELECT 1`));
    expect(woken).toBe(0);
    // rolled back: nothing reached the outbox, nothing to relay
    const refused = transactions.run(async (em) => {
      await jobs.enqueue(em, JobName.ExtendHorizon, {}, { jobId: 'wake-rolled-back' });
      throw new Error('rolled back');
    });
    await expect(refused).rejects.toThrow('rolled back');
    expect(woken).toBe(0);
    await transactions.run((em) => jobs.enqueue(em, JobName.ExtendHorizon, {}, { jobId: 'wake-committed' }));
    expect(woken).toBe(1);
    // and the relay moved it to the queue
    await eventually(async () => expect(await t.app.get(Queues).get(QueueName.Maintenance).getJob('wake-committed')).toBeDefined());
  });
});

describe('platform: writes do not depend on Redis (outbox)', () => {
  const redis = new OwnRedis();
  let t: TestApp;
  beforeAll(async () => {
    await redis.start();
    t = await TestApp.start({ env: { REDIS_URL: redis.url, OUTBOX_POLL_MS: '100' } });
  });
  afterAll(async () => {
    await t.stop();
    await redis.stop();
  });

  it('accepts writes while Redis is down, reports 503, and drains the outbox when Redis returns', async () => {
    const user = await givenAdult(t);
    await eventually(() => expect(t.sms.to(user.phone)).toHaveLength(1));

    await redis.stop();
    const started = Date.now();
    const phone = aPhone();
    const res = await t.http.post('/v1/auth/register').send({ displayName: '离线注册', phone, password: PASSWORD });
    expect(res.status).toBe(201);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await t.http.get('/v1/me').set(auth(res.body.accessToken))).status).toBe(200);
    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual({ postgres: 'up', redis: 'down' });
    await eventually(async () => expect(await t.count('outbox')).toBeGreaterThan(0));
    expect(t.sms.to(phone)).toHaveLength(0);

    await redis.start();
    await eventually(async () => expect(await t.count('outbox')).toBe(0), 15_000);
    await eventually(() => expect(t.sms.to(phone)).toHaveLength(1), 15_000);
    await eventually(async () => expect((await t.http.get('/health/ready')).status).toBe(200));
  });
});
