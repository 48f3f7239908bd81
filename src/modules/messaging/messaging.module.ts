import { Module } from '@nestjs/common';
import { StorageModule } from '../../infra/storage/storage.module';
import { WsSessionGuard } from '../identity/ws-session.guard';
import { NotificationsModule } from '../notifications/notifications.module';
import { ChildMessagingController } from './blocks.controller';
import { ConversationsController, MediaController, MessagesController } from './conversations.controller';
import { MediaService } from './media.service';
import { MessagesRepository } from './messages.repository';
import { MessagingGateway } from './messaging.gateway';
import { MessagingService } from './messaging.service';
import { SafetyService } from './safety.service';

/**
 * Conversations, messages, receipts, sync, media, reports and blocks. Families call it (a family's
 * thread follows its members; a removed contact leaves the child's threads; a child's export and
 * deletion take its messages and media); it calls no other feature module but notifications.
 */
@Module({
  imports: [NotificationsModule, StorageModule],
  controllers: [ConversationsController, MessagesController, MediaController, ChildMessagingController],
  providers: [MessagingService, SafetyService, MediaService, MessagesRepository, MessagingGateway, WsSessionGuard],
  exports: [MessagingService, MediaService],
})
export class MessagingModule {}
