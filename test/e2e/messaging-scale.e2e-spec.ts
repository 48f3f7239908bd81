import type { Socket } from 'socket.io-client';
import { eventually, TestApp } from '../helpers/app';
import { connectAs, emitWithAck, waitForEvent } from '../helpers/sockets';
import { auth, givenFamily, TestFamily } from '../factories';

interface Message {
  id: string;
  conversationId: string;
  seq: number;
  clientMsgId: string;
  senderId: string;
  body: string | null;
}
interface Ack {
  ok: boolean;
  message?: Message;
  error?: { status: number };
}

/** Two API nodes on one database and one Redis prefix: messages cross between them, once and in order. */
describe('messaging across two API nodes', () => {
  let a: TestApp;
  let b: TestApp;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    a = await TestApp.start({ env: { APP_ROLE: 'all' } });
    b = await TestApp.start({ env: { APP_ROLE: 'api' }, sameDataAs: a });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await new Promise((r) => setTimeout(r, 300));
    await b.stop();
    await a.stop();
  });

  const connect = async (node: TestApp, token: string) => {
    const socket = await connectAs(node, token);
    sockets.push(socket);
    return socket;
  };
  const familyThread = async (family: TestFamily): Promise<string> => {
    const res = await a.http.get('/v1/conversations').set(auth(family.parent.token));
    return (res.body.items as { id: string; kind: string }[]).find((c) => c.kind === 'family')!.id;
  };
  const send = (socket: Socket, conversationId: string, clientMsgId: string, body: string) =>
    emitWithAck<Ack>(socket, 'message:send', { conversationId, clientMsgId, kind: 'text', body });
  const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

  it('a user on node A and a user on node B exchange messages, each delivered once to every device but the sending socket', async () => {
    const family = await givenFamily(a);
    const conversationId = await familyThread(family);
    const parentOnA = await connect(a, family.parent.token);
    const parentOnB = await connect(b, family.parent.token);
    const guardianOnB = await connect(b, family.guardian.token);
    const childOnB = await connect(b, family.child.token);
    const got = new Map<Socket, Message[]>([parentOnA, parentOnB, guardianOnB, childOnB].map((s) => [s, []]));
    for (const [s, list] of got) s.on('message:new', (m: Message) => list.push(m));

    const fromA = await send(parentOnA, conversationId, 'a-1', '妈，我在工地挺好的');
    expect(fromA).toMatchObject({ ok: true, message: { seq: 1 } });
    const fromB = await send(guardianOnB, conversationId, 'b-1', '好，注意身体');
    expect(fromB).toMatchObject({ ok: true, message: { seq: 2 } });
    const receipt = waitForEvent<{ userId: string; readSeq: number }>(parentOnA, 'message:receipt', (r) => r.userId === family.guardian.id);
    expect(await emitWithAck<Ack & { readSeq: number }>(guardianOnB, 'message:read', { conversationId, upToSeq: 2 })).toMatchObject({ ok: true, readSeq: 2 });
    expect((await receipt).readSeq).toBe(2);

    // each sending socket has its own message in its ack; the sender's socket on the other node gets it
    const expected = new Map([
      [parentOnA, [fromB.message!.id]],
      [parentOnB, [fromA.message!.id, fromB.message!.id]],
      [guardianOnB, [fromA.message!.id]],
      [childOnB, [fromA.message!.id, fromB.message!.id]],
    ]);
    for (const [s, ids] of expected) await eventually(() => expect(got.get(s)!.map((m) => m.id)).toEqual(ids));
    await new Promise((r) => setTimeout(r, 150));
    for (const [s, ids] of expected) expect(got.get(s)!.map((m) => m.id)).toEqual(ids);
  });

  it('concurrent senders on both nodes get gapless seqs, and a duplicate sent to both nodes at once is stored once', async () => {
    const family = await givenFamily(a);
    const conversationId = await familyThread(family);
    const onA = await Promise.all([connect(a, family.parent.token), connect(a, family.child.token)]);
    const onB = await Promise.all([connect(b, family.guardian.token), connect(b, family.parent.token)]);
    const all = [...onA, ...onB];
    const perSocket = 30;
    const sends = all.flatMap((socket, s) => range(perSocket).map((i) => send(socket, conversationId, `n${s}-${i}`, `消息 ${s}/${i}`)));
    // the parent resends the same client id through both nodes at once
    const duplicates = range(6).flatMap(() => [send(onA[0], conversationId, 'twice', '同一条'), send(onB[1], conversationId, 'twice', '同一条')]);
    const acks = await Promise.all([...sends, ...duplicates]);
    expect(acks.every((ack) => ack.ok)).toBe(true);

    const n = all.length * perSocket + 1;
    const rows = await a.query<{ seq: string; client_msg_id: string }>(`SELECT seq, client_msg_id FROM messages WHERE conversation_id = $1 ORDER BY seq`, [conversationId]);
    expect(rows.map((r) => Number(r.seq))).toEqual(range(n));
    expect(rows.filter((r) => r.client_msg_id === 'twice')).toHaveLength(1);
    const duplicateIds = new Set(acks.slice(sends.length).map((ack) => ack.message!.id));
    expect(duplicateIds.size).toBe(1);

    // both nodes answer the same sync
    const syncA = await a.http.get(`/v1/conversations/${conversationId}/messages`).query({ limit: 200 }).set(auth(family.child.token));
    const syncB = await b.http.get(`/v1/conversations/${conversationId}/messages`).query({ limit: 200 }).set(auth(family.child.token));
    expect(syncA.body.items.map((m: Message) => m.seq)).toEqual(range(n));
    expect(syncB.body).toEqual(syncA.body);
  });
});
