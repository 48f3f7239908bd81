import { ApiProperty } from '@nestjs/swagger';
import { pageResponse } from '../../common/pagination';
import { AuditAction, AuditEventEntity } from './audit-event.entity';

export class AuditEventResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ enum: AuditAction })
  action: AuditAction;
  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  actorId: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  familyId: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  childId: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true })
  details: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class AuditEventPage extends pageResponse(AuditEventResponse) {}

export const toAuditEventResponse = (e: AuditEventEntity): AuditEventResponse => ({
  id: e.id,
  action: e.action,
  actorId: e.actorId,
  familyId: e.familyId,
  childId: e.childId,
  details: e.details,
  createdAt: e.createdAt.toISOString(),
});
