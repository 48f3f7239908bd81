import { UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { ConnectedSocket, MessageBody, OnGatewayConnection, OnGatewayDisconnect, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import { Actor } from '../../common/actor';
import { SocketProblemFilter } from '../../common/socket-exception.filter';
import { socketValidationPipe } from '../../common/validation';
import { Presence } from '../../infra/realtime/presence';
import { socketActor, WsSessionGuard } from '../identity/ws-session.guard';
import { NotificationReceivedDto } from '../notifications/notifications.dto';
import { NotificationsService } from '../notifications/notifications.service';

/**
 * The socket's own lifecycle: presence on connect and disconnect, and the receipts of notifications.
 * Authentication happens in the handshake (RealtimeIoAdapter); feature modules add their events in
 * their own gateways with the same guard, pipe and filter.
 */
@WebSocketGateway()
@UseGuards(WsSessionGuard)
@UseFilters(SocketProblemFilter)
@UsePipes(socketValidationPipe())
export class SessionGateway implements OnGatewayConnection, OnGatewayDisconnect {
  constructor(
    private readonly presence: Presence,
    private readonly notifications: NotificationsService,
  ) {}

  /** Only authenticated sockets get here (the handshake middleware refuses the rest). */
  async handleConnection(socket: Socket): Promise<void> {
    const actor = socket.data.actor as Actor | undefined;
    if (actor) await this.presence.connected(actor.userId, socket.id);
  }

  async handleDisconnect(socket: Socket): Promise<void> {
    const actor = socket.data.actor as Actor | undefined;
    if (actor) await this.presence.disconnected(actor.userId, socket.id);
  }

  @SubscribeMessage('session:ping')
  ping(@ConnectedSocket() socket: Socket): { ok: true; userId: string; at: string } {
    return { ok: true, userId: socketActor(socket).userId, at: new Date().toISOString() };
  }

  /** The app got a `notification` event: no SMS fallback for it. Only its own user may confirm it. */
  @SubscribeMessage('notification:received')
  async notificationReceived(@ConnectedSocket() socket: Socket, @MessageBody() body: NotificationReceivedDto): Promise<{ ok: true }> {
    await this.notifications.markReceived(socketActor(socket), body.id);
    return { ok: true };
  }
}
