import type { Readable } from 'node:stream';

/** A stored object read back: its bytes as a stream, and its size when the store knows it. */
export interface StoredObject {
  body: Readable;
  sizeBytes?: number;
}

/**
 * Where uploaded media (voice and image messages) is kept. Keys are chosen by the caller and are
 * plain paths of lower-case letters, digits, `-` and `/`; what a key belongs to, and who may read
 * it, is the caller's business (the database row), never the store's.
 */
export abstract class MediaStorage {
  abstract put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** Undefined when there is no such object. */
  abstract get(key: string): Promise<StoredObject | undefined>;
  abstract delete(key: string): Promise<void>;
}

const KEY = /^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)*$/;

/** Refuses anything that could climb out of its folder or mean something to a shell or a URL. */
export function assertStorageKey(key: string): void {
  if (key.length > 200 || !KEY.test(key)) throw new Error(`invalid storage key ${JSON.stringify(key)}`);
}
