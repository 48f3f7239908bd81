import type { BatcherOptions } from '../common/batcher';
import { AppRole, EnvironmentVariables, MediaStorageDriver, NodeEnv, validateEnvironment } from './environment';

/** Typed, validated configuration. The only way the code learns about its environment. */
export class AppConfig {
  constructor(private readonly env: EnvironmentVariables) {}

  get nodeEnv(): NodeEnv {
    return this.env.NODE_ENV;
  }
  get isProduction(): boolean {
    return this.env.NODE_ENV === NodeEnv.Production;
  }
  get role(): AppRole {
    return this.env.APP_ROLE;
  }
  get runsApi(): boolean {
    return this.env.APP_ROLE !== AppRole.Worker;
  }
  get runsWorkers(): boolean {
    return this.env.APP_ROLE !== AppRole.Api;
  }
  get port(): number {
    return this.env.PORT;
  }
  get host(): string {
    return this.env.HOST;
  }
  get publicUrl(): string {
    return this.env.PUBLIC_URL ?? `http://localhost:${this.env.PORT}`;
  }
  get databaseUrl(): string {
    return this.env.DATABASE_URL;
  }
  get databasePoolSize(): number {
    return this.env.DATABASE_POOL_SIZE;
  }
  get redisUrl(): string {
    return this.env.REDIS_URL;
  }
  /** Namespace for every Redis key this deployment writes (queues, rate limits, socket.io channels). */
  get redisPrefix(): string {
    return this.env.REDIS_PREFIX;
  }
  get jwtSecret(): string {
    return this.env.JWT_SECRET;
  }
  get codePepper(): string {
    return this.env.CODE_PEPPER;
  }
  get accessTokenTtlSeconds(): number {
    return this.env.ACCESS_TOKEN_TTL_SECONDS;
  }
  get refreshTokenTtlDays(): number {
    return this.env.REFRESH_TOKEN_TTL_DAYS;
  }
  get passwordHashing(): { memoryCost: number; timeCost: number } {
    return { memoryCost: this.env.PASSWORD_MEMORY_KIB, timeCost: this.env.PASSWORD_TIME_COST };
  }
  get smsGateway(): { url?: string; secret?: string } {
    return { url: this.env.SMS_GATEWAY_URL, secret: this.env.SMS_GATEWAY_SECRET };
  }
  get logLevel(): string {
    return this.env.LOG_LEVEL;
  }
  get privacyNoticeVersion(): string {
    return this.env.PRIVACY_NOTICE_VERSION;
  }
  get rateLimits(): { authPerMinute: number; userPerMinute: number } {
    return { authPerMinute: this.env.RATE_LIMIT_AUTH_PER_MINUTE, userPerMinute: this.env.RATE_LIMIT_USER_PER_MINUTE };
  }
  get outboxPollMs(): number {
    return this.env.OUTBOX_POLL_MS;
  }
  /** How long a worker holds a job before others treat it as stalled (a crashed worker's jobs are retried). */
  get workerLockMs(): number {
    return this.env.WORKER_LOCK_SECONDS * 1000;
  }
  /**
   * How a burst of reminders due at one instant is sent: `lanes` wake-up jobs per instant (on one
   * worker or spread over several), each committing up to `batch` reminders per transaction.
   */
  get reminderSending(): { batch: number; lanes: number } {
    return { batch: this.env.REMINDER_BATCH_MAX, lanes: this.env.REMINDER_LANES };
  }
  get adminToken(): string | undefined {
    return this.env.ADMIN_TOKEN;
  }
  /** How long a socket notification waits for the client's receipt before it goes by SMS too. */
  get smsFallbackSeconds(): number {
    return this.env.NOTIFICATION_SMS_FALLBACK_SECONDS;
  }
  /** Media storage: local disk under a directory, or an S3-compatible bucket. */
  get mediaStorage(): {
    driver: MediaStorageDriver;
    localDir: string;
    s3: { endpoint?: string; region: string; bucket?: string; accessKeyId?: string; secretAccessKey?: string; forcePathStyle: boolean };
  } {
    return {
      driver: this.env.MEDIA_STORAGE,
      localDir: this.env.MEDIA_LOCAL_DIR,
      s3: {
        endpoint: this.env.MEDIA_S3_ENDPOINT,
        region: this.env.MEDIA_S3_REGION,
        bucket: this.env.MEDIA_S3_BUCKET,
        accessKeyId: this.env.MEDIA_S3_ACCESS_KEY_ID,
        secretAccessKey: this.env.MEDIA_S3_SECRET_ACCESS_KEY,
        forcePathStyle: this.env.MEDIA_S3_FORCE_PATH_STYLE === 'true',
      },
    };
  }
  /** How message sends are grouped into one transaction: at most `max` per batch, waiting at most `waitMs`, `lanes` batches in flight. */
  get messageBatching(): BatcherOptions {
    return { max: this.env.MESSAGE_BATCH_MAX, waitMs: this.env.MESSAGE_BATCH_WAIT_MS, lanes: this.env.MESSAGE_BATCH_LANES };
  }
  /** What call clients need to reach each other: STUN servers, and TURN servers with their shared secret. */
  get rtc(): { stunUrls: string[]; turnUrls: string[]; turnSecret: string; credentialTtlSeconds: number } {
    const list = (value: string) => value.split(',').filter((url) => url !== '');
    return {
      stunUrls: list(this.env.RTC_STUN_URLS),
      turnUrls: list(this.env.RTC_TURN_URLS),
      turnSecret: this.env.RTC_TURN_SECRET,
      credentialTtlSeconds: this.env.RTC_TURN_CREDENTIAL_TTL_SECONDS,
    };
  }
  /** How long a call rings before it ends as missed. */
  get callRingTimeoutSeconds(): number {
    return this.env.CALL_RING_TIMEOUT_SECONDS;
  }
  /** How long a call waits for a participant whose connection dropped before it ends. */
  get callReconnectGraceSeconds(): number {
    return this.env.CALL_RECONNECT_GRACE_SECONDS;
  }
}

/** The one place that reads process.env. */
export function readEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}

/** Loads and validates configuration; `overrides` win over the process environment (tests, scripts). */
export function loadConfig(overrides: Record<string, string | undefined> = {}): AppConfig {
  return new AppConfig(validateEnvironment({ ...readEnvironment(), ...overrides }));
}
