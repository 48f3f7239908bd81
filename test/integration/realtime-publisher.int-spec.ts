import { decode } from 'notepack.io';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { RealtimePublisher, socketChannelKey } from '../../src/infra/realtime/realtime.publisher';
import { testConfig } from '../setup/test-config';

describe('RealtimePublisher in a worker (the Redis emitter)', () => {
  const prefix = `hlt-pub-${randomBytes(4).toString('hex')}`;
  const config = testConfig({ REDIS_PREFIX: prefix, APP_ROLE: 'worker' });
  let subscriber: Redis;

  beforeAll(async () => {
    subscriber = new Redis(config.redisUrl);
    await subscriber.psubscribe(`${socketChannelKey(prefix)}#/#*`);
  });
  afterAll(() => subscriber.disconnect());

  it('delivers the first events of a fresh process, published before its Redis client has connected', async () => {
    const received: unknown[] = [];
    subscriber.on('pmessageBuffer', (_pattern: Buffer, _channel: Buffer, message: Buffer) => {
      const [, packet] = decode(message) as [string, { data: [string, unknown] }];
      received.push(packet.data);
    });
    const publisher = new RealtimePublisher(config);
    try {
      // the emitter's client is created by the first publish: these go out while it connects
      publisher.toUser('u-1', 'notification', { n: 1 });
      publisher.toUser('u-2', 'notification', { n: 2 });
      const deadline = Date.now() + 5000;
      while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(received).toEqual([
        ['notification', { n: 1 }],
        ['notification', { n: 2 }],
      ]);
    } finally {
      publisher.onApplicationShutdown();
    }
  });
});
