import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { Actor } from '../../common/actor';
import { unauthenticated } from '../../common/errors';
import { DataSource } from 'typeorm';

/**
 * Every socket event is authorised again against the current state: a logged-out session or a
 * revoked device loses access with its very next event, even on a socket that is still open.
 */
@Injectable()
export class WsSessionGuard implements CanActivate {
  constructor(private readonly dataSource: DataSource) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const socket = context.switchToWs().getClient<Socket>();
    const actor = socket.data.actor as Actor | undefined;
    if (!actor) throw unauthenticated();
    const [live] = await this.dataSource.query(`SELECT 1 FROM auth_sessions WHERE id = $1 AND revoked_at IS NULL`, [actor.sessionId]);
    if (!live) {
      // after this event's 401 acknowledgement has gone out
      setImmediate(() => socket.disconnect(true));
      throw unauthenticated('This sign-in has ended; please sign in again');
    }
    return true;
  }
}

export const socketActor = (socket: Socket): Actor => socket.data.actor as Actor;
