import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsEnum, IsString, Length, Matches, MaxLength } from 'class-validator';
import { UserKind } from '../../../common/actor';
import { IsE164Phone, IsIanaTimeZone, OptionalField } from '../../../common/validators';
import { Locale, UserEntity } from '../user.entity';

export class MeResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ enum: UserKind })
  kind: UserKind;
  @ApiProperty()
  displayName: string;
  @ApiProperty({ enum: Locale })
  locale: Locale;
  @ApiProperty({ example: 'Asia/Shanghai' })
  timeZone: string;
  @ApiProperty({ type: String, nullable: true })
  phone: string | null;
  @ApiProperty()
  phoneVerified: boolean;
  @ApiProperty({ type: String, nullable: true })
  email: string | null;
  @ApiPropertyOptional({ format: 'uuid', description: 'Child accounts: the paired device this token belongs to' })
  deviceId?: string;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export const toMeResponse = (user: UserEntity, deviceId?: string): MeResponse => ({
  id: user.id,
  kind: user.kind,
  displayName: user.displayName,
  locale: user.locale,
  timeZone: user.timeZone,
  phone: user.phone,
  phoneVerified: user.phoneVerifiedAt !== null,
  email: user.email,
  ...(deviceId ? { deviceId } : {}),
  createdAt: user.createdAt.toISOString(),
});

export class UpdateMeDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 60 })
  @OptionalField()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 60)
  displayName?: string;

  @ApiPropertyOptional({ enum: Locale })
  @OptionalField()
  @IsEnum(Locale)
  locale?: Locale;

  @ApiPropertyOptional({ example: 'Europe/Berlin' })
  @OptionalField()
  @IsIanaTimeZone()
  timeZone?: string;

  @ApiPropertyOptional({ description: 'A new phone must be confirmed again by SMS code' })
  @OptionalField()
  @IsE164Phone()
  phone?: string;

  @ApiPropertyOptional({ maxLength: 254 })
  @OptionalField()
  @IsEmail()
  @MaxLength(254)
  email?: string;
}

export class ConfirmPhoneDto {
  @ApiProperty({ example: '482913' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be the 6 digits from the SMS' })
  code: string;
}

export class CodeResponse {
  @ApiProperty({ example: 'K7M2-XQ9P' })
  code: string;
  @ApiProperty({ format: 'date-time' })
  expiresAt: string;
}

export class ExpiresResponse {
  @ApiProperty({ format: 'date-time' })
  expiresAt: string;
}
