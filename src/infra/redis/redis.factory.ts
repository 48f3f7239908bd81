import Redis, { RedisOptions } from 'ioredis';
import { AppConfig } from '../../config/app-config';

export enum RedisRole {
  /** Request-path commands (rate limits, health, queue producers): fail fast when Redis is away. */
  Command = 'command',
  /** BullMQ workers and socket.io subscribers: block and reconnect forever. */
  Blocking = 'blocking',
}

const reconnect = (times: number) => Math.min(times * 200, 2000);

/** `overrides` tune one client beyond its role (e.g. auto-pipelining for a publisher). */
export function createRedis(config: AppConfig, role: RedisRole, name: string = role, overrides: Partial<RedisOptions> = {}): Redis {
  const options: RedisOptions =
    role === RedisRole.Command
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: reconnect }
      : { maxRetriesPerRequest: null, enableReadyCheck: false, retryStrategy: reconnect };
  const client = new Redis(config.redisUrl, { ...options, ...overrides, connectionName: `homeline-${config.role}-${name}`, lazyConnect: false });
  // errors surface through the commands that fail; the connection itself retries on its own
  client.on('error', () => undefined);
  return client;
}

export const REDIS_COMMAND = Symbol('REDIS_COMMAND');
