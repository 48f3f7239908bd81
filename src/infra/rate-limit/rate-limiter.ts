import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppConfig } from '../../config/app-config';
import { DomainError, ErrorCode } from '../../common/errors';
import { REDIS_COMMAND } from '../redis/redis.factory';

export enum RateBucket {
  /** Sign-in, registration, refresh, pairing and code redemption: per client address and per login. */
  Auth = 'auth',
  /** Everything an authenticated user does. */
  User = 'user',
}

/**
 * Fixed-window limits kept in Redis so they hold across API nodes. While Redis is away an in-memory
 * limiter per node stands in, so requests are still limited but never blocked on Redis.
 */
@Injectable()
export class RateLimiter {
  private readonly limiters: Record<RateBucket, RateLimiterRedis>;

  constructor(@Inject(REDIS_COMMAND) redis: Redis, config: AppConfig) {
    const make = (bucket: RateBucket, points: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${config.redisPrefix}:rl:${bucket}`,
        points,
        duration: 60,
        insuranceLimiter: new RateLimiterMemory({ points, duration: 60 }),
      });
    this.limiters = {
      [RateBucket.Auth]: make(RateBucket.Auth, config.rateLimits.authPerMinute),
      [RateBucket.User]: make(RateBucket.User, config.rateLimits.userPerMinute),
    };
  }

  async consume(bucket: RateBucket, key: string): Promise<void> {
    try {
      await this.limiters[bucket].consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new DomainError(ErrorCode.RateLimited, `Too many attempts; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
      }
      throw rejection;
    }
  }
}
