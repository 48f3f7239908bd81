import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../common/actor';
import { CallsService } from './calls.service';
import { ListCallsQuery, RescheduleCallDto } from './dto/call.dto';
import { OccurrenceResponse } from './dto/occurrence.dto';

@ApiTags('scheduling')
@ApiBearerAuth()
@Controller('v1/calls')
export class CallsController {
  constructor(private readonly calls: CallsService) {}

  @Get()
  @ApiOperation({ summary: 'Calls between two instants (at most 92 days), in time order: one child, or all children of my families' })
  @ApiOkResponse({ type: [OccurrenceResponse] })
  list(@CurrentActor() actor: Actor, @Query() query: ListCallsQuery): Promise<OccurrenceResponse[]> {
    return this.calls.list(actor, query);
  }

  @Post(':occurrenceId/skip')
  @HttpCode(200)
  @ApiOperation({ summary: 'Skip one upcoming call; the plan goes on' })
  @ApiOkResponse({ type: OccurrenceResponse })
  skip(@CurrentActor() actor: Actor, @Param('occurrenceId', ParseUUIDPipe) occurrenceId: string): Promise<OccurrenceResponse> {
    return this.calls.skip(actor, occurrenceId);
  }

  @Post(':occurrenceId/reschedule')
  @ApiOperation({ summary: 'Move one upcoming call to another time within 14 days; answers the new call, the plan is unchanged' })
  @ApiCreatedResponse({ type: OccurrenceResponse })
  reschedule(
    @CurrentActor() actor: Actor,
    @Param('occurrenceId', ParseUUIDPipe) occurrenceId: string,
    @Body() body: RescheduleCallDto,
  ): Promise<OccurrenceResponse> {
    return this.calls.reschedule(actor, occurrenceId, body);
  }
}
