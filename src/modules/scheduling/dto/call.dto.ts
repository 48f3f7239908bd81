import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { OptionalField } from '../../../common/validators';
import { IsInstant } from './fields';

export const MAX_LIST_RANGE_DAYS = 92;
export const RESCHEDULE_WITHIN_DAYS = 14;

export class ListCallsQuery {
  @ApiProperty({ format: 'date-time', example: '2026-12-01T00:00:00Z', description: 'Calls that end after this instant' })
  @IsInstant()
  from: string;

  @ApiProperty({ format: 'date-time', example: '2027-01-01T00:00:00Z', description: `Calls that start before this instant; at most ${MAX_LIST_RANGE_DAYS} days after from` })
  @IsInstant()
  to: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'One child; left out, every child of my families (a child: itself)' })
  @OptionalField()
  @IsUUID()
  childId?: string;
}

export class RescheduleCallDto {
  @ApiProperty({
    format: 'date-time',
    example: '2026-12-07T11:30:00Z',
    description: `The new start, a future instant within ${RESCHEDULE_WITHIN_DAYS} days; the call keeps its length`,
  })
  @IsInstant()
  startsAt: string;
}

export class CalendarTokenResponse {
  @ApiProperty({ example: 'https://homeline.app/v1/calendar/3q2-…ZQ.ics', description: 'Subscribe to this URL in a calendar app; keep it secret' })
  url: string;
  @ApiProperty({ description: 'The secret in the URL; a new one makes the old URL stop working' })
  token: string;
}
