import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../common/actor';
import { Page } from '../../common/pagination';
import { ListNotificationsQueryDto, NotificationPage, NotificationResponse } from './notifications.dto';
import { NotificationsService } from './notifications.service';

@ApiTags('notifications')
@ApiBearerAuth()
@Controller('v1/notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @ApiOperation({ summary: 'What the service has told me (codes, invitations, requests, reminders), newest first, with each channel attempt' })
  @ApiOkResponse({ type: NotificationPage })
  list(@CurrentActor() actor: Actor, @Query() query: ListNotificationsQueryDto): Promise<Page<NotificationResponse>> {
    return this.notifications.listForUser(actor.userId, query);
  }

  @Post(':notificationId/read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark one of my notifications read (and received: no SMS follows)' })
  @ApiOkResponse({ type: NotificationResponse })
  read(@CurrentActor() actor: Actor, @Param('notificationId', ParseUUIDPipe) notificationId: string): Promise<NotificationResponse> {
    return this.notifications.markRead(actor, notificationId);
  }
}
