import { Injectable } from '@nestjs/common';
import { Actor } from '../../common/actor';
import { Clock } from '../../common/clock';
import { AppConfig } from '../../config/app-config';
import { IceServersResponse } from './dto/rtc.dto';
import { turnCredential } from './turn-credentials';

/** STUN and TURN servers for a call client, TURN with credentials of its own that expire on their own. */
@Injectable()
export class IceServersService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** Any signed-in user may place or take calls, so any may relay media; the credential names them. */
  forActor(actor: Actor): IceServersResponse {
    const { stunUrls, turnUrls, turnSecret, credentialTtlSeconds } = this.config.rtc;
    const iceServers: IceServersResponse['iceServers'] = stunUrls.length > 0 ? [{ urls: stunUrls }] : [];
    if (turnUrls.length === 0) return { iceServers, ttlSeconds: credentialTtlSeconds, expiresAt: null };
    const { username, credential, expiresAt } = turnCredential(turnSecret, actor.userId, this.clock.now(), credentialTtlSeconds);
    iceServers.push({ urls: turnUrls, username, credential });
    return { iceServers, ttlSeconds: credentialTtlSeconds, expiresAt: expiresAt.toISOString() };
  }
}
