import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../common/actor';
import { ReminderState } from './reminder.entity';
import { RemindersService, ReminderView } from './reminders.service';

export class ReminderResponse implements ReminderView {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ format: 'uuid', description: 'Who is reminded' })
  userId: string;
  @ApiProperty({ description: 'Minutes before the call; 0 is the "starting now" nudge' })
  offsetMinutes: number;
  @ApiProperty({ format: 'date-time' })
  dueAt: string;
  @ApiProperty({ enum: ReminderState })
  state: ReminderState;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  sentAt: string | null;
}

@ApiTags('scheduling')
@ApiBearerAuth()
@Controller('v1/calls/:occurrenceId/reminders')
export class RemindersController {
  constructor(private readonly reminders: RemindersService) {}

  @Get()
  @ApiOperation({ summary: "Every reminder of one call and its state (the family's adults)" })
  @ApiOkResponse({ type: [ReminderResponse] })
  list(@CurrentActor() actor: Actor, @Param('occurrenceId', ParseUUIDPipe) occurrenceId: string): Promise<ReminderView[]> {
    return this.reminders.forOccurrence(actor, occurrenceId);
  }
}
