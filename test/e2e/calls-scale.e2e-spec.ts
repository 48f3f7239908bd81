import type Redis from 'ioredis';
import type { Socket } from 'socket.io-client';
import { REDIS_COMMAND } from '../../src/infra/redis/redis.factory';
import { CallSessionsService, CheckOutcome } from '../../src/modules/calls/call-sessions.service';
import { eventually, TestApp } from '../helpers/app';
import { connectAs, emitWithAck, waitForEvent } from '../helpers/sockets';
import { givenFamily } from '../factories';

const RING_SECONDS = 2;
const GRACE_SECONDS = 1;

interface Session {
  id: string;
  state: string;
  answeredBy: string | null;
  endReason: string | null;
}
interface Ack {
  ok: boolean;
  session?: Session;
  error?: { status: number; code: string };
}
interface SignalEvent {
  sessionId: string;
  from: string;
  data: { type: string; sdp?: string; candidate?: { candidate: string; sdpMid?: string; sdpMLineIndex?: number } };
}

const description = (type: 'offer' | 'answer', who: string) => ({ type, sdp: `v=0\r\no=${who} 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n` });
const candidate = (who: string, n: number) => ({ type: 'candidate', candidate: { candidate: `candidate:${n} 1 udp 2122260223 10.0.${who === 'parent' ? 1 : 2}.${n} 9 typ host`, sdpMid: '0', sdpMLineIndex: 0 } });

/**
 * Calls across API nodes sharing PostgreSQL and Redis: node A serves sockets only, node B serves sockets
 * and runs the workers, so every time-out of a call on A is decided on B.
 */
