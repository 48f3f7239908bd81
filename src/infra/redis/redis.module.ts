import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { createRedis, REDIS_COMMAND, RedisRole } from './redis.factory';

@Global()
@Module({
  providers: [
    { provide: REDIS_COMMAND, inject: [AppConfig], useFactory: (config: AppConfig) => createRedis(config, RedisRole.Command) },
  ],
  exports: [REDIS_COMMAND],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS_COMMAND) private readonly redis: Redis) {}

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
