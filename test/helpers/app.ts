import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { configureApp } from '../../src/app.factory';
import { AppModule } from '../../src/app.module';
import { Clock } from '../../src/common/clock';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { databaseUrl, templateDatabaseName, testConfig, testDatabaseName, testEnvironment, withPgClient } from '../setup/test-config';
import { SmsRecorder } from './sms-recorder';
import { TestClock } from './test-clock';

export interface StartOptions {
  /** Extra environment for this app (e.g. APP_ROLE=api for a second node). */
  env?: Record<string, string>;
  /** Share another app's database and Redis prefix (a second API node). */
  sameDataAs?: TestApp;
}

/**
 * One running service for one test file: its own database cloned from the migrated template, its own
 * Redis key prefix, an SMS recorder as gateway and an injectable clock. Real PostgreSQL, real Redis.
 */
export class TestApp {
  readonly clock = new TestClock();
  readonly sms: SmsRecorder;
  app!: NestExpressApplication;
  config!: AppConfig;
  /** The variables `config` was loaded from (a worker process of this app starts with them). */
  env!: Record<string, string | undefined>;
  url!: string;
  private ownsData = true;
  private databaseName!: string;

  private constructor(sms?: SmsRecorder) {
    this.sms = sms ?? new SmsRecorder();
  }

  static async start(options: StartOptions = {}): Promise<TestApp> {
    const t = new TestApp(options.sameDataAs?.sms);
    await t.boot(options);
    return t;
  }

  get http() {
    return request(this.app.getHttpServer());
  }

  get dataSource(): DataSource {
    return this.app.get(DataSource);
  }

  /** SQL straight against this file's database, for assertions about what was (not) written. */
  query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.dataSource.query(sql, params);
  }

  async count(table: string, where = 'true', params: unknown[] = []): Promise<number> {
    const [row] = await this.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params);
    return row.n;
  }

  /**
   * A content hash of every table, after background work (outbox relay, deliveries) has settled:
   * compare before and after a refused request to prove nothing at all was written or changed.
   */
  async snapshot(): Promise<Record<string, string>> {
    await this.settle();
    const tables = await this.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY 1`,
    );
    const sql = tables
      .map(({ tablename }) => `SELECT '${tablename}' AS t, count(*)::text || ':' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') AS h FROM "${tablename}" x`)
      .join(' UNION ALL ');
    const rows = await this.query<{ t: string; h: string }>(sql);
    return Object.fromEntries(rows.map((r) => [r.t, r.h]));
  }

  /** Waits until queued work has left the outbox and pending notifications were handled. */
  async settle(timeoutMs = 10_000): Promise<void> {
    await eventually(async () => {
      const [row] = await this.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM outbox) + (SELECT count(*) FROM notifications WHERE state = 'pending') AS n`,
      );
      if (Number(row.n) !== 0) throw new Error(`${row.n} jobs still pending`);
    }, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.app.close();
    if (!this.ownsData) return;
    await this.sms.stop();
    const redis = new Redis(this.config.redisUrl);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.config.redisPrefix}*`, 'COUNT', 1000);
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${this.databaseName}" WITH (FORCE)`));
  }

  private async boot(options: StartOptions): Promise<void> {
    const admin = testConfig();
    if (options.sameDataAs) {
      this.ownsData = false;
      this.databaseName = options.sameDataAs.databaseName;
    } else {
      this.databaseName = testDatabaseName();
      await withAdmin((c) => c.query(`CREATE DATABASE "${this.databaseName}" TEMPLATE "${templateDatabaseName()}"`));
    }
    const smsUrl = options.sameDataAs ? options.sameDataAs.config.smsGateway.url! : await this.sms.start();
    this.env = testEnvironment({
      DATABASE_URL: databaseUrl(admin.databaseUrl, this.databaseName),
      REDIS_PREFIX: options.sameDataAs?.config.redisPrefix ?? `t${randomBytes(5).toString('hex')}`,
      SMS_GATEWAY_URL: smsUrl,
      SMS_GATEWAY_SECRET: 'test-sms-gateway-secret',
      DATABASE_POOL_SIZE: '5',
      APP_ROLE: 'all',
      ...options.env,
    });
    this.config = loadConfig(this.env);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(this.config)] })
      .overrideProvider(Clock)
      .useValue(this.clock)
      .compile();
    this.app = configureApp(moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: ['error', 'warn'] }), this.config);
    await this.app.listen(0, '127.0.0.1');
    this.url = `http://127.0.0.1:${(this.app.getHttpServer().address() as AddressInfo).port}`;
  }
}

const withAdmin = <T>(work: (client: Client) => Promise<T>): Promise<T> => withPgClient(testConfig().databaseUrl, work);

/** Polls until `check` passes (or throws its last error after `timeoutMs`). For effects of queues and relays. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}
