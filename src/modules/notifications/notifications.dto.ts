import { ApiProperty } from '@nestjs/swagger';
import { PageQueryDto, pageResponse } from '../../common/pagination';
import { NotificationChannel, NotificationEntity, NotificationState } from './notification.entity';
import { NotificationKind, RenderedNotification } from './templates';

export class ListNotificationsQueryDto extends PageQueryDto {}

export class NotificationResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ enum: NotificationKind, enumName: 'NotificationKind' })
  kind: NotificationKind;
  @ApiProperty({ description: "In the reader's language" })
  title: string;
  @ApiProperty({ description: "In the reader's language; one-time codes are shown as ••••" })
  body: string;
  @ApiProperty({ enum: NotificationChannel, enumName: 'NotificationChannel' })
  channel: NotificationChannel;
  @ApiProperty({ enum: NotificationState, enumName: 'NotificationState' })
  state: NotificationState;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  sentAt: string | null;
}

export class NotificationPage extends pageResponse(NotificationResponse) {}

export const toNotificationResponse = (n: NotificationEntity, text: RenderedNotification): NotificationResponse => ({
  id: n.id,
  kind: n.kind,
  title: text.title,
  body: text.body,
  channel: n.channel,
  state: n.state,
  createdAt: n.createdAt.toISOString(),
  sentAt: n.sentAt?.toISOString() ?? null,
});
