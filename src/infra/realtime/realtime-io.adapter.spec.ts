import { EventEmitter } from 'node:events';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { of } from 'rxjs';
import type { Socket } from 'socket.io';
import type { AppConfig } from '../../config/app-config';
import { RealtimeIoAdapter } from './realtime-io.adapter';
import type { RealtimePublisher } from './realtime.publisher';

/** A socket as the handlers see it: an emitter of client events that can also emit to its client. */
class FakeSocket extends EventEmitter {
  connected = true;
  sent: [string, unknown][] = [];
  override emit(event: string, ...args: unknown[]): boolean {
    if (event.startsWith('client:')) return super.emit(event.slice('client:'.length), ...args);
    this.sent.push([event, args[0]]);
    return true;
  }
  /** The client sends an event, with an acknowledgement that records its answer. */
  send(event: string, ...payload: unknown[]): Promise<unknown> {
    return new Promise((resolve) => this.emit(`client:${event}`, ...payload, resolve));
  }
}

const handler = (message: string, callback: MessageMappingProperties['callback'], isAckHandledManually = false): MessageMappingProperties => ({
  message,
  methodName: message,
  callback,
  isAckHandledManually,
});

describe('RealtimeIoAdapter: plain listeners instead of an rxjs pipeline per socket and handler', () => {
  const adapter = new RealtimeIoAdapter(undefined as never, {} as AppConfig, async () => ({ userId: 'u', sessionId: 's' }), {} as RealtimePublisher);
  const bind = (socket: FakeSocket, handlers: MessageMappingProperties[]) => adapter.bindMessageHandlers(socket as unknown as Socket, handlers, () => of());

  it('hands the handler the payload and answers what it resolves through the acknowledgement', async () => {
    const socket = new FakeSocket();
    const seen: unknown[] = [];
    bind(socket, [handler('echo', async (data) => (seen.push(data), { ok: true, data }))]);
    expect(await socket.send('echo', { n: 1 })).toEqual({ ok: true, data: { n: 1 } });
    expect(await socket.send('echo', 'a', 'b')).toEqual({ ok: true, data: ['a', 'b'] });
    expect(await socket.send('echo')).toEqual({ ok: true, data: undefined });
    expect(seen).toEqual([{ n: 1 }, ['a', 'b'], undefined]);
  });

  it('emits an {event, data} answer, takes observables, and leaves a manual ack to the handler', async () => {
    const socket = new FakeSocket();
    bind(socket, [
      handler('ping', () => Promise.resolve({ event: 'pong', data: 7 })),
      handler('stream', () => Promise.resolve(of({ ok: 1 }) as never)),
      handler('manual', (_data, ack: (v: unknown) => void) => Promise.resolve(ack({ mine: true }) as never), true),
    ]);
    socket.emit('client:ping', {});
    expect(await socket.send('stream', {})).toEqual({ ok: 1 });
    expect(await socket.send('manual', {})).toEqual({ mine: true });
    expect(socket.sent).toEqual([['pong', 7]]);
  });

  it('answers nothing to a socket that closed while its event ran, and never throws', async () => {
    const socket = new FakeSocket();
    let release!: () => void;
    const acks: unknown[] = [];
    bind(socket, [
      handler('slow', () => new Promise((resolve) => (release = () => resolve({ ok: true })))),
      handler('broken', () => Promise.reject(new Error('escaped its filter'))),
    ]);
    socket.emit('client:slow', {}, (answer: unknown) => acks.push(answer));
    socket.connected = false;
    release();
    socket.emit('client:broken', {}, (answer: unknown) => acks.push(answer));
    await new Promise((r) => setImmediate(r));
    expect(acks).toEqual([]);
  });

  it('binds one listener per handler and nothing else to the socket', () => {
    const socket = new FakeSocket();
    bind(socket, [handler('a', async () => 1), handler('b', async () => 2)]);
    expect(socket.eventNames().sort()).toEqual(['a', 'b']);
    expect(socket.listenerCount('a')).toBe(1);
  });
});
