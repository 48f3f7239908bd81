import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { OptionalField } from '../../../common/validators';
import { MessageKind } from '../message.entity';

/** Kinds a client may send; system messages come from the service itself. */
export const CLIENT_MESSAGE_KINDS = [MessageKind.Text, MessageKind.Voice, MessageKind.Image] as const;
export type ClientMessageKind = (typeof CLIENT_MESSAGE_KINDS)[number];
export const MAX_TEXT_LENGTH = 4000;
/** No control characters other than line breaks and tabs. */
const NO_CONTROL = /^(?:[^\p{Cc}]|[\n\t])*$/u;

export class PostMessageDto {
  @ApiProperty({ description: "The client's own id for this message: a resend with the same id returns the same message", minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]{1,64}$' })
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'clientMsgId must be 1-64 letters, digits, _ . : or -' })
  clientMsgId: string;

  @ApiProperty({ enum: CLIENT_MESSAGE_KINDS })
  @IsIn(CLIENT_MESSAGE_KINDS)
  kind: ClientMessageKind;

  @ApiPropertyOptional({ description: 'The text (kind text, required), or a caption (voice, image)', maxLength: MAX_TEXT_LENGTH })
  @OptionalField()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_TEXT_LENGTH)
  @Matches(NO_CONTROL, { message: 'body must not contain control characters' })
  body?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'An upload of this conversation (kind voice or image, required)' })
  @OptionalField()
  @IsUUID()
  mediaId?: string;
}

/** `message:send` over the socket: the REST body plus the conversation. */
export class SendMessageEventDto extends PostMessageDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  conversationId: string;
}

export class MarkReadDto {
  @ApiProperty({ description: 'Everything up to this seq has been read; a mark never moves backwards', minimum: 0 })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  upToSeq: number;
}

/** `message:read` over the socket. */
export class MarkReadEventDto extends MarkReadDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  conversationId: string;
}

export class MessagesQueryDto {
  @ApiPropertyOptional({ description: 'Answer the messages after this seq (0: from the start)', minimum: 0, default: 0 })
  @OptionalField()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  afterSeq?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 100 })
  @OptionalField()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class ReportMessageDto {
  @ApiProperty({ description: 'What is wrong with the message, in a few words', minLength: 1, maxLength: 500 })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  @Matches(NO_CONTROL, { message: 'reason must not contain control characters' })
  reason: string;
}

export class MessageResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ format: 'uuid' })
  conversationId: string;
  @ApiProperty({ description: 'Gapless per conversation, from 1' })
  seq: number;
  @ApiProperty()
  clientMsgId: string;
  @ApiProperty({ format: 'uuid', type: String, nullable: true, description: 'Null for system messages' })
  senderId: string | null;
  @ApiProperty({ enum: MessageKind })
  kind: MessageKind;
  @ApiProperty({ type: String, nullable: true, description: 'Null once retracted' })
  body: string | null;
  @ApiPropertyOptional({ format: 'uuid', type: String, nullable: true })
  mediaId?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Where members fetch the voice or image (with their access token)' })
  mediaUrl?: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  retractedAt: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class MessageSyncPage {
  @ApiProperty({ type: [MessageResponse], description: 'Committed messages after `afterSeq`, in seq order' })
  items: MessageResponse[];
  @ApiProperty({ type: Number, nullable: true, description: 'Pass as afterSeq for the next page; null when this page reaches the last message' })
  nextAfterSeq: number | null;
  @ApiProperty({ description: 'The highest seq committed in the conversation when this page was read' })
  lastSeq: number;
}

export class ReadMarkResponse {
  @ApiProperty({ format: 'uuid' })
  conversationId: string;
  @ApiProperty({ format: 'uuid' })
  userId: string;
  @ApiProperty()
  readSeq: number;
}

export class ReportResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ format: 'uuid' })
  messageId: string;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

/** The row shape every message read produces. */
export interface MessageRow {
  id: string;
  conversationId: string;
  seq: string | number;
  clientMsgId: string;
  senderId: string | null;
  kind: MessageKind;
  body: string | null;
  mediaId: string | null;
  retractedAt: Date | null;
  createdAt: Date;
}

/** A retracted message keeps its place (seq, sender, time) and loses its content. */
export const toMessageResponse = (row: MessageRow, publicUrl: string): MessageResponse => {
  const hidden = row.retractedAt !== null;
  const mediaId = hidden ? null : row.mediaId;
  return {
    id: row.id,
    conversationId: row.conversationId,
    seq: Number(row.seq),
    clientMsgId: row.clientMsgId,
    senderId: row.senderId,
    kind: row.kind,
    body: hidden ? null : row.body,
    mediaId,
    mediaUrl: mediaId ? `${publicUrl}/v1/media/${mediaId}` : null,
    retractedAt: row.retractedAt ? new Date(row.retractedAt).toISOString() : null,
    createdAt: new Date(row.createdAt).toISOString(),
  };
};
