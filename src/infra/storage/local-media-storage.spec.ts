import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { LocalMediaStorage } from './local-media-storage';
import { assertStorageKey } from './media-storage';

describe('LocalMediaStorage', () => {
  let dir: string;
  let storage: LocalMediaStorage;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hl-media-'));
    storage = new LocalMediaStorage(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('stores, reads back and deletes an object under nested keys', async () => {
    await storage.put('conv-1/abc-def', Buffer.from('voice bytes'), 'audio/ogg');
    const stored = await storage.get('conv-1/abc-def');
    expect(stored?.sizeBytes).toBe(11);
    expect(await text(stored!.body)).toBe('voice bytes');
    await storage.delete('conv-1/abc-def');
    expect(await storage.get('conv-1/abc-def')).toBeUndefined();
    await storage.delete('conv-1/abc-def');
  });

  it('answers undefined for a missing object and leaves no temporary files behind', async () => {
    expect(await storage.get('nothing/here')).toBeUndefined();
    await storage.put('a/b', Buffer.from('x'), 'image/png');
    await storage.put('a/b', Buffer.from('yy'), 'image/png');
    expect(await readdir(join(dir, 'a'))).toEqual(['b']);
    expect((await storage.get('a/b'))?.sizeBytes).toBe(2);
  });

  it.each(['../etc/passwd', '/abs', 'a//b', 'A/B', 'a/../b', 'a b', '', 'a/', 'x'.repeat(201)])('refuses the key %j', async (key) => {
    expect(() => assertStorageKey(key)).toThrow(/invalid storage key/);
    await expect(storage.put(key, Buffer.from('x'), 'image/png')).rejects.toThrow(/invalid storage key/);
    await expect(storage.get(key)).rejects.toThrow(/invalid storage key/);
  });
});
