import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../common/actor';
import { ChildPresenceResponse, FamilyPresenceResponse } from './dto/presence.dto';
import { FamilyPresenceService } from './family-presence.service';

@ApiTags('calls')
@ApiBearerAuth()
@Controller('v1/presence')
export class PresenceController {
  constructor(private readonly presence: FamilyPresenceService) {}

  @Get('families/:familyId')
  @ApiOperation({ summary: "Who in the family is online now (a child: the family's adults and itself); `presence` events tell changes" })
  @ApiOkResponse({ type: FamilyPresenceResponse })
  family(@CurrentActor() actor: Actor, @Param('familyId', ParseUUIDPipe) familyId: string): Promise<FamilyPresenceResponse> {
    return this.presence.forFamily(actor, familyId);
  }

  @Get('children/:childId')
  @ApiOperation({ summary: "Whether the child's device is online, for the child's approved contacts: a call would ring it" })
  @ApiOkResponse({ type: ChildPresenceResponse })
  child(@CurrentActor() actor: Actor, @Param('childId', ParseUUIDPipe) childId: string): Promise<ChildPresenceResponse> {
    return this.presence.forChild(actor, childId);
  }
}
