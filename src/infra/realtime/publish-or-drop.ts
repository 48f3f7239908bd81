import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { once } from 'node:events';

/** How long the publishes of a process whose client has just been created wait for its first connection. */
export const FIRST_CONNECT_WAIT_MS = 2000;
const WARN_EVERY_MS = 60_000;

/**
 * The publish of the socket fast path (the socket.io Redis adapter of an API node, the emitter of a
 * worker), for a client without an offline queue (RedisRole.Command). The first publishes of a process
 * wait, all on one promise, up to FIRST_CONNECT_WAIT_MS for its first connection; after that, a publish
 * while Redis is away is dropped at once (DESIGN: the socket delivers at most once, PostgreSQL is
 * the record) rather than queued in memory for the whole outage and sent stale when Redis returns.
 * Never rejects (the adapter fires its broadcasts and forgets them); drops are logged once a minute.
 */
export function publishOrDrop(client: Redis, logger: Logger): (channel: string, message: string | Buffer) => Promise<number> {
  const publish = client.publish.bind(client) as (channel: string, message: string | Buffer) => Promise<number>;
  const connected = once(client, 'ready', { signal: AbortSignal.timeout(FIRST_CONNECT_WAIT_MS) }).catch(() => undefined);
  let lastWarning = 0;
  return async (channel, message) => {
    try {
      await connected;
      return await publish(channel, message);
    } catch (error) {
      if (Date.now() - lastWarning >= WARN_EVERY_MS) {
        lastWarning = Date.now();
        logger.warn({ err: (error as Error).message }, 'realtime publish dropped: Redis is unavailable');
      }
      return 0;
    }
  };
}
