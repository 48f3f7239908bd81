import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsInt, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { OptionalField, IsIanaTimeZone } from '../../../common/validators';
import { CallPlanEntity, CallPlanStatus } from '../call-plan.entity';
import { toHourMinute } from '../recurrence';
import { IsLocalDate } from './fields';

export const MIN_DURATION_MINUTES = 5;
export const MAX_DURATION_MINUTES = 120;
const HOUR_MINUTE = /^([01]\d|2[0-3]):[0-5]\d$/;

class PlanTermsFields {
  @ApiProperty({
    type: [Number],
    example: [0, 3],
    minItems: 1,
    maxItems: 7,
    uniqueItems: true,
    description: "Days of the week in the child's household, 0 = Sunday … 6 = Saturday",
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(7)
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(0, { each: true })
  @Max(6, { each: true })
  daysOfWeek: number[];

  @ApiProperty({ example: '19:30', pattern: HOUR_MINUTE.source, description: "Start, in the household's wall-clock time (24 h)" })
  @IsString()
  @Matches(HOUR_MINUTE, { message: 'startTime must be a 24-hour time "HH:mm", e.g. 19:30' })
  startTime: string;

  @ApiProperty({ example: 30, minimum: MIN_DURATION_MINUTES, maximum: MAX_DURATION_MINUTES })
  @IsInt()
  @Min(MIN_DURATION_MINUTES)
  @Max(MAX_DURATION_MINUTES)
  durationMinutes: number;
}

export class CreateCallPlanDto extends PlanTermsFields {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  childId: string;

  @ApiPropertyOptional({
    example: 'Asia/Shanghai',
    description: "IANA zone of the child's household; defaults to the zone of the child's first guardian, else mine",
  })
  @OptionalField()
  @IsString()
  @IsIanaTimeZone()
  timeZone?: string;

  @ApiPropertyOptional({ format: 'date', example: '2026-12-06', description: 'First possible date, in the household; defaults to today there' })
  @OptionalField()
  @IsLocalDate()
  startsOn?: string;
}

/** Another day or time: what is left out stays as proposed. */
export class CounterCallPlanDto {
  @ApiPropertyOptional({ type: [Number], example: [6], minItems: 1, maxItems: 7, uniqueItems: true, description: '0 = Sunday … 6 = Saturday' })
  @OptionalField()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(7)
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(0, { each: true })
  @Max(6, { each: true })
  daysOfWeek?: number[];

  @ApiPropertyOptional({ example: '10:00', pattern: HOUR_MINUTE.source })
  @OptionalField()
  @IsString()
  @Matches(HOUR_MINUTE, { message: 'startTime must be a 24-hour time "HH:mm", e.g. 19:30' })
  startTime?: string;

  @ApiPropertyOptional({ example: 20, minimum: MIN_DURATION_MINUTES, maximum: MAX_DURATION_MINUTES })
  @OptionalField()
  @IsInt()
  @Min(MIN_DURATION_MINUTES)
  @Max(MAX_DURATION_MINUTES)
  durationMinutes?: number;
}

export class PauseCallPlanDto {
  @ApiPropertyOptional({
    format: 'date',
    example: '2027-02-20',
    description: 'The household date on which calls start again by themselves; left out, the plan stays paused until resumed',
  })
  @OptionalField()
  @IsLocalDate()
  until?: string;
}

export class ListCallPlansQuery {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  childId: string;
}

/** Which side answers the terms now on the table. */
export enum AwaitingSide {
  Guardian = 'guardian',
  Parent = 'parent',
}

export class CallPlanResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ format: 'uuid' })
  familyId: string;
  @ApiProperty({ format: 'uuid' })
  childId: string;
  @ApiProperty({ format: 'uuid', description: 'The parent who calls' })
  parentId: string;
  @ApiProperty({ type: [Number], example: [0, 3] })
  daysOfWeek: number[];
  @ApiProperty({ example: '19:30' })
  startTime: string;
  @ApiProperty({ example: 30 })
  durationMinutes: number;
  @ApiProperty({ example: 'Asia/Shanghai' })
  timeZone: string;
  @ApiProperty({ format: 'date', example: '2026-12-06' })
  startsOn: string;
  @ApiProperty({ enum: CallPlanStatus })
  status: CallPlanStatus;
  @ApiProperty({ format: 'uuid', type: String, nullable: true, description: 'Who made the terms now on the table' })
  proposedBy: string | null;
  @ApiProperty({ enum: AwaitingSide, nullable: true, description: 'Who must accept, decline or counter now' })
  awaiting: AwaitingSide | null;
  @ApiProperty({ format: 'date', type: String, nullable: true })
  pausedUntil: string | null;
  @ApiProperty()
  version: number;
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  acceptedBy: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  acceptedAt: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  endedAt: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

const awaitingOf = (status: CallPlanStatus): AwaitingSide | null =>
  status === CallPlanStatus.Proposed ? AwaitingSide.Guardian : status === CallPlanStatus.Countered ? AwaitingSide.Parent : null;

export const toCallPlanResponse = (p: CallPlanEntity): CallPlanResponse => ({
  id: p.id,
  familyId: p.familyId,
  childId: p.childId,
  parentId: p.parentId,
  daysOfWeek: [...p.daysOfWeek].map(Number).sort((a, b) => a - b),
  startTime: toHourMinute(p.startTime),
  durationMinutes: p.durationMinutes,
  timeZone: p.timeZone,
  startsOn: p.startsOn,
  status: p.status,
  proposedBy: p.proposedBy,
  awaiting: awaitingOf(p.status),
  pausedUntil: p.pausedUntil,
  version: p.version,
  acceptedBy: p.acceptedBy,
  acceptedAt: p.acceptedAt?.toISOString() ?? null,
  endedAt: p.endedAt?.toISOString() ?? null,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});
