import { Module } from '@nestjs/common';
import { WsSessionGuard } from '../identity/ws-session.guard';
import { NotificationsModule } from '../notifications/notifications.module';
import { SessionGateway } from './session.gateway';

@Module({ imports: [NotificationsModule], providers: [SessionGateway, WsSessionGuard] })
export class RealtimeModule {}
