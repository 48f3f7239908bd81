import { Injectable, Logger, UnsupportedMediaTypeException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Actor } from '../../common/actor';
import { DomainError, ErrorCode, invalidField, notFound } from '../../common/errors';
import { AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transaction';
import { MediaStorage } from '../../infra/storage/media-storage';
import { AccessService } from '../access/access.service';
import { MediaResponse } from './dto/conversation.dto';
import { MediaKind } from './message-media.entity';
import { MediaRow, MessagesRepository } from './messages.repository';

const MiB = 1024 * 1024;
export const MAX_VOICE_MS = 120_000;

interface MediaType {
  kind: MediaKind;
  maxBytes: number;
  /** The file's first bytes must say what its content type claims. */
  looksRight: (b: Buffer) => boolean;
}

const ascii = (b: Buffer, at: number, text: string) => b.length >= at + text.length && b.toString('latin1', at, at + text.length) === text;

/** What may be uploaded: images up to 5 MB, voice up to 2 MB and 120 s. */
export const MEDIA_TYPES: Record<string, MediaType> = {
  'image/jpeg': { kind: MediaKind.Image, maxBytes: 5 * MiB, looksRight: (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  'image/png': { kind: MediaKind.Image, maxBytes: 5 * MiB, looksRight: (b) => ascii(b, 0, '\x89PNG\r\n\x1a\n') },
  'image/webp': { kind: MediaKind.Image, maxBytes: 5 * MiB, looksRight: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP') },
  'audio/aac': { kind: MediaKind.Voice, maxBytes: 2 * MiB, looksRight: (b) => ascii(b, 0, 'ADIF') || (b.length > 2 && b[0] === 0xff && (b[1] & 0xf6) === 0xf0) },
  'audio/mp4': { kind: MediaKind.Voice, maxBytes: 2 * MiB, looksRight: (b) => ascii(b, 4, 'ftyp') },
  'audio/ogg': { kind: MediaKind.Voice, maxBytes: 2 * MiB, looksRight: (b) => ascii(b, 0, 'OggS') },
  'audio/webm': { kind: MediaKind.Voice, maxBytes: 2 * MiB, looksRight: (b) => b.length > 4 && b.readUInt32BE(0) === 0x1a45dfa3 },
};
export const MAX_UPLOAD_BYTES = Math.max(...Object.values(MEDIA_TYPES).map((t) => t.maxBytes));

/** The bare content type, lower-cased, without parameters (`audio/ogg; codecs=opus` → `audio/ogg`). */
export const bareContentType = (header: string | undefined) => (header ?? '').split(';')[0].trim().toLowerCase();

/** Voice and image uploads of a conversation: stored through the storage adapter, served to members only. */
@Injectable()
export class MediaService {
  private readonly logger = new Logger(MediaService.name);

  constructor(
    private readonly transactions: Transactions,
    private readonly access: AccessService,
    private readonly messages: MessagesRepository,
    private readonly storage: MediaStorage,
    private readonly config: AppConfig,
  ) {}

  /** A member uploads a file; a message of kind voice or image then refers to it by `mediaId`. */
  async upload(actor: Actor, conversationId: string, upload: { contentType: string; body: Buffer; durationMs?: number }): Promise<MediaResponse> {
    await this.access.requireConversationMember(actor, conversationId);
    const type = MEDIA_TYPES[upload.contentType];
    if (!type) throw new UnsupportedMediaTypeException(`Send one of ${Object.keys(MEDIA_TYPES).join(', ')}`);
    if (upload.body.length === 0) throw invalidField('body', 'the file is empty');
    if (upload.body.length > type.maxBytes) throw tooLarge(type.maxBytes);
    if (!type.looksRight(upload.body)) throw invalidField('body', `the file is not ${upload.contentType}`);
    let durationMs: number | null = null;
    if (type.kind === MediaKind.Voice) {
      if (upload.durationMs === undefined) throw invalidField('durationMs', 'a voice message needs its length in milliseconds');
      if (upload.durationMs > MAX_VOICE_MS) throw invalidField('durationMs', `a voice message may be at most ${MAX_VOICE_MS / 1000} seconds`);
      durationMs = upload.durationMs;
    } else if (upload.durationMs !== undefined) throw invalidField('durationMs', 'only voice messages have a length');

    const id = randomUUID();
    const media: MediaRow = {
      id,
      conversationId,
      uploadedBy: actor.userId,
      kind: type.kind,
      contentType: upload.contentType,
      sizeBytes: upload.body.length,
      durationMs,
      storageKey: `${conversationId}/${id}`,
    };
    // the file first: a row always has its bytes; bytes whose row failed are removed again
    await this.storage.put(media.storageKey, upload.body, media.contentType);
    try {
      await this.transactions.run((em) => this.messages.insertMedia(em, media));
    } catch (error) {
      await this.removeStored([media.storageKey]);
      throw error;
    }
    return this.toResponse(media);
  }

  /** The file, for anyone who can see its conversation (members; guardians of a child in it). */
  async open(actor: Actor, mediaId: string): Promise<{ media: MediaRow; body: Readable; sizeBytes?: number }> {
    const media = await this.messages.media(mediaId);
    if (!media) throw notFound('Media');
    await this.access.requireConversationVisible(actor, media.conversationId).catch((error: unknown) => {
      throw error instanceof DomainError && error.code === ErrorCode.NotFound ? notFound('Media') : error;
    });
    const stored = await this.storage.get(media.storageKey);
    if (!stored) throw notFound('Media');
    return { media, body: stored.body, sizeBytes: stored.sizeBytes };
  }

  /**
   * Removes stored bytes whose rows are gone (or never came to be), after the transaction that
   * settled it. A failure leaves an orphan file, logged, and does not fail the caller.
   */
  async removeStored(storageKeys: string[]): Promise<void> {
    for (const key of storageKeys) {
      await this.storage.delete(key).catch((err: Error) => this.logger.warn({ err: err.message }, 'stored media could not be removed'));
    }
  }

  private toResponse(media: MediaRow): MediaResponse {
    return {
      mediaId: media.id,
      url: `${this.config.publicUrl}/v1/media/${media.id}`,
      kind: media.kind,
      contentType: media.contentType,
      sizeBytes: media.sizeBytes,
      durationMs: media.durationMs,
    };
  }
}

export const tooLarge = (maxBytes: number) => new DomainError(ErrorCode.PayloadTooLarge, `The file may be at most ${maxBytes / MiB} MB`);
