import { Module } from '@nestjs/common';
import { WsSessionGuard } from '../identity/ws-session.guard';
import { SessionGateway } from './session.gateway';

@Module({ providers: [SessionGateway, WsSessionGuard] })
export class RealtimeModule {}
