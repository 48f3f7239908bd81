import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { DomainError, ErrorCode } from '../../common/errors';
import { REDIS_COMMAND } from '../../infra/redis/redis.factory';
import { CallSide } from '../access/access.service';

export enum CallRole {
  Caller = 'caller',
  Callee = 'callee',
}

export const otherRole = (role: CallRole) => (role === CallRole.Caller ? CallRole.Callee : CallRole.Caller);

/** The node holding a participant's socket re-announces it this often... */
export const ALIVE_HEARTBEAT_MS = 30_000;
/** ...and a participant not re-announced for this long is gone with its node. */
export const ALIVE_TTL_MS = 90_000;
/** Live state outlives no call by more than this; every heartbeat pushes it forward. */
export const LIVE_TTL_MS = 6 * 3600_000;

/** One joined end of a call: a person, the sign-in (device) they joined from, and its socket now. */
export interface Participant {
  userId: string;
  /** The auth session (a login, or one paired child device): a reconnecting socket of it takes over. */
  device: string;
  /** Empty while the socket is gone and the grace period runs. */
  socketId: string;
  /** When the socket dropped (epoch ms), while it is gone. */
  droppedAt?: number;
}

/** Who a call is between, copied from its record so a relay needs no database read. */
export interface LiveParties {
  childId: string;
  callerId: string;
  calleeSide: CallSide;
  calleeId: string | null;
}

export interface LiveCall extends LiveParties {
  sessionId: string;
  answered: boolean;
  caller?: Participant;
  callee?: Participant;
}

// compare-and-set: only the socket still bound to the role may mark it dropped
const DROP = `
if redis.call('HGET', KEYS[1], ARGV[1] .. '.socket') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1] .. '.socket', '', ARGV[1] .. '.droppedAt', ARGV[3])
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
return 1`;

