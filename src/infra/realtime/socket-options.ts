import type { ServerOptions } from 'socket.io';

/**
 * The socket.io server options of every API node (RealtimeIoAdapter). A module of its own, importing
 * nothing, so the bare relay of bench/messaging.ts runs with exactly these and loads nothing else.
 */
export const SOCKET_SERVER_OPTIONS: Partial<ServerOptions> = {
  path: '/socket.io',
  serveClient: false,
  cors: { origin: true, credentials: false },
};
