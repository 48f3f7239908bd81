import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { ConnectionController } from './connection.controller';
import { ConnectionSummaryService } from './connection-summary.service';
import { MissedCallsService } from './missed-calls.service';
import { RemindersController } from './reminders.controller';
import { RemindersService } from './reminders.service';
import { SchedulingProcessor } from './scheduling.processor';
import { WeeklyDigestService } from './weekly-digest.service';

@Module({
  imports: [NotificationsModule],
  controllers: [RemindersController, ConnectionController],
  providers: [RemindersService, MissedCallsService, ConnectionSummaryService, WeeklyDigestService, SchedulingProcessor],
  exports: [RemindersService, ConnectionSummaryService],
})
export class SchedulingModule {}
