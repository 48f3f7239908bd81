import { Controller, Get, Header } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../common/actor';
import { IceServersResponse } from './dto/rtc.dto';
import { IceServersService } from './ice-servers.service';

@ApiTags('calls')
@ApiBearerAuth()
@Controller('v1/rtc')
export class RtcController {
  constructor(private readonly iceServers: IceServersService) {}

  @Get('ice-servers')
  // the credentials are the caller's own and short-lived: no cache may keep or share them
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'STUN and TURN servers for a call, TURN with short-lived credentials (TURN REST API, coturn use-auth-secret)' })
  @ApiOkResponse({ type: IceServersResponse })
  get(@CurrentActor() actor: Actor): IceServersResponse {
    return this.iceServers.forActor(actor);
  }
}
