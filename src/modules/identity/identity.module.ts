import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessTokenVerifier, AuthGuard } from '../../common/guards/auth.guard';
import { RateLimitGuard } from '../../common/guards/rate-limit.guard';
import { RateLimiter } from '../../infra/rate-limit/rate-limiter';
import { NotificationsModule } from '../notifications/notifications.module';
import { AuthController, MeController } from './auth.controller';
import { DevicesController } from './devices.controller';
import { DevicesService } from './devices.service';
import { IdentityService } from './identity.service';
import { OneTimeCodes } from './one-time-codes.service';
import { TokensService } from './tokens.service';

@Module({
  imports: [NotificationsModule],
  controllers: [AuthController, MeController, DevicesController],
  providers: [
    IdentityService,
    DevicesService,
    TokensService,
    OneTimeCodes,
    RateLimiter,
    { provide: AccessTokenVerifier, useExisting: TokensService },
    // order matters: who is asking first, then how often
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
  exports: [TokensService, OneTimeCodes, AccessTokenVerifier],
})
export class IdentityModule {}
