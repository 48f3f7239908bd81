import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Matches,
  Max,
  Min,
  registerDecorator,
  ValidateIf,
  ValidateNested,
  ValidationArguments,
} from 'class-validator';
import { NotificationChannel } from './notification.entity';
import { EffectivePreferences } from './recipients';
import { NotificationLocale, SUPPORTED_LOCALES } from './templates';

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;
export const MIN_REMINDER_OFFSET = 5;
/** A week: reminders are for weekly calls. */
export const MAX_REMINDER_OFFSET = 10080;

/** The end must differ from the start: an empty window would silence nothing, a full day everything. */
function DiffersFrom(other: string) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'differsFrom',
      target: target.constructor,
      propertyName,
      constraints: [other],
      options: { message: `${propertyName} must differ from ${other}` },
      validator: {
        validate: (value: unknown, args: ValidationArguments) => value !== (args.object as Record<string, unknown>)[other],
      },
    });
}

export class QuietHoursDto {
  @ApiProperty({ example: '22:00', description: "Local time in the user's own time zone, HH:mm" })
  @IsString()
  @Matches(HH_MM, { message: 'start must be a time of day as HH:mm, e.g. 22:00' })
  start: string;

  @ApiProperty({ example: '07:00', description: 'HH:mm; earlier than start means the window spans midnight' })
  @IsString()
  @Matches(HH_MM, { message: 'end must be a time of day as HH:mm, e.g. 07:00' })
  @DiffersFrom('start')
  end: string;
}

/** The whole set, replaced at once (PUT). */
export class UpdatePreferencesDto {
  @ApiProperty({ enum: NotificationChannel, enumName: 'NotificationChannel', isArray: true, minItems: 1, maxItems: 2, example: ['socket', 'sms'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2)
  @ArrayUnique()
  @IsIn(Object.values(NotificationChannel), { each: true, message: 'each channel must be one of: socket, sms' })
  channels: NotificationChannel[];

  @ApiProperty({ type: QuietHoursDto, nullable: true, description: 'Non-urgent notifications wait until the window ends; null for none' })
  @ValidateIf((_o: object, value: unknown) => value !== null)
  @IsDefined({ message: 'quietHours must be given (null for none)' })
  @IsObject()
  @ValidateNested()
  @Type(() => QuietHoursDto)
  quietHours: QuietHoursDto | null;

  @ApiProperty({ type: [Number], minItems: 1, maxItems: 5, example: [1440, 15], description: `Minutes before a call, each ${MIN_REMINDER_OFFSET}-${MAX_REMINDER_OFFSET}` })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(MIN_REMINDER_OFFSET, { each: true })
  @Max(MAX_REMINDER_OFFSET, { each: true })
  reminderOffsets: number[];

  @ApiProperty({ enum: SUPPORTED_LOCALES, example: 'zh-CN' })
  @IsIn(SUPPORTED_LOCALES)
  locale: NotificationLocale;
}

export class QuietHoursResponse {
  @ApiProperty({ example: '22:00' })
  start: string;
  @ApiProperty({ example: '07:00' })
  end: string;
}

export class PreferencesResponse {
  @ApiProperty({ enum: NotificationChannel, enumName: 'NotificationChannel', isArray: true })
  channels: NotificationChannel[];
  @ApiProperty({ type: QuietHoursResponse, nullable: true })
  quietHours: QuietHoursResponse | null;
  @ApiProperty({ type: [Number], description: 'Minutes before a call, largest first' })
  reminderOffsets: number[];
  @ApiProperty({ enum: SUPPORTED_LOCALES })
  locale: NotificationLocale;
  @ApiProperty({ example: 'Asia/Shanghai', description: 'Quiet hours are read in this zone; change it with PATCH /v1/me' })
  timeZone: string;
}

export const toPreferencesResponse = (prefs: EffectivePreferences, user: { locale: NotificationLocale; timeZone: string }): PreferencesResponse => ({
  channels: prefs.channels,
  quietHours: prefs.quietHours,
  reminderOffsets: prefs.reminderOffsets,
  locale: user.locale,
  timeZone: user.timeZone,
});
