import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Length, Matches } from 'class-validator';
import { pageResponse } from '../../../common/pagination';
import { OptionalField } from '../../../common/validators';
import { FamilyRole } from '../../access/access.service';
import { ClassEntity } from '../class.entity';
import { ClassDetailRow, ClassSummaryRow, RosterRow } from '../classes.repository';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
/** Names are shown on phones and in SMS; control characters (and NUL, which PostgreSQL refuses) have no place in them. */
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;
const printable = (field: string) => Matches(PRINTABLE, { message: `${field} must not contain control characters` });

export class CreateClassDto {
  @ApiProperty({ example: '三年级二班', minLength: 1, maxLength: 100 })
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @printable('name')
  name: string;

  @ApiPropertyOptional({ example: '城关小学', minLength: 1, maxLength: 100 })
  @OptionalField()
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @printable('schoolName')
  schoolName?: string;
}

/** What the teacher gets back on creating a class: the join code to hand to the families. */
export class ClassCreatedResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty()
  name: string;
  @ApiProperty({ type: String, nullable: true })
  schoolName: string | null;
  @ApiProperty({ example: 'K7M2XQ', description: 'Six characters; families enrol their child with it' })
  joinCode: string;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export const toClassCreatedResponse = (k: ClassEntity): ClassCreatedResponse => ({
  id: k.id,
  name: k.name,
  schoolName: k.schoolName,
  joinCode: k.joinCode,
  createdAt: k.createdAt.toISOString(),
});

/** One of my classes: one I teach, or one a child of my family is in. */
export class ClassSummaryResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty()
  name: string;
  @ApiProperty({ type: String, nullable: true })
  schoolName: string | null;
  @ApiProperty()
  teacherName: string;
  @ApiProperty({ description: 'I am the teacher of this class' })
  teaching: boolean;
  @ApiPropertyOptional({ example: 'K7M2XQ', description: 'Only for the teacher' })
  joinCode?: string;
  @ApiProperty({ type: [String], format: 'uuid', description: "The children of my families enrolled in this class" })
  childIds: string[];
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class ClassSummaryPage extends pageResponse(ClassSummaryResponse) {}

export const toClassSummaryResponse = (k: ClassSummaryRow): ClassSummaryResponse => ({
  id: k.id,
  name: k.name,
  schoolName: k.schoolName,
  teacherName: k.teacherName,
  teaching: k.teaching,
  ...(k.teaching ? { joinCode: k.joinCode } : {}),
  childIds: k.childIds,
  createdAt: k.createdAt.toISOString(),
});

/** A class as its teacher and the families of its pupils see it. */
export class ClassResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty()
  name: string;
  @ApiProperty({ type: String, nullable: true })
  schoolName: string | null;
  @ApiProperty()
  teacherName: string;
  @ApiPropertyOptional({ example: 'K7M2XQ', description: 'Only for the teacher' })
  joinCode?: string;
}

export const toClassResponse = (k: ClassDetailRow, teaches: boolean): ClassResponse => ({
  id: k.id,
  name: k.name,
  schoolName: k.schoolName,
  teacherName: k.teacherName,
  ...(teaches ? { joinCode: k.joinCode } : {}),
});

/** A family adult of a pupil: who the teacher can reach. No phone or email, ever. */
export class RosterAdultResponse {
  @ApiProperty({ format: 'uuid' })
  userId: string;
  @ApiProperty()
  displayName: string;
  @ApiProperty({ enum: FamilyRole, isArray: true })
  roles: FamilyRole[];
}

export class RosterEntryResponse {
  @ApiProperty({ format: 'uuid' })
  childId: string;
  @ApiProperty()
  displayName: string;
  @ApiProperty({ format: 'uuid' })
  familyId: string;
  @ApiProperty({ format: 'date-time' })
  enrolledAt: string;
  @ApiProperty({ type: [RosterAdultResponse] })
  adults: RosterAdultResponse[];
}

export const toRosterEntryResponse = (r: RosterRow): RosterEntryResponse => ({
  childId: r.childId,
  displayName: r.displayName,
  familyId: r.familyId,
  enrolledAt: r.enrolledAt.toISOString(),
  adults: r.adults.map((a) => ({ userId: a.userId, displayName: a.displayName, roles: a.roles })),
});
