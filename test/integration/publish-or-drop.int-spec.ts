import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { AddressInfo, createServer, connect, Server, Socket } from 'node:net';
import { publishOrDrop } from '../../src/infra/realtime/publish-or-drop';
import { createRedis, RedisRole } from '../../src/infra/redis/redis.factory';
import { testConfig } from '../setup/test-config';

/** A TCP proxy in front of the test Redis that a test can cut (Redis is "away") and restore on the same port. */
class CuttableProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(Number(this.target.port), this.target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async cut(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server!.close(resolve));
  }
}

const until = async (check: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('publishOrDrop: the socket fast path while Redis is away', () => {
  const config = testConfig();
  const channel = `hlt-drop-${randomBytes(4).toString('hex')}`;
  const logger = new Logger('publish-or-drop-test');
  const proxy = new CuttableProxy(new URL(config.redisUrl));
  let subscriber: Redis;
  let client: Redis;
  const received: string[] = [];

  beforeAll(async () => {
    jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    subscriber = new Redis(config.redisUrl);
    subscriber.on('message', (_channel: string, message: string) => received.push(message));
    await subscriber.subscribe(channel);
    await proxy.open();
    const url = new URL(config.redisUrl);
    url.port = String(proxy.port);
    client = createRedis(testConfig({ REDIS_URL: url.toString() }), RedisRole.Command, 'drop-test', { enableAutoPipelining: true });
  });

  afterAll(async () => {
    client.disconnect();
    subscriber.disconnect();
    await proxy.cut().catch(() => undefined);
  });

  it('waits for the first connection, drops at once while Redis is away, never sends the dropped one later, and publishes again when Redis is back', async () => {
    // published as the client is created: waits for its first connection, then goes out
    const publish = publishOrDrop(client, logger);
    await expect(publish(channel, 'first')).resolves.toBe(1);

    await proxy.cut();
    await until(() => client.status !== 'ready');
    // answered while Redis is still unreachable: dropped, not queued until a reconnect
    await expect(publish(channel, 'while-away')).resolves.toBe(0);
    expect(logger.warn).toHaveBeenCalledWith(expect.objectContaining({ err: expect.any(String) }), 'realtime publish dropped: Redis is unavailable');

    await proxy.open();
    await until(() => client.status === 'ready');
    await expect(publish(channel, 'back')).resolves.toBe(1);
    await until(() => received.includes('back'));
    expect(received).toEqual(['first', 'back']);
  });
});
