import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Matches } from 'class-validator';
import { ClassEnrollmentEntity } from '../class-enrollment.entity';
import { JOIN_CODE_PATTERN, normalizeJoinCode } from '../join-codes';

export class EnrollDto {
  @ApiProperty({ example: 'K7M2XQ', description: "The class's join code from the teacher; case, spaces and dashes do not matter" })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeJoinCode(value) : value))
  @IsString()
  @Matches(JOIN_CODE_PATTERN, { message: 'joinCode must be the 6 characters the teacher gave, e.g. K7M2XQ' })
  joinCode: string;
}

export class EnrollmentResponse {
  @ApiProperty({ format: 'uuid' })
  classId: string;
  @ApiProperty({ format: 'uuid' })
  childId: string;
  @ApiProperty({ format: 'date-time' })
  enrolledAt: string;
}

export const toEnrollmentResponse = (e: ClassEnrollmentEntity): EnrollmentResponse => ({
  classId: e.classId,
  childId: e.childId,
  enrolledAt: e.enrolledAt.toISOString(),
});
