import type { Socket } from 'socket.io';
import { takeCallEventsInTurn } from './calls.gateway';

type Middleware = (packet: unknown[], next: (err?: Error) => void) => void;

/** A socket that only records its middleware, and feeds it packets as socket.io would. */
function fakeSocket() {
  let middleware: Middleware | undefined;
  const socket = { use: (fn: Middleware) => (middleware = fn) } as unknown as Socket;
  const deliver = (packet: unknown[]) => {
    const next = jest.fn();
    middleware!(packet, next);
    return next;
  };
  return { socket, deliver };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('call events of one socket, in turn', () => {
  it('holds call events until the socket is back in its call, then runs them one at a time in arrival order', async () => {
    const { socket, deliver } = fakeSocket();
    let rejoined!: () => void;
    takeCallEventsInTurn(socket, new Promise<void>((resolve) => (rejoined = resolve)));
    const offerAck = jest.fn();
    const offer = ['call:signal', { n: 1 }, offerAck];
    const nextOffer = deliver(offer);
    const candidateAck = jest.fn();
    const candidate = ['call:signal', { n: 2 }, candidateAck];
    const nextCandidate = deliver(candidate);
    await flush();
    expect(nextOffer).not.toHaveBeenCalled();

    rejoined();
    await flush();
    expect(nextOffer).toHaveBeenCalledTimes(1);
    expect(nextCandidate).not.toHaveBeenCalled();

    // the handler acknowledges the offer: the client gets the answer, and the candidate's turn comes
    (offer[2] as (r: unknown) => void)({ ok: true });
    expect(offerAck).toHaveBeenCalledWith({ ok: true });
    await flush();
    expect(nextCandidate).toHaveBeenCalledTimes(1);
  });

  it('lets other events through at once', async () => {
    const { socket, deliver } = fakeSocket();
    takeCallEventsInTurn(socket, new Promise(() => undefined));
    expect(deliver(['message:send', {}, jest.fn()])).toHaveBeenCalledTimes(1);
  });

  it('gives an event without acknowledgement one that only ends its turn', async () => {
    const { socket, deliver } = fakeSocket();
    takeCallEventsInTurn(socket, Promise.resolve());
    const packet: unknown[] = ['call:signal', { n: 1 }];
    deliver(packet);
    const next = deliver(['call:signal', { n: 2 }, jest.fn()]);
    expect(typeof packet[2]).toBe('function');
    await flush();
    expect(next).not.toHaveBeenCalled();
    (packet[2] as (r: unknown) => void)({ ok: true });
    await flush();
    expect(next).toHaveBeenCalledTimes(1);
  });

  it('does not let a handler that never answers hold the socket for ever', async () => {
    jest.useFakeTimers();
    try {
      const { socket, deliver } = fakeSocket();
      takeCallEventsInTurn(socket, Promise.resolve());
      deliver(['call:end', { sessionId: 'x' }, jest.fn()]);
      const next = deliver(['call:signal', { n: 2 }, jest.fn()]);
      await jest.advanceTimersByTimeAsync(9_000);
      expect(next).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(1_100);
      expect(next).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
