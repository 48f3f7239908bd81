import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { CalendarController } from './calendar.controller';
import { CalendarService } from './calendar.service';
import { CallPlansController } from './call-plans.controller';
import { CallPlansService } from './call-plans.service';
import { CallsController } from './calls.controller';
import { CallsService } from './calls.service';
import { ConnectionController } from './connection.controller';
import { ConnectionSummaryService } from './connection-summary.service';
import { HorizonProcessor } from './horizon.processor';
import { MissedCallsService } from './missed-calls.service';
import { OccurrencesService } from './occurrences.service';
import { RemindersController } from './reminders.controller';
import { RemindersService } from './reminders.service';
import { SchedulingProcessor } from './scheduling.processor';
import { WeeklyDigestService } from './weekly-digest.service';

/** Call plans, their dated calls (horizon, skip, reschedule), the calendar feed, reminders, missed calls and summaries. */
@Module({
  imports: [NotificationsModule],
  controllers: [CallPlansController, CallsController, CalendarController, RemindersController, ConnectionController],
  providers: [
    CallPlansService,
    CallsService,
    OccurrencesService,
    CalendarService,
    HorizonProcessor,
    RemindersService,
    MissedCallsService,
    ConnectionSummaryService,
    WeeklyDigestService,
    SchedulingProcessor,
  ],
  exports: [RemindersService, ConnectionSummaryService, CallsService, OccurrencesService],
})
export class SchedulingModule {}