describe('calls across API nodes', () => {
  let a: TestApp;
  let b: TestApp;
  const sockets: Socket[] = [];
  const env = { CALL_RING_TIMEOUT_SECONDS: String(RING_SECONDS), CALL_RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS), OUTBOX_POLL_MS: '50' };

  beforeAll(async () => {
    b = await TestApp.start({ env: { ...env, APP_ROLE: 'all' } });
    a = await TestApp.start({ env: { ...env, APP_ROLE: 'api' }, sameDataAs: b });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await new Promise((r) => setTimeout(r, 300));
    await a.stop();
    await b.stop();
  });

  const connect = async (node: TestApp, token: string) => {
    const socket = await connectAs(node, token);
    sockets.push(socket);
    return socket;
  };
  const ack = (socket: Socket, event: string, payload: unknown) => emitWithAck<Ack>(socket, event, payload);
  const record = (socket: Socket, event = 'call:signal'): SignalEvent[] => {
    const seen: SignalEvent[] = [];
    socket.on(event, (e: SignalEvent) => seen.push(e));
    return seen;
  };

  it('a parent on node A and a child on node B go through a full call: ring, answer, offer, answer, candidates, hang-up', async () => {
    const f = await givenFamily(b);
    const parent = await connect(a, f.parent.token);
    const guardian = await connect(a, f.guardian.token);
    const child = await connect(b, f.child.token);
    const secondGuardianSocket = await connect(b, f.guardian.token);

    const rings = [child, guardian, secondGuardianSocket].map((s) => waitForEvent<{ session: Session }>(s, 'call:incoming'));
    const started = await ack(parent, 'call:start', { childId: f.child.id });
    expect(started).toMatchObject({ ok: true, reachable: true, session: { state: 'ringing' } });
    const sessionId = started.session!.id;
    for (const ring of await Promise.all(rings)) expect(ring.session.id).toBe(sessionId);

    const taken = [parent, guardian, secondGuardianSocket].map((s) => waitForEvent<{ session: Session }>(s, 'call:accepted'));
    expect(await ack(child, 'call:accept', { sessionId })).toMatchObject({ ok: true, session: { state: 'active', answeredBy: f.child.id } });
    for (const seen of await Promise.all(taken)) expect(seen.session).toMatchObject({ id: sessionId, answeredBy: f.child.id });
    expect((await ack(guardian, 'call:accept', { sessionId })).error).toMatchObject({ status: 409 });

    const atParent = record(parent);
    const atChild = record(child);
    const atGuardians = [...record(guardian), ...record(secondGuardianSocket)];
    const atGuardiansToo = () => atGuardians.length;

    expect(await ack(parent, 'call:signal', { sessionId, to: f.child.id, data: description('offer', 'parent') })).toMatchObject({ ok: true });
    const parentCandidates = Array.from({ length: 10 }, (_, n) => ack(parent, 'call:signal', { sessionId, to: f.child.id, data: candidate('parent', n) }));
    await eventually(() => expect(atChild.length).toBeGreaterThanOrEqual(1));
    expect(await ack(child, 'call:signal', { sessionId, to: f.parent.id, data: description('answer', 'child') })).toMatchObject({ ok: true });
    const childCandidates = Array.from({ length: 10 }, (_, n) => ack(child, 'call:signal', { sessionId, to: f.parent.id, data: candidate('child', n) }));
    expect((await Promise.all([...parentCandidates, ...childCandidates])).every((r) => r.ok)).toBe(true);

    await eventually(() => expect(atChild).toHaveLength(11));
    await eventually(() => expect(atParent).toHaveLength(11));
    expect(atChild.map((e) => e.data)).toEqual([description('offer', 'parent'), ...Array.from({ length: 10 }, (_, n) => candidate('parent', n))]);
    expect(atParent.map((e) => e.data)).toEqual([description('answer', 'child'), ...Array.from({ length: 10 }, (_, n) => candidate('child', n))]);
    expect(atChild.every((e) => e.from === f.parent.id && e.sessionId === sessionId)).toBe(true);
    expect(atParent.every((e) => e.from === f.child.id)).toBe(true);

    // the guardian, rung on both nodes, is no participant: refused on either, and hears no signal
    expect((await ack(secondGuardianSocket, 'call:signal', { sessionId, to: f.child.id, data: description('offer', 'guardian') })).error).toMatchObject({ status: 403 });
    expect((await ack(guardian, 'call:signal', { sessionId, to: f.parent.id, data: description('offer', 'guardian') })).error).toMatchObject({ status: 403 });
    expect(atGuardiansToo()).toBe(0);

    const ended = [parent, guardian].map((s) => waitForEvent<{ session: Session }>(s, 'call:ended'));
    expect(await ack(child, 'call:end', { sessionId })).toMatchObject({ ok: true, session: { state: 'ended', endReason: 'hung_up' } });
    for (const seen of await Promise.all(ended)) expect(seen.session).toMatchObject({ id: sessionId, state: 'ended' });
  });

  it('a device that drops on node B and comes back on node A within the grace period keeps its call', async () => {
    const f = await givenFamily(b);
    const parent = await connect(a, f.parent.token);
    const child = await connect(b, f.child.token);
    const started = await ack(parent, 'call:start', { childId: f.child.id });
    const sessionId = started.session!.id;
    await ack(child, 'call:accept', { sessionId });

    child.close();
    const back = await connect(a, f.child.token);
    const atParent = waitForEvent<SignalEvent>(parent, 'call:signal');
    expect(await ack(back, 'call:signal', { sessionId, to: f.parent.id, data: description('offer', 'child-restart') })).toMatchObject({ ok: true });
    expect((await atParent).data).toEqual(description('offer', 'child-restart'));
    const atBack = waitForEvent<SignalEvent>(back, 'call:signal');
    expect(await ack(parent, 'call:signal', { sessionId, to: f.child.id, data: description('answer', 'parent') })).toMatchObject({ ok: true });
    expect((await atBack).data).toEqual(description('answer', 'parent'));

    // the grace check on node B's worker finds the device back, and leaves the call alone
    await new Promise((r) => setTimeout(r, GRACE_SECONDS * 1000 + 700));
    const [row] = await b.query<{ state: string }>(`SELECT state FROM call_sessions WHERE id = $1`, [sessionId]);
    expect(row.state).toBe('active');
    await ack(parent, 'call:end', { sessionId });
  });

  it('a call whose node shuts down while it rings still ends as missed, decided on another node', async () => {
    const f = await givenFamily(b);
    const c = await TestApp.start({ env: { ...env, APP_ROLE: 'api' }, sameDataAs: b });
    const child = await connect(a, f.child.token);
    const parentOnC = await connectAs(c, f.parent.token);
    const rung = waitForEvent<{ session: Session }>(child, 'call:incoming');
    const started = await ack(parentOnC, 'call:start', { childId: f.child.id });
    await rung;
    await c.stop();
    parentOnC.close();

    const ended = await waitForEvent<{ session: Session }>(child, 'call:ended', () => true, (RING_SECONDS + 8) * 1000);
    expect(ended.session).toMatchObject({ id: started.session!.id, state: 'missed', endReason: 'no_answer' });
  });

  it('a call whose node died with a participant (its liveness expired) is ended by the watch', async () => {
    const f = await givenFamily(b);
    const parent = await connect(a, f.parent.token);
    const child = await connect(a, f.child.token);
    const started = await ack(parent, 'call:start', { childId: f.child.id });
    const sessionId = started.session!.id;
    await ack(child, 'call:accept', { sessionId });
    const service = b.app.get(CallSessionsService);
    expect(await service.check(sessionId)).toBe(CheckOutcome.Live);

    // what a dead node leaves behind: its socket still bound, its liveness key gone (expired)
    const redis = b.app.get<Redis>(REDIS_COMMAND);
    await redis.del(`${b.config.redisPrefix}:call:{${sessionId}}:alive:callee`);
    const ended = waitForEvent<{ session: Session }>(parent, 'call:ended');
    expect(await service.check(sessionId)).toBe(CheckOutcome.Lost);
    expect((await ended).session).toMatchObject({ id: sessionId, state: 'ended', endReason: 'connection_lost' });
    expect(await service.check(sessionId)).toBe(CheckOutcome.Finished);
  });
});
