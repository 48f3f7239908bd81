import { io, Socket } from 'socket.io-client';
import { TestApp } from './app';

/** Connects as the holder of `token`; resolves once connected, rejects with the server's refusal. */
export function connectAs(t: TestApp | string, token: string | undefined): Promise<Socket> {
  const url = typeof t === 'string' ? t : t.url;
  const socket = io(url, { path: '/socket.io', transports: ['websocket'], auth: token ? { token } : {}, reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** Waits for the next `event` whose payload passes `predicate`. */
export function waitForEvent<T = unknown>(socket: Socket, event: string, predicate: (data: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (data: T) => {
      if (!predicate(data)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(data);
    };
    socket.on(event, listener);
  });
}

/** Emits with an acknowledgement and resolves with the server's answer. */
export function emitWithAck<T = { ok: boolean }>(socket: Socket, event: string, payload: unknown, timeoutMs = 5000): Promise<T> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
}
