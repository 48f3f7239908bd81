import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { MessagingModule } from '../messaging/messaging.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { ChildrenController, ContactRequestsController } from './children.controller';
import { ChildrenRepository } from './children.repository';
import { ChildrenService } from './children.service';
import { ContactsRepository } from './contacts.repository';
import { ContactsService } from './contacts.service';
import { FamiliesController, InvitationsController } from './families.controller';
import { FamiliesRepository } from './families.repository';
import { FamiliesService } from './families.service';

/** Families, invitations, children, contacts and the child's data rights. Access, audit and transactions come from global modules. */
@Module({
  imports: [IdentityModule, NotificationsModule, MessagingModule],
  controllers: [FamiliesController, InvitationsController, ChildrenController, ContactRequestsController],
  providers: [FamiliesService, ChildrenService, ContactsService, FamiliesRepository, ChildrenRepository, ContactsRepository],
  exports: [FamiliesService, ChildrenService, ContactsService],
})
export class FamiliesModule {}
