import { Emitter } from '@socket.io/redis-emitter';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { BatchingRedisAdapter, createBatchingAdapter } from '../../src/infra/realtime/batching-redis-adapter';
import { OwnEchoParser } from '../../src/infra/realtime/own-echo-parser';
import { testConfig } from '../setup/test-config';

/** One API node: a socket.io server on the batching adapter, whose sockets join the room named in their handshake. */
async function startNode(redisUrl: string, key: string) {
  const pub = new Redis(redisUrl);
  const sub = new Redis(redisUrl);
  const server = new Server();
  server.adapter(createBatchingAdapter(pub, sub, { key, parser: new OwnEchoParser() }));
  server.on('connection', (socket: ServerSocket) => void socket.join(String(socket.handshake.query.room)));
  await new Promise<void>((resolve) => server.listen(0).httpServer.once('listening', resolve));
  // a later command on the subscriber answers once the adapter's subscriptions (sent first) are in place
  await sub.subscribe(`${key}-ready`);
  return {
    server,
    port: (server.httpServer.address() as AddressInfo).port,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      pub.disconnect();
      sub.disconnect();
    },
  };
}

type Node = Awaited<ReturnType<typeof startNode>>;

describe('BatchingRedisAdapter: a tick of broadcasts crosses to the other nodes as one Redis message', () => {
  const key = `hlt-batch-${randomBytes(4).toString('hex')}-socket.io`;
  const { redisUrl } = testConfig({});
  let a: Node;
  let b: Node;
  let monitor: Redis;
  const published: Buffer[] = [];
  const clients: Socket[] = [];

  /** A client of `node` in `room`, recording every `note` it receives. */
  async function client(node: Node, room: string): Promise<{ socket: Socket; got: unknown[] }> {
    const socket = io(`http://127.0.0.1:${node.port}`, { query: { room }, transports: ['websocket'], forceNew: true });
    clients.push(socket);
    const got: unknown[] = [];
    socket.on('note', (data: unknown) => got.push(data));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    return { socket, got };
  }

  const until = async (check: () => boolean) => {
    const deadline = Date.now() + 5000;
    while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  };

  beforeAll(async () => {
    [a, b] = await Promise.all([startNode(redisUrl, key), startNode(redisUrl, key)]);
    monitor = new Redis(redisUrl);
    await monitor.psubscribe(`${key}*`);
    monitor.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, message: Buffer) => {
      if (channel.toString() === `${key}-batch#/#`) published.push(message);
    });
  });

  afterAll(async () => {
    for (const socket of clients) socket.disconnect();
    monitor.disconnect();
    await Promise.all([a.close(), b.close()]);
  });

  it("delivers a tick's broadcasts everywhere, in order, once each, with one publish", async () => {
    const onA = await client(a, 'user:1');
    const onB = await client(b, 'user:1');
    const elsewhere = await client(b, 'user:2');
    published.length = 0;

    for (let n = 1; n <= 5; n++) a.server.to('user:1').emit('note', { n });
    await until(() => onA.got.length === 5 && onB.got.length === 5);
    await new Promise((r) => setTimeout(r, 50));

    const five = [1, 2, 3, 4, 5].map((n) => ({ n }));
    expect(onA.got).toEqual(five); // node A's own sockets: at once, and not again from its echo
    expect(onB.got).toEqual(five); // node B's: from the one batch
    expect(elsewhere.got).toEqual([]);
    expect(published).toHaveLength(1);
    expect(JSON.parse(published[0].toString())[2].map(([packet]: [{ data: unknown }]) => packet.data)).toEqual(five.map((note) => ['note', note]));
  });

  it('sends binary payloads as binary (MessagePack), and Dates as the JSON text clients get anyway', async () => {
    const onA = await client(a, 'user:7');
    const onB = await client(b, 'user:7');
    published.length = 0;

    a.server.to('user:7').emit('note', { voice: Buffer.from([1, 2, 3]) });
    a.server.to('user:7').emit('note', { at: new Date('2026-12-05T08:00:00.000Z') });
    await until(() => onA.got.length === 2 && onB.got.length === 2);

    expect(published).toHaveLength(1);
    expect(published[0][0]).toBe(0x93); // a MessagePack array: the batch holds binary
    for (const got of [onA.got, onB.got]) {
      expect(Buffer.from((got[0] as { voice: ArrayBuffer }).voice)).toEqual(Buffer.from([1, 2, 3]));
      expect(got[1]).toEqual({ at: '2026-12-05T08:00:00.000Z' });
    }
  });

  it('keeps rooms and exceptions across nodes, and publishes nothing for a local-only broadcast', async () => {
    const sender = await client(b, 'user:3');
    const sendersOtherDevice = await client(a, 'user:3');
    const partner = await client(a, 'user:4');
    published.length = 0;

    // as a committed message is announced: to both members, except the socket it came from
    b.server.to(['user:3', 'user:4']).except(sender.socket.id!).emit('note', 'hello');
    a.server.local.to('user:4').emit('note', 'local only');
    await until(() => partner.got.length === 2 && sendersOtherDevice.got.length === 1);
    await new Promise((r) => setTimeout(r, 50));

    expect(sender.got).toEqual([]);
    expect(sendersOtherDevice.got).toEqual(['hello']);
    expect(partner.got).toEqual(['local only', 'hello']);
    expect(published).toHaveLength(1);
  });

  it("still delivers the stock adapter's broadcasts (a worker's Redis emitter) and its requests (disconnectSockets)", async () => {
    const target = await client(b, 'user:5');
    const emitterClient = new Redis(redisUrl);
    try {
      new Emitter(emitterClient, { key }).to('user:5').emit('note', 'from a worker');
      await until(() => target.got.length === 1);
      expect(target.got).toEqual(['from a worker']);

      const closed = new Promise<string>((resolve) => target.socket.once('disconnect', resolve));
      a.server.in('user:5').disconnectSockets(true);
      expect(await closed).toBe('io server disconnect');
    } finally {
      emitterClient.disconnect();
    }
  });

  it('ignores a malformed frame on its channel', async () => {
    const onB = await client(b, 'user:6');
    const adapter = b.server.of('/').adapter as BatchingRedisAdapter;
    const raw = new Redis(redisUrl);
    try {
      await raw.publish(`${key}-batch#/#`, Buffer.from([0xc1])); // not MessagePack
      await raw.publish(`${key}-batch#/#`, Buffer.from([0x93, 0xa1, 0x78, 0x00, 0xc0])); // ['x', 0, nil]: no broadcasts
      await raw.publish(`${key}-batch#/#`, '["x", 0, [[{"nsp": "/"'); // JSON cut short
      await raw.publish(`${key}-batch#/#`, '["x", 0, {}]'); // JSON without broadcasts
      a.server.to('user:6').emit('note', 'after');
      await until(() => onB.got.length === 1);
      expect(onB.got).toEqual(['after']);
      expect(adapter).toBeInstanceOf(BatchingRedisAdapter);
    } finally {
      raw.disconnect();
    }
  });
});
