import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Actor, CurrentActor } from '../../common/actor';
import { invalidField } from '../../common/errors';
import { Page, PageQueryDto } from '../../common/pagination';
import { ConversationPage, ConversationResponse, CreateConversationDto, MediaResponse } from './dto/conversation.dto';
import { MarkReadDto, MessageResponse, MessagesQueryDto, MessageSyncPage, PostMessageDto, ReadMarkResponse, ReportMessageDto, ReportResponse } from './dto/message.dto';
import { bareContentType, MAX_UPLOAD_BYTES, MAX_VOICE_MS, MEDIA_TYPES, MediaService, tooLarge } from './media.service';
import { MessagingService } from './messaging.service';
import { SafetyService } from './safety.service';

@ApiTags('messaging')
@ApiBearerAuth()
@Controller('v1/conversations')
export class ConversationsController {
  constructor(
    private readonly messaging: MessagingService,
    private readonly media: MediaService,
  ) {}

  @Get()
  @ApiOperation({ summary: "My conversations (and, read-only, those of a child I am guardian of), most recent first, with unread counts" })
  @ApiOkResponse({ type: ConversationPage })
  list(@CurrentActor() actor: Actor, @Query() query: PageQueryDto): Promise<Page<ConversationResponse>> {
    return this.messaging.list(actor, query);
  }

  @Post()
  @ApiOperation({ summary: "Open a conversation around a child with some of the child's approved contacts (an adult of the child's family)" })
  @ApiCreatedResponse({ type: ConversationResponse })
  create(@CurrentActor() actor: Actor, @Body() body: CreateConversationDto): Promise<ConversationResponse> {
    return this.messaging.create(actor, body);
  }

  @Get(':conversationId')
  @ApiOperation({ summary: 'A conversation: members, read marks, last message, unread count' })
  @ApiOkResponse({ type: ConversationResponse })
  get(@CurrentActor() actor: Actor, @Param('conversationId', ParseUUIDPipe) conversationId: string): Promise<ConversationResponse> {
    return this.messaging.get(actor, conversationId);
  }

  @Get(':conversationId/messages')
  @ApiOperation({ summary: 'Sync: exactly the committed messages after afterSeq, in seq order (at most 200 per page)' })
  @ApiOkResponse({ type: MessageSyncPage })
  messages(
    @CurrentActor() actor: Actor,
    @Param('conversationId', ParseUUIDPipe) conversationId: string,
    @Query() query: MessagesQueryDto,
  ): Promise<MessageSyncPage> {
    return this.messaging.after(actor, conversationId, query);
  }

  @Post(':conversationId/messages')
  @ApiOperation({ summary: 'Send a message; committed with its seq before the answer. A resend with the same clientMsgId answers the same message' })
  @ApiCreatedResponse({ type: MessageResponse })
  send(
    @CurrentActor() actor: Actor,
    @Param('conversationId', ParseUUIDPipe) conversationId: string,
    @Body() body: PostMessageDto,
  ): Promise<MessageResponse> {
    return this.messaging.send(actor, conversationId, body);
  }

  @Post(':conversationId/read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Move my read mark forward (never backwards); the other members get message:receipt' })
  @ApiOkResponse({ type: ReadMarkResponse })
  read(
    @CurrentActor() actor: Actor,
    @Param('conversationId', ParseUUIDPipe) conversationId: string,
    @Body() body: MarkReadDto,
  ): Promise<ReadMarkResponse> {
    return this.messaging.markRead(actor, conversationId, body);
  }

  @Post(':conversationId/media')
  @ApiOperation({
    summary: `Upload a voice message (audio/aac, mp4, ogg, webm; at most 2 MB and ${MAX_VOICE_MS / 1000} s, durationMs required) or an image (image/jpeg, png, webp; at most 5 MB) as the raw request body`,
  })
  @ApiConsumes(...Object.keys(MEDIA_TYPES))
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiQuery({ name: 'durationMs', required: false, type: Number, description: 'Length of a voice message in milliseconds' })
  @ApiCreatedResponse({ type: MediaResponse })
  async upload(
    @CurrentActor() actor: Actor,
    @Param('conversationId', ParseUUIDPipe) conversationId: string,
    @Query('durationMs') durationMs: string | undefined,
    @Req() request: Request,
  ): Promise<MediaResponse> {
    const duration = durationMs === undefined ? undefined : Number(durationMs);
    if (duration !== undefined && (!/^\d{1,9}$/.test(durationMs!) || duration < 1)) throw invalidField('durationMs', 'must be a whole number of milliseconds');
    const body = await readRawBody(request, MAX_UPLOAD_BYTES);
    return this.media.upload(actor, conversationId, { contentType: bareContentType(request.headers['content-type']), body, durationMs: duration });
  }
}

@ApiTags('messaging')
@ApiBearerAuth()
@Controller('v1/messages')
export class MessagesController {
  constructor(
    private readonly messaging: MessagingService,
    private readonly safety: SafetyService,
  ) {}

  @Post(':messageId/retract')
  @HttpCode(200)
  @ApiOperation({ summary: 'Retract my message: it keeps its place and shows as retracted; its content is hidden from then on' })
  @ApiOkResponse({ type: MessageResponse })
  retract(@CurrentActor() actor: Actor, @Param('messageId', ParseUUIDPipe) messageId: string): Promise<MessageResponse> {
    return this.messaging.retract(actor, messageId);
  }

  @Post(':messageId/report')
  @ApiOperation({ summary: "Report a message; the guardians of every child in the conversation are told" })
  @ApiCreatedResponse({ type: ReportResponse })
  report(@CurrentActor() actor: Actor, @Param('messageId', ParseUUIDPipe) messageId: string, @Body() body: ReportMessageDto): Promise<ReportResponse> {
    return this.safety.report(actor, messageId, body);
  }
}

@ApiTags('messaging')
@ApiBearerAuth()
@Controller('v1/media')
export class MediaController {
  constructor(private readonly media: MediaService) {}

  @Get(':mediaId')
  @ApiOperation({ summary: "A voice message or image, for those who can see its conversation" })
  @ApiProduces(...Object.keys(MEDIA_TYPES))
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' } })
  async get(
    @CurrentActor() actor: Actor,
    @Param('mediaId', ParseUUIDPipe) mediaId: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    const { media, body, sizeBytes } = await this.media.open(actor, mediaId);
    response.setHeader('Cache-Control', 'private, max-age=86400, immutable');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Content-Disposition', 'inline');
    return new StreamableFile(body, { type: media.contentType, length: sizeBytes });
  }
}

/** Reads an upload's bytes, refusing (413) as soon as it passes `maxBytes`, declared or not. */
async function readRawBody(request: Request, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      request.unpipe();
      throw tooLarge(maxBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
