import { decode, encode } from 'notepack.io';

/**
 * The socket.io Redis adapter's message codec (MessagePack, its default) that spares a node the
 * decoding of its own broadcasts. Every node hears every broadcast on the channel it publishes to,
 * its own included, and the adapter decodes each one only to find its own uid and drop it: at a
 * few thousand messages a second that is a tenth of a busy API node. A broadcast is encoded as
 * `[uid, packet, options]` (a tick's batch, by BatchingRedisAdapter, as `[uid, 0, broadcasts]`), so
 * its first bytes are an array header and the uid: one from a known adapter of this process answers
 * `[uid]` undecoded, which the adapter drops as before.
 */
export class OwnEchoParser {
  private readonly own: { uid: string; prefix: Buffer }[] = [];

  /** An adapter of this process (one per namespace): its echoes are recognised from now on. */
  register(uid: string): void {
    const head = encode([uid]) as Buffer;
    // [uid] and [uid, packet, options] share all but the array header's length
    this.own.push({ uid, prefix: Buffer.concat([Buffer.from([0x93]), head.subarray(1)]) });
  }

  encode(message: unknown): Buffer {
    return encode(message) as Buffer;
  }

  decode(message: Buffer): unknown {
    if (Buffer.isBuffer(message)) for (const { uid, prefix } of this.own) {
      if (message.length > prefix.length && message.compare(prefix, 0, prefix.length, 0, prefix.length) === 0) return [uid];
    }
    return decode(message);
  }
}
