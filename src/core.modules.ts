import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { ProblemFilter } from './common/http-exception.filter';
import { IdempotencyInterceptor } from './common/idempotency/idempotency.interceptor';
import { loggerParams } from './common/logging';
import { strictValidationPipe } from './common/validation';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { dataSourceOptions } from './database/data-source-options';
import { InfraModule } from './infra/infra.module';
import { AccessModule } from './modules/access/access.module';
import { AuditModule } from './modules/audit/audit.module';
import { CallsModule } from './modules/calls/calls.module';
import { FamiliesModule } from './modules/families/families.module';
import { IdentityModule } from './modules/identity/identity.module';
import { MessagingModule } from './modules/messaging/messaging.module';
import { NotificationsModule } from './modules/notifications/notifications.module';
import { SchedulingModule } from './modules/scheduling/scheduling.module';
import { SchoolModule } from './modules/school/school.module';

/** Modules every process needs: configuration, logging, database, infrastructure and the domain. */
export const coreImports = (config: AppConfig) => [
  ConfigModule.forRoot(config),
  LoggerModule.forRoot(loggerParams(config)),
  TypeOrmModule.forRoot(dataSourceOptions(config)),
  InfraModule,
  AccessModule,
  AuditModule,
  NotificationsModule,
  IdentityModule,
  FamiliesModule,
  SchoolModule,
  SchedulingModule,
  CallsModule,
  MessagingModule,
];

export const globalProviders = [
  { provide: APP_FILTER, useClass: ProblemFilter },
  { provide: APP_PIPE, useFactory: strictValidationPipe },
  { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
];
