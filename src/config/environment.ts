import { plainToInstance, Transform } from 'class-transformer';
import {
  IsDefined,
  IsEnum,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';

export enum AppRole {
  Api = 'api',
  Worker = 'worker',
  All = 'all',
}

/** Where voice and image messages are kept. */
export enum MediaStorageDriver {
  Local = 'local',
  S3 = 's3',
}

export enum NodeEnv {
  Development = 'development',
  Test = 'test',
  Production = 'production',
}

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);

/**
 * Every environment variable the service reads, with its default. `.env.example` documents each one;
 * `test/integration/config.int-spec.ts` keeps the two in step.
 */
export class EnvironmentVariables {
  @IsEnum(NodeEnv)
  NODE_ENV: NodeEnv = NodeEnv.Development;

  @IsEnum(AppRole)
  APP_ROLE: AppRole = AppRole.All;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '127.0.0.1';

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  PUBLIC_URL?: string;

  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL: string;

  @Matches(/^[a-zA-Z0-9_-]{1,32}$/, { message: 'REDIS_PREFIX must be 1-32 letters, digits, _ or -' })
  REDIS_PREFIX = 'hl';

  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET: string;

  @IsString()
  @MinLength(32, { message: 'CODE_PEPPER must be at least 32 characters' })
  CODE_PEPPER: string;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(3600)
  ACCESS_TOKEN_TTL_SECONDS = 900;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(365)
  REFRESH_TOKEN_TTL_DAYS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(19456, { message: 'PASSWORD_MEMORY_KIB must be at least 19456 (19 MiB)' })
  PASSWORD_MEMORY_KIB = 19456;

  @Transform(toInt)
  @IsInt()
  @Min(2, { message: 'PASSWORD_TIME_COST must be at least 2' })
  PASSWORD_TIME_COST = 2;

  /** Required in production: without it SMS are only written to the log, and the elderly guardians' reminders would not leave. */
  @ValidateIf((env: EnvironmentVariables) => env.NODE_ENV === NodeEnv.Production || env.SMS_GATEWAY_URL !== undefined)
  @IsDefined({ message: 'SMS_GATEWAY_URL is required in production (without it SMS are only logged, never sent)' })
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  SMS_GATEWAY_URL?: string;

  @ValidateIf((env: EnvironmentVariables) => env.SMS_GATEWAY_URL !== undefined)
  @IsString({ message: 'SMS_GATEWAY_SECRET is required with SMS_GATEWAY_URL' })
  @MinLength(16, { message: 'SMS_GATEWAY_SECRET must be at least 16 characters' })
  SMS_GATEWAY_SECRET?: string;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IsString()
  PRIVACY_NOTICE_VERSION = '2026-11';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_AUTH_PER_MINUTE = 20;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_USER_PER_MINUTE = 600;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  OUTBOX_POLL_MS = 500;

  @IsOptional()
  @IsString()
  ADMIN_TOKEN?: string;

  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(600)
  WORKER_LOCK_SECONDS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  REMINDER_BATCH_MAX = 128;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(32)
  REMINDER_LANES = 4;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86400)
  NOTIFICATION_SMS_FALLBACK_SECONDS = 120;

  @IsEnum(MediaStorageDriver)
  MEDIA_STORAGE: MediaStorageDriver = MediaStorageDriver.Local;

  @IsString()
  MEDIA_LOCAL_DIR = '.local/media';

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  MEDIA_S3_ENDPOINT?: string;

  @IsString()
  MEDIA_S3_REGION = 'us-east-1';

  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'MEDIA_S3_BUCKET must be a valid bucket name' })
  MEDIA_S3_BUCKET?: string;

  @IsOptional()
  @IsString()
  MEDIA_S3_ACCESS_KEY_ID?: string;

  @IsOptional()
  @IsString()
  MEDIA_S3_SECRET_ACCESS_KEY?: string;

  @IsIn(['true', 'false'])
  MEDIA_S3_FORCE_PATH_STYLE = 'true';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  MESSAGE_BATCH_MAX = 256;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(100)
  MESSAGE_BATCH_WAIT_MS = 2;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(32)
  MESSAGE_BATCH_LANES = 4;

  @Matches(/^$|^stuns?:[^,\s]+(,stuns?:[^,\s]+)*$/, { message: 'RTC_STUN_URLS must be comma-separated stun: or stuns: URLs' })
  RTC_STUN_URLS = '';

  @Matches(/^$|^turns?:[^,\s]+(,turns?:[^,\s]+)*$/, { message: 'RTC_TURN_URLS must be comma-separated turn: or turns: URLs' })
  RTC_TURN_URLS = '';

  /** coturn's `static-auth-secret`: required once TURN servers are configured. */
  @ValidateIf((env: EnvironmentVariables) => env.RTC_TURN_URLS !== '')
  @IsString()
  @MinLength(16, { message: 'RTC_TURN_SECRET must be at least 16 characters when RTC_TURN_URLS is set' })
  RTC_TURN_SECRET = '';

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(86400)
  RTC_TURN_CREDENTIAL_TTL_SECONDS = 3600;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(300)
  CALL_RING_TIMEOUT_SECONDS = 45;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(120)
  CALL_RECONNECT_GRACE_SECONDS = 10;
}

export class ConfigurationError extends Error {}

/** Validates raw variables once; the message names every variable that is wrong. */
export function validateEnvironment(raw: Record<string, string | undefined>): EnvironmentVariables {
  const defined = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  const env = plainToInstance(EnvironmentVariables, defined, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `  ${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new ConfigurationError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return env;
}
