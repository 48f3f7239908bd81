import { UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import { DomainError, ErrorCode } from '../../common/errors';
import { SocketProblemFilter } from '../../common/socket-exception.filter';
import { PrecompiledValidationPipe, socketValidationPipe } from '../../common/validation';
import { socketActor, WsSessionGuard } from '../identity/ws-session.guard';
import { MarkReadEventDto, MessageResponse, ReadMarkResponse, SendMessageEventDto } from './dto/message.dto';
import { MessagingService } from './messaging.service';

/**
 * `message:send` and `message:read`. Every event is authorised against the current state: `read`
 * through the session guard, `send` in the very statement that stores its batch (the access
 * module's sendStandingsSql checks the same live session, membership and contacts once per batch,
 * not once per message).
 * `send` is the hot event: its payload is checked by the precompiled form of the strict pipe (the same
 * rules and, for a refused payload, the same errors).
 */
@WebSocketGateway()
@UseFilters(SocketProblemFilter)
export class MessagingGateway {
  constructor(private readonly messaging: MessagingService) {}

  @UsePipes(PrecompiledValidationPipe)
  @SubscribeMessage('message:send')
  async send(@ConnectedSocket() socket: Socket, @MessageBody() body: SendMessageEventDto): Promise<{ ok: true; message: MessageResponse }> {
    const { conversationId, ...input } = body;
    try {
      // this socket has the message in its answer; the members' other devices get message:new
      return { ok: true, message: await this.messaging.send(socketActor(socket), conversationId, input, { socketId: socket.id }) };
    } catch (error) {
      // as the session guard does: an ended sign-in closes the socket after its answer
      if (error instanceof DomainError && error.code === ErrorCode.Unauthenticated) setImmediate(() => socket.disconnect(true));
      throw error;
    }
  }

  @UseGuards(WsSessionGuard)
  @UsePipes(socketValidationPipe())
  @SubscribeMessage('message:read')
  async read(@ConnectedSocket() socket: Socket, @MessageBody() body: MarkReadEventDto): Promise<{ ok: true } & ReadMarkResponse> {
    const { conversationId, upToSeq } = body;
    return { ok: true, ...(await this.messaging.markRead(socketActor(socket), conversationId, { upToSeq })) };
  }
}
