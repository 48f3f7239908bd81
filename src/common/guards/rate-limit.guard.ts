import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { RateBucket, RateLimiter } from '../../infra/rate-limit/rate-limiter';
import { Actor } from '../actor';

const AUTH_LIMIT = 'homeline:auth-rate-limit';
/** Stricter, per-address limit for sign-in style endpoints (brute force of passwords and codes). */
export const AuthRateLimit = () => SetMetadata(AUTH_LIMIT, true);

/** Global, after the auth guard: auth endpoints per client address, the rest per user. */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<Request & { actor?: Actor }>();
    if (this.reflector.getAllAndOverride<boolean>(AUTH_LIMIT, [context.getHandler(), context.getClass()])) {
      await this.limiter.consume(RateBucket.Auth, `${request.ip}:${request.route?.path ?? request.path}`);
    }
    if (request.actor) await this.limiter.consume(RateBucket.User, request.actor.userId);
    return true;
  }
}
