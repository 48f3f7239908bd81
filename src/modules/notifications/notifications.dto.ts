import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { PageQueryDto, pageResponse } from '../../common/pagination';
import { NotificationChannel, NotificationEntity, NotificationState } from './notification.entity';
import { NotificationKind, RenderedNotification } from './templates';

export class ListNotificationsQueryDto extends PageQueryDto {}

export enum AttemptState {
  Sent = 'sent',
  Failed = 'failed',
}

export class NotificationAttemptResponse {
  @ApiProperty({ enum: NotificationChannel, enumName: 'NotificationChannel' })
  channel: NotificationChannel;
  @ApiProperty({ enum: AttemptState, enumName: 'NotificationAttemptState', description: 'sent: handed to the socket or accepted by the SMS gateway' })
  state: AttemptState;
  @ApiProperty({ format: 'date-time' })
  attemptedAt: string;
}

export class NotificationResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ enum: NotificationKind, enumName: 'NotificationKind' })
  kind: NotificationKind;
  @ApiProperty({ description: "In the reader's language" })
  title: string;
  @ApiProperty({ description: "In the reader's language; one-time codes are shown as ••••" })
  body: string;
  @ApiProperty({ enum: NotificationChannel, enumName: 'NotificationChannel', description: 'The channel asked for; see attempts for what was tried' })
  channel: NotificationChannel;
  @ApiProperty({ enum: NotificationState, enumName: 'NotificationState' })
  state: NotificationState;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  sentAt: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true, description: 'When the app confirmed receipt' })
  deliveredAt: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  readAt: string | null;
  @ApiProperty({ type: [NotificationAttemptResponse], description: 'Every channel attempt, oldest first' })
  attempts: NotificationAttemptResponse[];
}

export class NotificationPage extends pageResponse(NotificationResponse) {}

/** `notification:received {id}`: the app confirms a `notification` event reached it. */
export class NotificationReceivedDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id: string;
}

export interface AttemptRow {
  channel: NotificationChannel;
  state: AttemptState;
  attemptedAt: Date;
}

export const toNotificationResponse = (n: NotificationEntity, text: RenderedNotification, attempts: AttemptRow[]): NotificationResponse => ({
  id: n.id,
  kind: n.kind,
  title: text.title,
  body: text.body,
  channel: n.channel,
  state: n.state,
  createdAt: n.createdAt.toISOString(),
  sentAt: n.sentAt?.toISOString() ?? null,
  deliveredAt: n.deliveredAt?.toISOString() ?? null,
  readAt: n.readAt?.toISOString() ?? null,
  attempts: attempts.map((a) => ({ channel: a.channel, state: a.state, attemptedAt: a.attemptedAt.toISOString() })),
});
