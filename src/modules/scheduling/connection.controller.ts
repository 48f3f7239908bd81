import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../common/actor';
import { ConnectionSummary, ConnectionSummaryService, PeriodSummary } from './connection-summary.service';
import { OccurrenceResponse } from './dto/occurrence.dto';
import { MissedCallsService } from './missed-calls.service';

export class PeriodSummaryResponse implements PeriodSummary {
  @ApiProperty()
  callsCompleted: number;
  @ApiProperty()
  callsMissed: number;
  @ApiProperty()
  minutesTalked: number;
}

export class ConnectionSummaryResponse implements ConnectionSummary {
  @ApiProperty({ format: 'uuid' })
  childId: string;
  @ApiProperty({ format: 'date-time', type: String, nullable: true, description: 'The last completed call, or message between the child and a parent' })
  lastContactAt: string | null;
  @ApiProperty({ type: PeriodSummaryResponse })
  last7Days: PeriodSummaryResponse;
  @ApiProperty({ type: PeriodSummaryResponse })
  last30Days: PeriodSummaryResponse;
  @ApiProperty({ description: 'Consecutive weeks with at least one completed call' })
  weeklyStreak: number;
}

@ApiTags('scheduling')
@ApiBearerAuth()
@Controller('v1')
export class ConnectionController {
  constructor(
    private readonly summaries: ConnectionSummaryService,
    private readonly missed: MissedCallsService,
  ) {}

  @Get('children/:childId/connection-summary')
  @ApiOperation({ summary: 'Last contact, calls completed and missed, minutes talked, weekly streak' })
  @ApiOkResponse({ type: ConnectionSummaryResponse })
  summary(@CurrentActor() actor: Actor, @Param('childId', ParseUUIDPipe) childId: string): Promise<ConnectionSummary> {
    return this.summaries.forChild(actor, childId);
  }

  @Post('calls/:occurrenceId/makeup')
  @HttpCode(201)
  @ApiOperation({ summary: 'Accept the proposed make-up slot of a missed call (a guardian, one step)' })
  @ApiCreatedResponse({ type: OccurrenceResponse })
  acceptMakeup(@CurrentActor() actor: Actor, @Param('occurrenceId', ParseUUIDPipe) occurrenceId: string): Promise<OccurrenceResponse> {
    return this.missed.acceptMakeup(actor, occurrenceId);
  }
}
