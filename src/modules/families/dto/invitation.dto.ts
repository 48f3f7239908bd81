import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum } from 'class-validator';
import { IsE164Phone, OptionalField } from '../../../common/validators';
import { FamilyRole } from '../../access/access.service';

export class CreateInvitationDto {
  @ApiProperty({ enum: FamilyRole, enumName: 'FamilyRole', description: 'The role the invited person will hold in the family' })
  @IsEnum(FamilyRole)
  role: FamilyRole;

  @ApiPropertyOptional({ example: '+8613812345678', description: 'E.164; when given, the code is also sent there by SMS' })
  @OptionalField()
  @IsE164Phone()
  phone?: string;
}

export class InvitationResponse {
  @ApiProperty({ example: 'K7M2-XQ9P', description: 'One-time code to share; single use, burnt after 5 wrong tries' })
  code: string;
  @ApiProperty({ format: 'date-time', description: 'Seven days from now' })
  expiresAt: string;
}
