import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Equals, IsInt, IsObject, IsString, Length, Max, Min, ValidateNested } from 'class-validator';
import { OptionalField } from '../../../common/validators';
import { ChildProfileRow } from '../children.repository';
import { SingleLine, Trimmed } from './fields';

/** What the adult agreed to on the client: the current privacy notice, shown before the child exists. */
export class ConsentDto {
  @ApiProperty({ enum: [true], description: 'Must be true: no child profile exists without consent' })
  @Equals(true, { message: 'consent must be given (accepted: true) to create a child profile' })
  accepted: true;

  @ApiProperty({ example: '2025-11', maxLength: 40, description: 'The version of the privacy notice the adult was shown' })
  @IsString()
  @Length(1, 40)
  noticeVersion: string;
}

export class CreateChildDto {
  @ApiProperty({ example: '小明', minLength: 1, maxLength: 60 })
  @Trimmed()
  @IsString()
  @Length(1, 60)
  @SingleLine('displayName')
  displayName: string;

  @ApiPropertyOptional({ example: 2016, minimum: 1990, maximum: 2100 })
  @OptionalField()
  @IsInt()
  @Min(1990)
  @Max(2100)
  birthYear?: number;

  @ApiProperty({ type: ConsentDto })
  @IsObject()
  @ValidateNested()
  @Type(() => ConsentDto)
  consent: ConsentDto;
}

/** The minimal profile every adult who may see the child sees, teachers included. */
export class ChildResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ format: 'uuid' })
  familyId: string;
  @ApiProperty()
  displayName: string;
  @ApiProperty({ type: Number, nullable: true })
  birthYear: number | null;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export const toChildResponse = (c: ChildProfileRow): ChildResponse => ({
  id: c.userId,
  familyId: c.familyId,
  displayName: c.displayName,
  birthYear: c.birthYear,
  createdAt: c.createdAt.toISOString(),
});
