import { RedisAdapter, type RedisAdapterOptions } from '@socket.io/redis-adapter';
import type { Namespace } from 'socket.io';
import type { BroadcastFlags, BroadcastOptions } from 'socket.io-adapter';
import { OwnEchoParser } from './own-echo-parser';

/** A broadcast as it travels to the other nodes: the packet, and its rooms and exceptions as arrays. */
type RemoteBroadcast = [packet: { nsp?: string }, options: { rooms: string[]; except: string[]; flags?: BroadcastFlags }];

/** The second element of a batch frame, `[uid, BATCH, broadcasts]`: three elements, like a single broadcast, so OwnEchoParser knows its own. */
const BATCH = 0;

/** The adapter's options: its codec must be an OwnEchoParser, which reads both kinds of batch frame and knows this node's own. */
export type BatchingAdapterOptions = Partial<RedisAdapterOptions> & { parser: OwnEchoParser };

/** Whether a packet carries binary data, which JSON cannot (socket.io-parser's own check, which it does not export). */
function hasBinary(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Blob) return true;
  if (Array.isArray(value)) return value.some(hasBinary);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return hasBinary(toJSON.call(value));
  return Object.values(value).some(hasBinary);
}

/**
 * The socket.io Redis adapter, publishing the broadcasts of one tick as one Redis message. A committed
 * batch of messages announces each one (`message:new`) in the same tick; the stock adapter published
 * each on its own, one PUBLISH, one encoding and one echo to read back per message. Here the sockets
 * of this node get each broadcast at once, as before, and the other nodes get the tick's broadcasts
 * in one frame on a channel of its own (`{key}-batch#{nsp}#`), in the order they were made, and
 * deliver them to their own sockets. Everything else (broadcasts from the workers' Redis emitter,
 * requests such as `disconnectSockets`, broadcasts with acknowledgements) goes the stock way.
 *
 * A frame is JSON unless a packet in it carries binary data (then MessagePack, the parser's codec).
 * JSON is what socket.io sends its clients for such packets anyway (Dates as ISO text, and so on), and
 * node encodes it natively into one string: notepack builds MessagePack byte by byte in a JS array,
 * about 3 KiB of garbage per message, a tenth of all the API allocated under the benchmark. The JSON
 * is published as bytes: ioredis holds a string argument on the JS heap until Redis answers, copies
 * it into the command's RESP text and encodes that again when it writes it; a Buffer's bytes live
 * outside the heap and are written as they are (in the benchmark, half the bytes the API promoted
 * per young GC).
 */
export class BatchingRedisAdapter extends RedisAdapter {
  private readonly batchChannel: string;
  private pending: RemoteBroadcast[] = [];

  constructor(nsp: Namespace, pubClient: unknown, subClient: unknown, options: BatchingAdapterOptions) {
    super(nsp, pubClient, subClient, options);
    options.parser.register(this.uid);
    this.batchChannel = `${options.key ?? 'socket.io'}-batch#${nsp.name}#`;
    this.subClient.on('messageBuffer', this.onBatch);
    this.subClient.subscribe(this.batchChannel);
  }

  override broadcast(packet: { nsp?: string }, opts: BroadcastOptions): void {
    if (!opts.flags?.local) {
      packet.nsp = this.nsp.name;
      if (this.pending.push([packet, { rooms: [...opts.rooms], except: [...new Set(opts.except)], flags: opts.flags }]) === 1) process.nextTick(this.flush);
    }
    super.broadcast(packet, { ...opts, flags: { ...opts.flags, local: true } });
  }

  override close(): Promise<void> | void {
    this.subClient.unsubscribe(this.batchChannel);
    this.subClient.off('messageBuffer', this.onBatch);
    return super.close();
  }

  private readonly flush = (): void => {
    const batch = this.pending;
    this.pending = [];
    const frame = [this.uid, BATCH, batch];
    this.pubClient.publish(this.batchChannel, batch.some(([packet]) => hasBinary(packet)) ? this.parser.encode(frame) : Buffer.from(JSON.stringify(frame)));
  };

  /** Another node's tick of broadcasts, delivered to this node's sockets in order; this node's own are dropped. */
  private readonly onBatch = (channel: Buffer, message: Buffer): void => {
    if (channel.toString() !== this.batchChannel) return;
    let frame: [string, number?, RemoteBroadcast[]?];
    try {
      frame = this.parser.decode(message) as typeof frame;
    } catch {
      return; // not a frame of ours: nothing to deliver
    }
    const [uid, , batch] = Array.isArray(frame) ? frame : [];
    if (uid === this.uid || !Array.isArray(batch)) return;
    for (const [packet, { rooms, except, flags }] of batch) {
      super.broadcast(packet, { rooms: new Set(rooms), except: new Set(except), flags: { ...flags, local: true } });
    }
  };
}

/** For `server.adapter(…)`: one BatchingRedisAdapter per namespace, on the given clients (socket.io calls it with `new`, hence no arrow). */
export function createBatchingAdapter(pubClient: unknown, subClient: unknown, options: BatchingAdapterOptions) {
  return function (nsp: Namespace): BatchingRedisAdapter {
    return new BatchingRedisAdapter(nsp, pubClient, subClient, options);
  };
}
