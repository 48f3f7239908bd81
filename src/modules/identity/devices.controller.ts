import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../common/actor';
import { DevicesService } from './devices.service';
import { ChildDeviceResponse } from './dto/device.dto';
import { CodeResponse } from './dto/me.dto';

@ApiTags('children')
@ApiBearerAuth()
@Controller('v1/children/:childId')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Post('pairing-codes')
  @ApiOperation({ summary: "Issue a one-time code (10 minutes) to pair the child's device" })
  @ApiCreatedResponse({ type: CodeResponse })
  issuePairingCode(@CurrentActor() actor: Actor, @Param('childId', ParseUUIDPipe) childId: string): Promise<CodeResponse> {
    return this.devices.issuePairingCode(actor, childId);
  }

  @Get('devices')
  @ApiOperation({ summary: "List the child's paired devices" })
  @ApiOkResponse({ type: [ChildDeviceResponse] })
  list(@CurrentActor() actor: Actor, @Param('childId', ParseUUIDPipe) childId: string): Promise<ChildDeviceResponse[]> {
    return this.devices.list(actor, childId);
  }

  @Delete('devices/:deviceId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a device: its tokens and open sockets stop at once' })
  @ApiNoContentResponse()
  revoke(
    @CurrentActor() actor: Actor,
    @Param('childId', ParseUUIDPipe) childId: string,
    @Param('deviceId', ParseUUIDPipe) deviceId: string,
  ): Promise<void> {
    return this.devices.revoke(actor, childId, deviceId);
  }
}
