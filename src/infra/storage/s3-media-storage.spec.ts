import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { S3MediaStorage } from './s3-media-storage';

/** The adapter's side of the SDK: which commands it sends, and how it reads their answers. */
describe('S3MediaStorage', () => {
  const options = { bucket: 'homeline-media', region: 'us-east-1', forcePathStyle: true };
  const fakeClient = (answer: (command: unknown) => unknown) => {
    const sent: unknown[] = [];
    const client = { send: jest.fn(async (command: unknown) => (sent.push(command), answer(command))), destroy: jest.fn() } as unknown as S3Client;
    return { client, sent };
  };

  it('puts an object with its type and length under the key, in the bucket', async () => {
    const { client, sent } = fakeClient(() => ({}));
    await new S3MediaStorage(options, client).put('conv/abc', Buffer.from('image'), 'image/png');
    expect(sent[0]).toBeInstanceOf(PutObjectCommand);
    expect((sent[0] as PutObjectCommand).input).toMatchObject({ Bucket: 'homeline-media', Key: 'conv/abc', ContentType: 'image/png', ContentLength: 5 });
  });

  it('streams an object back, and answers undefined for a missing one', async () => {
    const { client, sent } = fakeClient((command) => {
      const key = (command as GetObjectCommand).input.Key;
      if (key === 'conv/none') throw new NoSuchKey({ message: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
      return { Body: Readable.from([Buffer.from('voice')]), ContentLength: 5 };
    });
    const storage = new S3MediaStorage(options, client);
    const found = await storage.get('conv/abc');
    expect(found?.sizeBytes).toBe(5);
    expect(await text(found!.body)).toBe('voice');
    expect(await storage.get('conv/none')).toBeUndefined();
    expect(sent.every((c) => c instanceof GetObjectCommand)).toBe(true);
  });

  it('deletes by key, and refuses unsafe keys before any request', async () => {
    const { client, sent } = fakeClient(() => ({}));
    const storage = new S3MediaStorage(options, client);
    await storage.delete('conv/abc');
    expect(sent[0]).toBeInstanceOf(DeleteObjectCommand);
    await expect(storage.put('../x', Buffer.from('x'), 'image/png')).rejects.toThrow(/invalid storage key/);
    expect(sent).toHaveLength(1);
  });
});
