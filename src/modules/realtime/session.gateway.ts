import { UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import { Clock } from '../../common/clock';
import { SocketProblemFilter } from '../../common/socket-exception.filter';
import { socketValidationPipe } from '../../common/validation';
import { socketActor, WsSessionGuard } from '../identity/ws-session.guard';
import { NotificationReceivedDto } from '../notifications/notifications.dto';
import { NotificationsService } from '../notifications/notifications.service';

/**
 * The socket's own events: a ping, and the receipts of notifications. Authentication happens in the
 * handshake (RealtimeIoAdapter); presence is registered once per socket, by the calls gateway
 * (FamilyPresenceService), which also tells the user's circle. Feature modules add their events in
 * their own gateways with the same guard, pipe and filter.
 */
@WebSocketGateway()
@UseGuards(WsSessionGuard)
@UseFilters(SocketProblemFilter)
@UsePipes(socketValidationPipe())
export class SessionGateway {
  constructor(
    private readonly notifications: NotificationsService,
    private readonly clock: Clock,
  ) {}

  @SubscribeMessage('session:ping')
  ping(@ConnectedSocket() socket: Socket): { ok: true; userId: string; at: string } {
    return { ok: true, userId: socketActor(socket).userId, at: this.clock.now().toISOString() };
  }

  /** The app got a `notification` event: no SMS fallback for it. Only its own user may confirm it. */
  @SubscribeMessage('notification:received')
  async notificationReceived(@ConnectedSocket() socket: Socket, @MessageBody() body: NotificationReceivedDto): Promise<{ ok: true }> {
    await this.notifications.markReceived(socketActor(socket), body.id);
    return { ok: true };
  }
}
