import { Logger, OnModuleDestroy, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { Actor } from '../../common/actor';
import { SocketProblemFilter } from '../../common/socket-exception.filter';
import { socketValidationPipe } from '../../common/validation';
import { socketActor, WsSessionGuard } from '../identity/ws-session.guard';
import { CallEvent, CallSessionsService, CallStarted } from './call-sessions.service';
import { CallRefDto, CallSessionResponse, SignalCallDto, StartCallDto } from './dto/call.dto';
import { FamilyPresenceService } from './family-presence.service';

/** Longest one call event may hold up the next one of the same socket. */
const EVENT_TURN_MS = 10_000;

/**
 * Call events (`call:start|accept|decline|signal|end`) and the socket lifecycle they depend on: a
 * reconnecting device takes its place back in its call, a closing socket starts the reconnect grace,
 * and family presence is announced. Each handler turns the event into (actor, input) for one service
 * call; the signal relay is emitted here, to the other participant's socket (on whichever node).
 */
@WebSocketGateway()
@UseGuards(WsSessionGuard)
@UseFilters(SocketProblemFilter)
@UsePipes(socketValidationPipe())
export class CallsGateway implements OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy {
  private readonly logger = new Logger(CallsGateway.name);
  private closing = false;
  @WebSocketServer() private readonly server: Server;

  constructor(
    private readonly calls: CallSessionsService,
    private readonly presence: FamilyPresenceService,
  ) {}

  /** Only authenticated sockets get here (the handshake middleware refuses the rest). */
  handleConnection(socket: Socket): void {
    const actor = socket.data.actor as Actor | undefined;
    if (!actor) return;
    const rejoined = this.calls.rejoin(actor, socket.id).catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, 'call rejoin failed'));
    takeCallEventsInTurn(socket, rejoined);
    void this.presence.connected(actor.userId, socket.id);
  }

  /**
   * A node shutting down closes its sockets: their clients reconnect to another node and take their
   * places back, so the closing is not a drop; a call whose device never returns ends by the watch.
   */
  onModuleDestroy(): void {
    this.closing = true;
  }

  async handleDisconnect(socket: Socket): Promise<void> {
    const actor = socket.data.actor as Actor | undefined;
    if (!actor || this.closing) return;
    await Promise.all([
      this.calls.socketDropped(socket.id).catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, 'call drop not recorded')),
      this.presence.disconnected(actor.userId, socket.id),
    ]);
  }

  @SubscribeMessage('call:start')
  async start(@ConnectedSocket() socket: Socket, @MessageBody() body: StartCallDto): Promise<{ ok: true } & CallStarted> {
    return { ok: true, ...(await this.calls.start(socketActor(socket), socket.id, body)) };
  }

  @SubscribeMessage('call:accept')
  async accept(@ConnectedSocket() socket: Socket, @MessageBody() body: CallRefDto): Promise<{ ok: true; session: CallSessionResponse }> {
    return { ok: true, session: await this.calls.accept(socketActor(socket), socket.id, body.sessionId) };
  }

  @SubscribeMessage('call:decline')
  async decline(@ConnectedSocket() socket: Socket, @MessageBody() body: CallRefDto): Promise<{ ok: true; session: CallSessionResponse }> {
    return { ok: true, session: await this.calls.decline(socketActor(socket), body.sessionId) };
  }

  @SubscribeMessage('call:end')
  async end(@ConnectedSocket() socket: Socket, @MessageBody() body: CallRefDto): Promise<{ ok: true; session: CallSessionResponse }> {
    return { ok: true, session: await this.calls.end(socketActor(socket), socket.id, body.sessionId) };
  }

  @SubscribeMessage('call:signal')
  async signal(@ConnectedSocket() socket: Socket, @MessageBody() body: SignalCallDto): Promise<{ ok: true; sessionId: string }> {
    const relay = await this.calls.signal(socketActor(socket), socket.id, body);
    // a socket id is also a room: through the Redis adapter this reaches the one socket on any node
    this.server.to(relay.socketId).emit(CallEvent.Signal, relay.payload);
    return { ok: true, sessionId: relay.payload.sessionId };
  }
}

/**
 * socket.io hands a socket's events to their handlers at once, and each handler awaits the session
 * guard and the access check: an ICE candidate sent right after its offer could overtake it. Call
 * events of one socket therefore run one at a time, in arrival order (the next starts when the previous
 * one acknowledged, or after EVENT_TURN_MS), and only after the socket took its place back in its call.
 * Events without an acknowledgement get one, which only ends their turn.
 */
export function takeCallEventsInTurn(socket: Socket, ready: Promise<unknown>): void {
  let tail: Promise<unknown> = ready;
  socket.use((packet, next) => {
    if (typeof packet[0] !== 'string' || !packet[0].startsWith('call:')) return next();
    let endTurn!: () => void;
    const turn = new Promise<void>((resolve) => (endTurn = resolve));
    const timer = setTimeout(endTurn, EVENT_TURN_MS);
    timer.unref();
    const last = packet.length - 1;
    const ack = typeof packet[last] === 'function' ? (packet[last] as (...args: unknown[]) => void) : undefined;
    const acknowledge = (...args: unknown[]) => {
      clearTimeout(timer);
      endTurn();
      ack?.(...args);
    };
    if (ack) packet[last] = acknowledge;
    else packet.push(acknowledge);
    const previous = tail;
    tail = previous.then(() => turn);
    void previous.then(() => next());
  });
}
