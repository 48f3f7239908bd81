import { decode, encode } from 'notepack.io';

/** A JSON frame's first byte, `[`; a MessagePack array starts with its header (0x93 for three elements). */
const JSON_ARRAY = 0x5b;

/**
 * The socket.io Redis adapter's message codec (MessagePack, its default) that spares a node the
 * decoding of its own broadcasts. Every node hears every broadcast on the channel it publishes to,
 * its own included, and the adapter decodes each one only to find its own uid and drop it: at a
 * few thousand messages a second that is a tenth of a busy API node. A broadcast is encoded as
 * `[uid, packet, options]` (a tick's batch, by BatchingRedisAdapter, as `[uid, 0, broadcasts]`), so
 * its first bytes are an array header and the uid: one from a known adapter of this process answers
 * `[uid]` undecoded, which the adapter drops as before. It also reads the batch frames that
 * BatchingRedisAdapter sends as JSON (`["uid",0,[…]]`, when no packet carries binary), its own
 * recognised the same way; what it encodes stays MessagePack, as the stock codec's.
 */
export class OwnEchoParser {
  private readonly own: { uid: string; prefixes: Buffer[] }[] = [];

  /** An adapter of this process (one per namespace): its echoes are recognised from now on. */
  register(uid: string): void {
    const head = encode([uid]) as Buffer;
    // [uid] and [uid, packet, options] share all but the array header's length
    this.own.push({ uid, prefixes: [Buffer.concat([Buffer.from([0x93]), head.subarray(1)]), Buffer.from(`[${JSON.stringify(uid)},`)] });
  }

  encode(message: unknown): Buffer {
    return encode(message) as Buffer;
  }

  decode(message: Buffer): unknown {
    if (!Buffer.isBuffer(message)) return decode(message);
    for (const { uid, prefixes } of this.own) {
      for (const prefix of prefixes) {
        if (message.length > prefix.length && message.compare(prefix, 0, prefix.length, 0, prefix.length) === 0) return [uid];
      }
    }
    return message[0] === JSON_ARRAY ? JSON.parse(message.toString()) : decode(message);
  }
}
