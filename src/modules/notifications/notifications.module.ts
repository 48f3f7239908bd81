import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { NotificationDeliveryProcessor } from './notification-delivery.processor';
import { NotificationDispatcher } from './notification-dispatcher.service';
import { NotificationEntity } from './notification.entity';
import { NotificationsController } from './notifications.controller';
import { NotificationsService } from './notifications.service';
import { SecretSealer } from './sealed';

/** The dispatcher: other modules call NotificationsService.notify inside their transaction; the rest is internal. */
@Module({
  imports: [TypeOrmModule.forFeature([NotificationEntity])],
  controllers: [NotificationsController],
  providers: [NotificationsService, NotificationDispatcher, NotificationDeliveryProcessor, SecretSealer],
  exports: [NotificationsService],
})
export class NotificationsModule {}
