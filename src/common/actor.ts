import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

export enum UserKind {
  Adult = 'adult',
  Child = 'child',
}

/** Who is asking: taken from a verified access token whose session is still live. */
export interface Actor {
  userId: string;
  kind: UserKind;
  sessionId: string;
  /** Child tokens only: the paired device. */
  deviceId?: string;
}

export const IS_PUBLIC = 'homeline:public';
/** Marks a route that needs no access token (login, register, health). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const ADULTS_ONLY = 'homeline:adults-only';

export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const request = ctx.switchToHttp().getRequest<{ actor?: Actor }>();
  if (!request.actor) throw new Error('CurrentActor used on a public route');
  return request.actor;
});
