import { ApiProperty } from '@nestjs/swagger';
import { IsEnum, IsString, Length } from 'class-validator';
import { pageResponse } from '../../../common/pagination';
import { FamilyRole } from '../../access/access.service';
import { FamilyDetail, FamilyRow } from '../families.repository';
import { SingleLine, Trimmed } from './fields';

export class CreateFamilyDto {
  @ApiProperty({ example: '李家', minLength: 1, maxLength: 60 })
  @Trimmed()
  @IsString()
  @Length(1, 60)
  @SingleLine('name')
  name: string;

  @ApiProperty({ enum: FamilyRole, enumName: 'FamilyRole', description: 'Your own role in the new family' })
  @IsEnum(FamilyRole)
  role: FamilyRole;
}

/** A family adult as the other members see them: a name and roles, never a phone or an email. */
export class FamilyMemberResponse {
  @ApiProperty({ format: 'uuid' })
  userId: string;
  @ApiProperty()
  displayName: string;
  @ApiProperty({ enum: FamilyRole, enumName: 'FamilyRole', isArray: true })
  roles: FamilyRole[];
}

export class FamilyChildResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty()
  displayName: string;
}

export class FamilyResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty()
  name: string;
  @ApiProperty({ type: [FamilyMemberResponse] })
  members: FamilyMemberResponse[];
  @ApiProperty({ type: [FamilyChildResponse] })
  children: FamilyChildResponse[];
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class FamilyPage extends pageResponse(FamilyResponse) {}

export const toFamilyResponse = (family: FamilyRow, detail: FamilyDetail): FamilyResponse => ({
  id: family.id,
  name: family.name,
  members: detail.members.map((m) => ({ userId: m.userId, displayName: m.displayName, roles: [...m.roles].sort() })),
  children: detail.children.map((c) => ({ id: c.id, displayName: c.displayName })),
  createdAt: family.createdAt.toISOString(),
});
