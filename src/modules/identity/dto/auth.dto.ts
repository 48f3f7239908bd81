import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsEnum, IsString, Length, Matches, MaxLength } from 'class-validator';
import { IsE164Phone, IsIanaTimeZone, OptionalField } from '../../../common/validators';
import { Locale } from '../user.entity';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class RegisterDto {
  @ApiProperty({ example: '王芳', minLength: 1, maxLength: 60 })
  @Transform(trim)
  @IsString()
  @Length(1, 60)
  displayName: string;

  @ApiPropertyOptional({ example: '+8613812345678', description: 'E.164; confirmed by an SMS code' })
  @OptionalField()
  @IsE164Phone()
  phone?: string;

  @ApiPropertyOptional({ example: 'fang@example.com', maxLength: 254 })
  @OptionalField()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiProperty({ minLength: 8, maxLength: 128, description: 'Not a commonly used password' })
  @IsString()
  @Length(8, 128)
  password: string;

  @ApiPropertyOptional({ enum: Locale, default: Locale.ZhCN })
  @OptionalField()
  @IsEnum(Locale)
  locale?: Locale;

  @ApiPropertyOptional({ example: 'Asia/Shanghai', default: 'Asia/Shanghai', description: 'IANA time zone' })
  @OptionalField()
  @IsIanaTimeZone()
  timeZone?: string;
}

export class LoginDto {
  @ApiProperty({ description: 'Phone (E.164) or email', example: '+8613812345678' })
  @IsString()
  @Length(3, 254)
  login: string;

  @ApiProperty()
  @IsString()
  @Length(1, 128)
  password: string;
}

export class RefreshDto {
  @ApiProperty()
  @IsString()
  @Length(10, 200)
  refreshToken: string;
}

export class ChildPairDto {
  @ApiProperty({ example: 'K7M2-XQ9P', description: 'Pairing code shown on the guardian’s phone' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 -]{6,10}[A-Za-z0-9]$/, { message: 'code must look like K7M2-XQ9P' })
  code: string;

  @ApiProperty({ example: '奶奶的平板', maxLength: 60 })
  @Transform(trim)
  @IsString()
  @Length(1, 60)
  deviceName: string;
}

export class TokenPairResponse {
  @ApiProperty()
  accessToken: string;
  @ApiProperty()
  refreshToken: string;
  @ApiProperty({ description: 'Access token lifetime in seconds' })
  expiresIn: number;
  @ApiProperty({ enum: ['Bearer'] })
  tokenType: 'Bearer';
}
