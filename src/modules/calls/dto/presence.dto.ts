import { ApiProperty } from '@nestjs/swagger';
import { UserKind } from '../../../common/actor';
import { FamilyRole } from '../../access/access.service';

export class PresenceEntryResponse {
  @ApiProperty({ format: 'uuid' })
  userId: string;
  @ApiProperty()
  displayName: string;
  @ApiProperty({ enum: UserKind, enumName: 'UserKind' })
  kind: UserKind;
  @ApiProperty({ enum: FamilyRole, enumName: 'FamilyRole', isArray: true, description: 'Empty for a child' })
  roles: FamilyRole[];
  @ApiProperty({ description: 'Has a live connection on some device now: a call to them would ring' })
  online: boolean;
}

export class FamilyPresenceResponse {
  @ApiProperty({ format: 'uuid' })
  familyId: string;
  @ApiProperty({ type: [PresenceEntryResponse] })
  members: PresenceEntryResponse[];
}

export class ChildPresenceResponse {
  @ApiProperty({ format: 'uuid' })
  childId: string;
  @ApiProperty({ description: "One of the child's devices is connected: a call would ring it" })
  online: boolean;
}

/** The `presence` socket event. */
export interface PresenceEvent {
  userId: string;
  online: boolean;
  at: string;
}
