import { Module } from '@nestjs/common';
import { WsSessionGuard } from '../identity/ws-session.guard';
import { SchedulingModule } from '../scheduling/scheduling.module';
import { CallLiveState } from './call-live-state';
import { CallSessionsProcessor } from './call-sessions.processor';
import { CallSessionsRepository } from './call-sessions.repository';
import { CallSessionsService } from './call-sessions.service';
import { CallsGateway } from './calls.gateway';
import { FamilyPresenceService } from './family-presence.service';
import { IceServersService } from './ice-servers.service';
import { PresenceController } from './presence.controller';
import { PresenceRepository } from './presence.repository';
import { RtcController } from './rtc.controller';

/**
 * Live calls (ringing, answering, signaling relay, time-outs), ICE servers and family presence.
 * Access, transactions, jobs, the realtime publisher and presence come from global modules; the
 * scheduling module's reminders are superseded when a call realises a scheduled one.
 */
@Module({
  imports: [SchedulingModule],
  controllers: [RtcController, PresenceController],
  providers: [
    CallSessionsService,
    CallSessionsRepository,
    CallLiveState,
    CallSessionsProcessor,
    CallsGateway,
    WsSessionGuard,
    FamilyPresenceService,
    PresenceRepository,
    IceServersService,
  ],
})
export class CallsModule {}
