import { Injectable, Logger } from '@nestjs/common';
import { Actor, UserKind } from '../../common/actor';
import { Clock } from '../../common/clock';
import { conflict, DomainError, ErrorCode, forbidden, invalidField, notFound } from '../../common/errors';
import { AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transaction';
import { JobName } from '../../infra/queue/job-catalogue';
import { Jobs } from '../../infra/queue/jobs';
import { Presence } from '../../infra/realtime/presence';
import { RealtimePublisher } from '../../infra/realtime/realtime.publisher';
import { AccessService, CallParties, CallSide } from '../access/access.service';
import { isUniqueViolation } from '../identity/identity.service';
import { RemindersService } from '../scheduling/reminders.service';
import { CallLiveState, CallRole, LiveCall, otherRole, Participant } from './call-live-state';
import { CallEndReason, CallSessionEntity, CallState, LIVE_CALL_STATES } from './call-session.entity';
import { CallSessionsRepository, OpenOccurrence } from './call-sessions.repository';
import { CallPerson, CallSessionResponse, SignalCallDto, StartCallDto, talkedSeconds, toCallSessionResponse } from './dto/call.dto';

/** A call may realise a scheduled call from this long before its start until its end. */
export const OCCURRENCE_EARLY_MS = 15 * 60_000;
/** While a call is active, its participants' connections are checked this often (a node that died). */
export const WATCH_INTERVAL_MS = 30_000;
/** An SDP offer with many candidates is a few KiB; anything near this is not signaling. */
export const MAX_SIGNAL_BYTES = 16 * 1024;

/** Server -> client events. */
export enum CallEvent {
  Incoming = 'call:incoming',
  Accepted = 'call:accepted',
  Declined = 'call:declined',
  Signal = 'call:signal',
  Ended = 'call:ended',
}

export interface CallStarted {
  session: CallSessionResponse;
  /** Whether any device of the called side is connected now (it rings there). */
  reachable: boolean;
}

/** What the gateway relays: the payload, to the one socket of the other participant. */
export interface SignalRelay {
  socketId: string;
  payload: { sessionId: string; from: string; data: SignalCallDto['data'] };
}

export enum CheckOutcome {
  Gone = 'gone',
  Finished = 'finished',
  Missed = 'missed',
  Lost = 'lost',
  Live = 'live',
}

type Liveness = { state: 'up' } | { state: 'grace'; until: number } | { state: 'lost' };

/**
 * Live calls between a child's side (the child, its guardians) and one approved contact: ringing every
 * device of the called side, the first answer winning, signaling relayed only between the two joined
 * participants, and every way a call ends — hang-up, decline, no answer, a connection that does not
 * come back — recorded once. The record is a compare-and-set in PostgreSQL; who is joined on which
 * socket is live state in Redis; time-outs are delayed jobs through the outbox, so they fire whichever
 * node the call started on, and after a restart.
 */
@Injectable()
export class CallSessionsService {
  private readonly logger = new Logger(CallSessionsService.name);

  constructor(
    private readonly transactions: Transactions,
    private readonly access: AccessService,
    private readonly calls: CallSessionsRepository,
    private readonly live: CallLiveState,
    private readonly jobs: Jobs,
    private readonly publisher: RealtimePublisher,
    private readonly presence: Presence,
    private readonly reminders: RemindersService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** `call:start`: records the call, rings the other side's devices, and plans the ring time-out. */
  async start(actor: Actor, socketId: string, input: StartCallDto): Promise<CallStarted> {
    const fromChildSide = actor.kind === UserKind.Child || input.calleeId !== undefined;
    const standing = await this.access.requireCallSide(actor, input.childId, fromChildSide ? CallSide.Child : CallSide.Contact);
    const named = input.occurrenceId ? await this.calls.occurrenceOf(input.childId, input.occurrenceId) : undefined;
    if (input.occurrenceId && !named) throw notFound('Scheduled call');
    let calleeId: string | null = null;
    if (fromChildSide) {
      calleeId = input.calleeId ?? named?.parentId ?? (await this.calls.soleParent(standing.familyId)) ?? null;
      if (!calleeId) throw invalidField('calleeId', 'say whom to call: the family has more than one parent');
      await this.access.requireCallableContact(actor, input.childId, calleeId);
    }
    // the adult at the other end of the child: a scheduled call is between the child and its parent
    const contactId = calleeId ?? actor.userId;
    const now = this.clock.now();
    const occurrence = named ? this.openForCall(named, contactId, now) : await this.calls.occurrenceAt(input.childId, contactId, now, OCCURRENCE_EARLY_MS);
    await this.requireFreeDevice(actor.sessionId);

    let call: CallSessionEntity;
    try {
      call = await this.transactions.run(async (em) => {
        const created = await this.calls.insert(em, {
          familyId: standing.familyId,
          childId: input.childId,
          callerId: actor.userId,
          calleeSide: fromChildSide ? CallSide.Contact : CallSide.Child,
          calleeId,
          occurrenceId: occurrence?.id ?? null,
          startedAt: now,
        });
        await this.jobs.enqueue(em, JobName.CheckCallSession, { sessionId: created.id }, {
          jobId: `call-ring-${created.id}`,
          runAt: new Date(now.getTime() + this.config.callRingTimeoutSeconds * 1000),
        });
        // inside the transaction: a call whose live state could not be written is not recorded either
        await this.live.open(
          created.id,
          { childId: created.childId, callerId: actor.userId, calleeSide: created.calleeSide, calleeId },
          { userId: actor.userId, device: actor.sessionId, socketId },
        );
        return created;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('The child is already in a call');
      throw error;
    }

    const rung = await this.calledSide(call);
    const names = await this.calls.displayNames([actor.userId, call.childId]);
    const session = toCallSessionResponse(call);
    const person = (id: string): CallPerson => ({ id, displayName: names.get(id) ?? '' });
    this.publisher.toUsers(rung, CallEvent.Incoming, { session, caller: person(actor.userId), child: person(call.childId) });
    return { session, reachable: (await this.presence.onlineAmong(rung)).size > 0 };
  }

  /** `call:accept`: the first answer from the called side wins; every other rung device hears who took it. */
  async accept(actor: Actor, socketId: string, sessionId: string): Promise<CallSessionResponse> {
    const call = await this.requireCall(sessionId);
    await this.access.requireCallRole(actor, call, 'callee');
    if (call.state !== CallState.Ringing) throw this.notRinging(call);
    await this.requireFreeDevice(actor.sessionId);
    const now = this.clock.now();
    const answered = await this.transactions.run(async (em) => {
      const won = await this.calls.answer(em, sessionId, actor.userId, now);
      if (!won) return undefined;
      if (won.occurrenceId && (await this.calls.completeOccurrence(em, won.childId, won.occurrenceId, now))) {
        await this.reminders.supersede(em, [won.occurrenceId]);
      }
      await this.live.join(sessionId, CallRole.Callee, { userId: actor.userId, device: actor.sessionId, socketId });
      return won;
    });
    if (!answered) throw this.notRinging((await this.calls.find(sessionId)) ?? call);
    const session = toCallSessionResponse(answered);
    this.publisher.toUsers(await this.parties(answered), CallEvent.Accepted, { session });
    return session;
  }

  /** `call:decline`: anyone rung may turn the call down while it rings. */
  async decline(actor: Actor, sessionId: string): Promise<CallSessionResponse> {
    const call = await this.requireCall(sessionId);
    await this.access.requireCallRole(actor, call, 'callee');
    if (call.state !== CallState.Ringing) throw this.notRinging(call);
    const declined = await this.finish(call, { state: CallState.Declined, reason: CallEndReason.Declined, by: actor.userId, onlyIf: CallState.Ringing });
    if (!declined) throw this.notRinging((await this.calls.find(sessionId)) ?? call);
    return declined;
  }

  /** `call:end`: a joined participant hangs up, or the caller gives up before an answer. */
  async end(actor: Actor, socketId: string, sessionId: string): Promise<CallSessionResponse> {
    const call = await this.requireCall(sessionId);
    const live = await this.live.get(sessionId);
    const role = this.roleOf(actor, call, live);
    await this.access.requireCallRole(actor, call, role);
    if (!LIVE_CALL_STATES.includes(call.state)) throw conflict('This call has already ended');
    if (call.state === CallState.Ringing && role === CallRole.Callee) throw conflict('This call has not been answered; decline it instead');
    this.requireJoined(actor, call.id, live?.[role], socketId);
    const reason = call.state === CallState.Ringing ? CallEndReason.Cancelled : CallEndReason.HungUp;
    const ended = await this.finish(call, { state: CallState.Ended, reason, by: actor.userId });
    if (!ended) throw conflict('This call has already ended');
    return ended;
  }

  /**
   * `call:signal`: relay-only (STYLE 11). The sender must be a joined participant on the very socket it
   * joined with, `to` the other one, and the call answered; nothing is stored.
   */
  async signal(actor: Actor, socketId: string, input: SignalCallDto): Promise<SignalRelay> {
    const live = await this.live.get(input.sessionId);
    const parties: CallParties | null = live ? { id: input.sessionId, ...live } : await this.calls.find(input.sessionId);
    if (!parties) throw notFound('Call');
    const role = this.roleOf(actor, parties, live);
    await this.access.requireCallRole(actor, parties, role);
    if (!live) throw conflict('This call has ended');
    this.requireJoined(actor, parties.id, live[role], socketId);
    const peer = live[otherRole(role)];
    if (!live.answered || !peer) throw conflict('The call has not been answered yet');
    if (input.to !== peer.userId) throw this.access.refuse(actor, forbidden('Signals go only to the other person in this call'), `call:${parties.id}`);
    if (!peer.socketId) throw conflict('The other person is reconnecting; try again in a moment');
    if (Buffer.byteLength(JSON.stringify(input.data)) > MAX_SIGNAL_BYTES) {
      throw new DomainError(ErrorCode.PayloadTooLarge, `A signal may carry at most ${MAX_SIGNAL_BYTES} bytes`);
    }
    return { socketId: peer.socketId, payload: { sessionId: parties.id, from: actor.userId, data: input.data } };
  }

  /** A new socket of a device that is in a call takes that device's place in it (a reconnect within grace). */
  async rejoin(actor: Actor, socketId: string): Promise<void> {
    const sessionId = await this.live.deviceCall(actor.sessionId);
    if (!sessionId) return;
    const live = await this.live.get(sessionId);
    const role = [CallRole.Caller, CallRole.Callee].find((r) => live?.[r]?.device === actor.sessionId);
    if (!live || !role) return this.live.forgetDevice(actor.sessionId, sessionId);
    await this.live.join(sessionId, role, { userId: actor.userId, device: actor.sessionId, socketId });
  }

  /** A participant's socket closed: the call waits out the grace period for a reconnect, on any node. */
  async socketDropped(socketId: string): Promise<void> {
    const now = this.clock.now();
    const dropped = await this.live.dropped(socketId, now);
    if (!dropped) return;
    const runAt = new Date(now.getTime() + this.config.callReconnectGraceSeconds * 1000 + 100);
    await this.transactions.run((em) =>
      this.jobs.enqueue(em, JobName.CheckCallSession, { sessionId: dropped.sessionId }, { jobId: `call-grace-${dropped.sessionId}-${socketId}`, runAt }),
    );
  }

  /**
   * The job behind every time-out: a call still ringing after the ring time-out is missed; a live call
   * whose participant dropped and did not come back within the grace period, or whose node stopped
   * announcing it, ends. Idempotent: it re-reads everything, and each ending is a compare-and-set.
   */
  async check(sessionId: string): Promise<CheckOutcome> {
    const call = await this.calls.find(sessionId);
    if (!call) return CheckOutcome.Gone;
    if (!LIVE_CALL_STATES.includes(call.state)) {
      await this.live.close(sessionId);
      return CheckOutcome.Finished;
    }
    const now = this.clock.now().getTime();
    if (call.state === CallState.Ringing && now >= call.startedAt.getTime() + this.config.callRingTimeoutSeconds * 1000) {
      return (await this.finish(call, { state: CallState.Missed, reason: CallEndReason.NoAnswer, by: null, onlyIf: CallState.Ringing }))
        ? CheckOutcome.Missed
        : CheckOutcome.Finished;
    }
    const live = await this.live.get(sessionId);
    const alive = await this.live.alive(sessionId);
    const roles = call.state === CallState.Active ? [CallRole.Caller, CallRole.Callee] : [CallRole.Caller];
    const states = roles.map((role) => this.liveness(live?.[role], alive[role], now));
    if (states.some((s) => s.state === 'lost')) {
      return (await this.finish(call, { state: CallState.Ended, reason: CallEndReason.ConnectionLost, by: null })) ? CheckOutcome.Lost : CheckOutcome.Finished;
    }
    const graceEnds = states.flatMap((s) => (s.state === 'grace' ? [s.until] : []));
    await this.transactions.run(async (em) => {
      if (graceEnds.length > 0) {
        const at = Math.min(...graceEnds) + 100;
        await this.jobs.enqueue(em, JobName.CheckCallSession, { sessionId }, { jobId: `call-grace-${sessionId}-${at}`, runAt: new Date(at) });
      }
      // the watch that notices a node which died with a participant's socket (its alive key expires)
      if (call.state === CallState.Active) {
        const slot = Math.floor(now / WATCH_INTERVAL_MS) + 1;
        await this.jobs.enqueue(em, JobName.CheckCallSession, { sessionId }, { jobId: `call-watch-${sessionId}-${slot}`, runAt: new Date(slot * WATCH_INTERVAL_MS) });
      }
    });
    return CheckOutcome.Live;
  }

  private liveness(participant: Participant | undefined, alive: boolean, now: number): Liveness {
    if (!participant) return { state: 'lost' };
    if (participant.socketId) return alive ? { state: 'up' } : { state: 'lost' };
    const until = (participant.droppedAt ?? 0) + this.config.callReconnectGraceSeconds * 1000;
    return now >= until ? { state: 'lost' } : { state: 'grace', until };
  }

  /**
   * Ends a live call once (compare-and-set), adds its talk time to the scheduled call it realised, frees
   * its live state and tells every device that rang or took part.
   */
  private async finish(
    call: CallSessionEntity,
    end: { state: CallState.Ended | CallState.Declined | CallState.Missed; reason: CallEndReason; by: string | null; onlyIf?: CallState },
  ): Promise<CallSessionResponse | undefined> {
    const ended = await this.transactions.run(async (em) => {
      const row = await this.calls.finish(em, call.id, { ...end, at: this.clock.now() });
      if (row?.occurrenceId && row.answeredAt) {
        await this.calls.addTalkedSeconds(em, row.childId, row.occurrenceId, talkedSeconds(row) ?? 0, row.endedAt!);
      }
      return row;
    });
    if (!ended) return undefined;
    await this.live.close(call.id).catch((error: unknown) => this.logger.warn({ err: (error as Error).message, sessionId: call.id }, 'call state not freed; it expires'));
    const session = toCallSessionResponse(ended);
    this.publisher.toUsers(await this.parties(ended), end.state === CallState.Declined ? CallEvent.Declined : CallEvent.Ended, { session });
    return session;
  }

  private async requireCall(sessionId: string): Promise<CallSessionEntity> {
    const call = await this.calls.find(sessionId);
    if (!call) throw notFound('Call');
    return call;
  }

  /** A device is in one call at a time; a pointer left by a call that ended is cleared on the way. */
  private async requireFreeDevice(device: string): Promise<void> {
    const current = await this.live.deviceCall(device);
    if (!current) return;
    const call = await this.calls.find(current);
    if (call && LIVE_CALL_STATES.includes(call.state)) throw conflict('You are already in a call');
    await this.live.forgetDevice(device, current);
  }

  /** Which end of the call the actor acts as: the role its device joined, else what the record says. */
  private roleOf(actor: Actor, call: CallParties, live: LiveCall | undefined): CallRole {
    if (live?.caller?.device === actor.sessionId) return CallRole.Caller;
    if (live?.callee?.device === actor.sessionId) return CallRole.Callee;
    return actor.userId === call.callerId ? CallRole.Caller : CallRole.Callee;
  }

  /** Only the device (and socket) that joined acts in the call: not the same person's other phone, not the other guardian. */
  private requireJoined(actor: Actor, sessionId: string, participant: Participant | undefined, socketId: string): void {
    if (!participant || participant.device !== actor.sessionId || participant.userId !== actor.userId || (participant.socketId && participant.socketId !== socketId)) {
      throw this.access.refuse(actor, forbidden('Only the two people joined in this call can do this'), `call:${sessionId}`);
    }
  }

  private notRinging(call: CallSessionEntity): DomainError {
    if (call.state === CallState.Active) return conflict('Someone else has already answered this call');
    return conflict(`This call is over (${call.state})`);
  }

  private openForCall(occurrence: OpenOccurrence, contactId: string, now: Date): OpenOccurrence {
    if (occurrence.parentId !== contactId) throw conflict('This scheduled call is with another parent');
    if (occurrence.state !== 'scheduled') throw conflict(`This scheduled call is ${occurrence.state}`);
    const opens = new Date(occurrence.startsAt).getTime() - OCCURRENCE_EARLY_MS;
    if (now.getTime() < opens || now >= new Date(occurrence.endsAt)) throw conflict('It is not the time of this scheduled call');
    return occurrence;
  }

  /** Who a call rings: the child and its guardians, or the one contact; never the caller. */
  private async calledSide(call: Pick<CallSessionEntity, 'calleeSide' | 'calleeId' | 'childId' | 'familyId' | 'callerId'>): Promise<string[]> {
    const users = call.calleeSide === CallSide.Child ? [call.childId, ...(await this.calls.guardiansOf(call.familyId))] : [call.calleeId];
    return [...new Set(users.filter((id): id is string => !!id && id !== call.callerId))];
  }

  /** Everyone a call's outcome concerns: the caller and every device it rang. */
  private async parties(call: CallSessionEntity): Promise<string[]> {
    return [...new Set([...(call.callerId ? [call.callerId] : []), ...(await this.calledSide(call))])];
  }
}

