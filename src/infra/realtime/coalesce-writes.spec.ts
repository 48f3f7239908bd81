import { createServer, Server as HttpServer } from 'node:http';
import { AddressInfo, Socket as TcpSocket } from 'node:net';
import { Server, Socket } from 'socket.io';
import { io as connect, Socket as ClientSocket } from 'socket.io-client';
import { coalesceWrites } from './coalesce-writes';

/** The server side's TCP socket under a WebSocket connection, and how many writes reached it. */
function countWrites(socket: Socket): { writes: () => number } {
  const tcp = (socket.conn as unknown as { transport: { socket: { _socket: TcpSocket } } }).transport.socket._socket;
  let writes = 0;
  const writev = tcp._writev!.bind(tcp);
  const write = tcp._write.bind(tcp);
  tcp._writev = (chunks, callback) => (writes++, writev(chunks, callback));
  tcp._write = (chunk, encoding, callback) => (writes++, write(chunk, encoding, callback));
  return { writes: () => writes };
}

describe('coalesceWrites: one write per socket per tick', () => {
  let http: HttpServer;
  let server: Server;
  let url: string;
  const clients: ClientSocket[] = [];

  beforeEach(async () => {
    http = createServer();
    server = new Server(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A connected pair: the server's socket (coalesced or not) and the client's, which records what it receives. */
  async function pair(coalesced: boolean, transports: string[] = ['websocket']): Promise<{ socket: Socket; client: ClientSocket; received: unknown[] }> {
    const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect(url, { transports, reconnection: false, forceNew: true });
    clients.push(client);
    const received: unknown[] = [];
    client.onAny((event: string, n: number) => received.push(`${event}:${n}`));
    const socket = await connected;
    if (coalesced) coalesceWrites(socket);
    await new Promise((resolve) => (client.connected ? resolve(undefined) : client.once('connect', () => resolve(undefined))));
    return { socket, client, received };
  }

  const until = async (check: () => boolean) => {
    while (!check()) await new Promise((r) => setTimeout(r, 5));
  };

  /** What a committed batch does to a socket: an event now, an acknowledgement a few promise hops later, another event. Answers the writes it took. */
  async function emitLikeABatch(coalesced: boolean): Promise<number> {
    const { socket, received } = await pair(coalesced);
    const { writes } = countWrites(socket);
    socket.emit('message:new', 1);
    await Promise.resolve();
    socket.emit('answer', 2);
    socket.emit('message:new', 3);
    await until(() => received.length === 3);
    expect(received).toEqual(['message:new:1', 'answer:2', 'message:new:3']);
    return writes();
  }

  it('sends what one tick emits to a socket in one write, in emit order', async () => {
    expect(await emitLikeABatch(true)).toBe(1);
  });

  it('is what makes it one: without it the same emits take more writes', async () => {
    expect(await emitLikeABatch(false)).toBeGreaterThan(1);
  });

  it('coalesces on the WebSocket a long-polling client upgraded to', async () => {
    const { socket, client, received } = await pair(true, ['polling', 'websocket']);
    await until(() => client.io.engine.transport.name === 'websocket' && socket.conn.transport.name === 'websocket');
    const { writes } = countWrites(socket);
    socket.emit('message:new', 1);
    socket.emit('answer', 2);
    await until(() => received.length === 2);
    expect(received).toEqual(['message:new:1', 'answer:2']);
    expect(writes()).toBe(1);
  });

  it('still answers acknowledgements, and leaves long-polling clients working', async () => {
    const { socket, client, received } = await pair(true, ['polling']);
    socket.on('ping?', (n: number, ack: (answer: number) => void) => ack(n + 1));
    socket.emit('hello', 1);
    expect(await client.emitWithAck('ping?', 41)).toBe(42);
    await until(() => received.length === 1);
    expect(received).toEqual(['hello:1']);
  });
});
