import { decode } from 'notepack.io';
import { OwnEchoParser } from './own-echo-parser';

describe('OwnEchoParser', () => {
  // what the Redis adapter publishes for a broadcast: [its uid, the packet, the broadcast options]
  const broadcast = (uid: string) => [uid, { type: 2, data: ['message:new', { id: 'm1', body: '你好' }], nsp: '/' }, { rooms: ['user:a'], except: [] }];

  it('answers an own broadcast with its uid alone, without decoding the rest', () => {
    const parser = new OwnEchoParser();
    parser.register('AbC123');
    const encoded = parser.encode(broadcast('AbC123'));
    // the packet is not read: even a corrupt one would not be
    const corrupt = Buffer.concat([encoded.subarray(0, 9), Buffer.from([0xc1, 0xc1])]);
    expect(parser.decode(encoded)).toEqual(['AbC123']);
    expect(parser.decode(corrupt)).toEqual(['AbC123']);
  });

  it("decodes another node's broadcast in full, even when its uid differs only in the last letter", () => {
    const parser = new OwnEchoParser();
    parser.register('AbC123');
    for (const other of ['AbC124', 'XyZ999']) {
      const message = broadcast(other);
      expect(parser.decode(parser.encode(message))).toEqual(message);
    }
  });

  it('decodes requests and responses (objects, not broadcasts) in full, and everything before any adapter registered', () => {
    const parser = new OwnEchoParser();
    const request = { uid: 'AbC123', requestId: 'r1', type: 3, opts: { rooms: [] } };
    expect(parser.decode(parser.encode(broadcast('AbC123')))).toEqual(broadcast('AbC123'));
    parser.register('AbC123');
    expect(parser.decode(parser.encode(request))).toEqual(request);
  });

  it("reads JSON batch frames: its own answered with the uid alone, undecoded; another node's in full", () => {
    const parser = new OwnEchoParser();
    parser.register('AbC123');
    const frame = (uid: string) => [uid, 0, [[{ type: 2, data: ['message:new', { id: 'm1', body: '你好' }], nsp: '/' }, { rooms: ['user:a'], except: [] }]]];
    expect(parser.decode(Buffer.from(`${JSON.stringify(frame('AbC123')).slice(0, 12)}{corrupt`))).toEqual(['AbC123']);
    for (const other of ['AbC1234', 'XyZ999']) expect(parser.decode(Buffer.from(JSON.stringify(frame(other))))).toEqual(frame(other));
  });

  it('encodes exactly as the default MessagePack codec, so nodes with and without it interoperate', () => {
    const parser = new OwnEchoParser();
    const message = broadcast('AbC123');
    expect(decode(parser.encode(message))).toEqual(message);
  });
});
