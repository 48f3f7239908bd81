import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../common/actor';
import { PreferencesResponse, UpdatePreferencesDto } from './preferences.dto';
import { PreferencesService } from './preferences.service';

@ApiTags('notifications')
@ApiBearerAuth()
@Controller('v1/me/preferences')
export class PreferencesController {
  constructor(private readonly preferences: PreferencesService) {}

  @Get()
  @ApiOperation({ summary: 'My notification preferences: channels, quiet hours, reminder offsets, language (adults)' })
  @ApiOkResponse({ type: PreferencesResponse })
  get(@CurrentActor() actor: Actor): Promise<PreferencesResponse> {
    return this.preferences.get(actor);
  }

  @Put()
  @ApiOperation({ summary: 'Replace my notification preferences (adults)' })
  @ApiOkResponse({ type: PreferencesResponse })
  update(@CurrentActor() actor: Actor, @Body() body: UpdatePreferencesDto): Promise<PreferencesResponse> {
    return this.preferences.update(actor, body);
  }
}
