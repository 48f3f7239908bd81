import { UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { ConnectedSocket, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import { SocketProblemFilter } from '../../common/socket-exception.filter';
import { socketValidationPipe } from '../../common/validation';
import { socketActor, WsSessionGuard } from '../identity/ws-session.guard';

/**
 * The socket's own lifecycle. Authentication happens in the handshake (RealtimeIoAdapter); feature
 * modules add their events in their own gateways with the same guard, pipe and filter.
 */
@WebSocketGateway()
@UseGuards(WsSessionGuard)
@UseFilters(SocketProblemFilter)
@UsePipes(socketValidationPipe())
export class SessionGateway {
  @SubscribeMessage('session:ping')
  ping(@ConnectedSocket() socket: Socket): { ok: true; userId: string; at: string } {
    return { ok: true, userId: socketActor(socket).userId, at: new Date().toISOString() };
  }
}