// a node re-announces a socket only while it is still the one bound to the role
const HEARTBEAT = `
if redis.call('HGET', KEYS[1], ARGV[1] .. '.socket') ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

const DELETE_IF = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * The live half of a call, in Redis with a TTL (STYLE 11): who joined from which device and socket,
 * whether they are connected now, and which call a device is in. Every node reads and writes the same
 * state, so a caller on one node and a callee on another relay through it; the record of the call is
 * in PostgreSQL (CallSessionsRepository) and decides every transition.
 *
 * A participant is alive while its socket is bound and its node keeps its `alive` key fresh: a socket
 * that closes marks the role dropped (a grace period starts); a node that dies stops refreshing, and
 * the key expires.
 */
@Injectable()
export class CallLiveState implements OnApplicationShutdown {
  private readonly logger = new Logger(CallLiveState.name);
  /** Participant sockets this node holds: socket id -> where it is joined. */
  private readonly local = new Map<string, { sessionId: string; role: CallRole }>();
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(REDIS_COMMAND) private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  /** Opens a call's live state with its caller joined. */
  async open(sessionId: string, parties: LiveParties, caller: Participant): Promise<void> {
    await this.guard(() =>
      this.redis
        .multi()
        .hset(this.key(sessionId), {
          childId: parties.childId,
          callerId: parties.callerId,
          calleeSide: parties.calleeSide,
          calleeId: parties.calleeId ?? '',
          answered: '0',
        })
        .pexpire(this.key(sessionId), LIVE_TTL_MS)
        .exec(),
    );
    await this.join(sessionId, CallRole.Caller, caller);
  }

  /** Binds a role to a device and socket (joining, or taking over after a reconnect). */
  async join(sessionId: string, role: CallRole, participant: Participant): Promise<void> {
    const multi = this.redis
      .multi()
      .hset(this.key(sessionId), {
        [`${role}.user`]: participant.userId,
        [`${role}.device`]: participant.device,
        [`${role}.socket`]: participant.socketId,
      })
      .hdel(this.key(sessionId), `${role}.droppedAt`)
      .pexpire(this.key(sessionId), LIVE_TTL_MS)
      .set(this.aliveKey(sessionId, role), participant.socketId, 'PX', ALIVE_TTL_MS)
      .set(this.deviceKey(participant.device), sessionId, 'PX', LIVE_TTL_MS);
    if (role === CallRole.Callee) multi.hset(this.key(sessionId), 'answered', '1');
    await this.guard(() => multi.exec());
    this.local.set(participant.socketId, { sessionId, role });
    this.startHeartbeat();
  }

  async get(sessionId: string): Promise<LiveCall | undefined> {
    const hash = await this.guard(() => this.redis.hgetall(this.key(sessionId)));
    if (!hash.callerId) return undefined;
    const participant = (role: CallRole): Participant | undefined =>
      hash[`${role}.device`]
        ? {
            userId: hash[`${role}.user`],
            device: hash[`${role}.device`],
            socketId: hash[`${role}.socket`] ?? '',
            droppedAt: hash[`${role}.droppedAt`] ? Number(hash[`${role}.droppedAt`]) : undefined,
          }
        : undefined;
    return {
      sessionId,
      childId: hash.childId,
      callerId: hash.callerId,
      calleeSide: hash.calleeSide as CallSide,
      calleeId: hash.calleeId || null,
      answered: hash.answered === '1',
      caller: participant(CallRole.Caller),
      callee: participant(CallRole.Callee),
    };
  }

  /** Whether each role's node still announces its socket. */
  async alive(sessionId: string): Promise<Record<CallRole, boolean>> {
    const [caller, callee] = await this.guard(() => this.redis.mget(this.aliveKey(sessionId, CallRole.Caller), this.aliveKey(sessionId, CallRole.Callee)));
    return { [CallRole.Caller]: caller !== null, [CallRole.Callee]: callee !== null };
  }

  /** The call a device (auth session) is joined to, if any. */
  deviceCall(device: string): Promise<string | null> {
    return this.guard(() => this.redis.get(this.deviceKey(device)));
  }

  /** Forgets a device's pointer to a call that is no longer live. */
  async forgetDevice(device: string, sessionId: string): Promise<void> {
    await this.guard(() => this.redis.eval(DELETE_IF, 1, this.deviceKey(device), sessionId));
  }

  /**
   * A socket closed. If it was bound to a call on this node, its role is marked dropped (unless a
   * reconnect already took over) and the call and role are returned, so a grace check can be planned.
   */
  async dropped(socketId: string, at: Date): Promise<{ sessionId: string; role: CallRole } | undefined> {
    const bound = this.local.get(socketId);
    if (!bound) return undefined;
    this.local.delete(socketId);
    if (this.local.size === 0) this.stopHeartbeat();
    const marked = await this.guard(() =>
      this.redis.eval(DROP, 2, this.key(bound.sessionId), this.aliveKey(bound.sessionId, bound.role), bound.role, socketId, String(at.getTime())),
    );
    return marked === 1 ? bound : undefined;
  }

  /** Deletes a finished call's live state; its devices may start or take other calls at once. */
  async close(sessionId: string): Promise<void> {
    const call = await this.get(sessionId);
    const pipeline = this.redis.pipeline().del(this.key(sessionId), this.aliveKey(sessionId, CallRole.Caller), this.aliveKey(sessionId, CallRole.Callee));
    for (const participant of [call?.caller, call?.callee]) {
      if (participant) pipeline.eval(DELETE_IF, 1, this.deviceKey(participant.device), sessionId);
    }
    await this.guard(() => pipeline.exec());
    for (const [socketId, bound] of this.local) if (bound.sessionId === sessionId) this.local.delete(socketId);
  }

  /** Re-announces this node's participant sockets; drops those no longer bound (a call ended elsewhere). */
  async heartbeat(): Promise<void> {
    const entries = [...this.local];
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [socketId, { sessionId, role }] of entries) {
      pipeline.eval(HEARTBEAT, 2, this.key(sessionId), this.aliveKey(sessionId, role), role, socketId, String(ALIVE_TTL_MS), String(LIVE_TTL_MS));
    }
    try {
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([error, kept], i) => {
        if (!error && kept === 0) this.local.delete(entries[i][0]);
      });
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'call heartbeat failed; will retry');
    }
  }

  onApplicationShutdown(): void {
    this.stopHeartbeat();
  }

  private startHeartbeat(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.heartbeat(), ALIVE_HEARTBEAT_MS);
    this.timer.unref();
  }

  private stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Calls cannot be placed or relayed without their live state: say so clearly instead of a 500. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'call state unavailable');
      throw new DomainError(ErrorCode.ServiceUnavailable, 'Calls are unavailable for a moment; please try again');
    }
  }

  // one hash slot per call (the braces), so the scripts touching a call's keys also run on a cluster
  private key(sessionId: string): string {
    return `${this.config.redisPrefix}:call:{${sessionId}}`;
  }

  private aliveKey(sessionId: string, role: CallRole): string {
    return `${this.key(sessionId)}:alive:${role}`;
  }

  private deviceKey(device: string): string {
    return `${this.config.redisPrefix}:call-device:${device}`;
  }
}
