import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PresenceModule } from '../../infra/realtime/presence';
import { NotificationDeliveryProcessor } from './notification-delivery.processor';
import { NotificationDispatcher } from './notification-dispatcher.service';
import { NotificationEntity } from './notification.entity';
import { NotificationsController } from './notifications.controller';
import { NotificationsService } from './notifications.service';
import { PreferencesController } from './preferences.controller';
import { PreferencesService } from './preferences.service';
import { SecretSealer } from './sealed';

/**
 * The dispatcher: other modules call NotificationsService.notify inside their transaction; the
 * session gateway reports receipts through NotificationsService.markReceived; the rest is internal.
 */
@Module({
  imports: [TypeOrmModule.forFeature([NotificationEntity]), PresenceModule],
  controllers: [NotificationsController, PreferencesController],
  providers: [NotificationsService, PreferencesService, NotificationDispatcher, NotificationDeliveryProcessor, SecretSealer],
  exports: [NotificationsService],
})
export class NotificationsModule {}
