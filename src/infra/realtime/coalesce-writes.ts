import type { Socket } from 'socket.io';

/** The engine.io internals this reaches into (engine.io 6: Socket.flush, the transport's ws and its TCP socket). */
interface EngineConnection {
  flush(): void;
  transport: { name: string; socket?: { _socket?: { cork(): void; uncork(): void } } };
}

/**
 * One write per socket per tick. engine.io writes every packet the moment it is emitted, and while a
 * write is in flight it holds the next packets until that write's callback: a committed batch of
 * messages that gives one socket its acknowledgement and a partner's `message:new` cost it two
 * system calls (two TCP segments, two wake-ups of the device). Here the flush waits for the end of
 * the tick (process.nextTick runs after the promise chains of the batch have answered) and the
 * WebSocket's TCP socket is corked while engine.io writes the frames, so they leave in one writev.
 * Order is unchanged: the packets stay in engine.io's buffer in emit order.
 */
export function coalesceWrites(socket: Socket): void {
  const conn = socket.conn as unknown as EngineConnection;
  const flushNow = conn.flush.bind(conn);
  let scheduled = false;
  const flushTick = () => {
    scheduled = false;
    const tcp = conn.transport.name === 'websocket' ? conn.transport.socket?._socket : undefined;
    if (!tcp) return flushNow();
    tcp.cork();
    try {
      flushNow();
    } finally {
      tcp.uncork();
    }
  };
  conn.flush = () => {
    if (scheduled) return;
    scheduled = true;
    process.nextTick(flushTick);
  };
}
