import { ApiProperty } from '@nestjs/swagger';
import { CallOccurrenceEntity, OccurrenceKind, OccurrenceState } from '../call-occurrence.entity';

export class OccurrenceResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ format: 'uuid' })
  planId: string;
  @ApiProperty({ format: 'uuid' })
  childId: string;
  @ApiProperty({ format: 'date-time', description: 'UTC instant' })
  startsAt: string;
  @ApiProperty({ format: 'date-time' })
  endsAt: string;
  @ApiProperty({ example: '2026-11-29', description: "Date in the child's household" })
  localDate: string;
  @ApiProperty({ example: 'Asia/Shanghai' })
  timeZone: string;
  @ApiProperty({ enum: OccurrenceState })
  state: OccurrenceState;
  @ApiProperty({ enum: OccurrenceKind })
  kind: OccurrenceKind;
  @ApiProperty()
  version: number;
  @ApiProperty({ format: 'uuid', type: String, nullable: true, description: 'The call this one moved or makes up for' })
  replacesId: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true, description: 'For a missed call: the proposed make-up slot' })
  makeupStartsAt: string | null;
}

export const toOccurrenceResponse = (o: CallOccurrenceEntity): OccurrenceResponse => ({
  id: o.id,
  planId: o.planId,
  childId: o.childId,
  startsAt: o.startsAt.toISOString(),
  endsAt: o.endsAt.toISOString(),
  localDate: o.localDate,
  timeZone: o.timeZone,
  state: o.state,
  kind: o.kind,
  version: o.version,
  replacesId: o.replacesId,
  makeupStartsAt: o.makeupStartsAt?.toISOString() ?? null,
});
