import { createHmac } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Socket } from 'socket.io-client';
import { eventually, TestApp } from '../helpers/app';
import { connectAs, emitWithAck, waitForEvent } from '../helpers/sockets';
import { auth, givenAdult, givenClass, givenFamily, givenPairedDevice, TestFamily, TestUser } from '../factories';

const RING_SECONDS = 2;
const GRACE_SECONDS = 1;
const TURN_SECRET = 'turn-shared-secret-for-tests';

interface Session {
  id: string;
  familyId: string;
  childId: string;
  callerId: string | null;
  calleeSide: 'child' | 'contact';
  calleeId: string | null;
  occurrenceId: string | null;
  state: string;
  startedAt: string;
  answeredAt: string | null;
  answeredBy: string | null;
  endedAt: string | null;
  endedBy: string | null;
  endReason: string | null;
  talkedSeconds: number | null;
}
interface Ack {
  ok: boolean;
  session?: Session;
  reachable?: boolean;
  error?: { status: number; title: string; detail?: string; code: string };
}
interface SignalEvent {
  sessionId: string;
  from: string;
  data: { type: string; sdp?: string; candidate?: { candidate: string; sdpMid?: string; sdpMLineIndex?: number } };
}

const OFFER = { type: 'offer', sdp: 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' };
const ANSWER = { type: 'answer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' };
const candidate = (n: number) => ({ type: 'candidate', candidate: { candidate: `candidate:${n} 1 udp 2122260223 192.168.1.${n} 5000${n % 10} typ host`, sdpMid: '0', sdpMLineIndex: 0 } });

describe('calls: ringing, answering, signaling relay, time-outs, scheduled calls, ICE servers, presence', () => {
  let t: TestApp;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    t = await TestApp.start({
      env: {
        CALL_RING_TIMEOUT_SECONDS: String(RING_SECONDS),
        CALL_RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS),
        OUTBOX_POLL_MS: '50',
        RTC_STUN_URLS: 'stun:stun.example.com:3478',
        RTC_TURN_URLS: 'turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349',
        RTC_TURN_SECRET: TURN_SECRET,
        RTC_TURN_CREDENTIAL_TTL_SECONDS: '600',
      },
    });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    // let the server see the sockets go (and tell their families) before it stops
    await new Promise((r) => setTimeout(r, 300));
    await t.stop();
  });

  const connect = async (token: string): Promise<Socket> => {
    const socket = await connectAs(t, token);
    sockets.push(socket);
    return socket;
  };
  const ack = (socket: Socket, event: string, payload: unknown) => emitWithAck<Ack>(socket, event, payload);
  const row = async (sessionId: string) =>
    (
      await t.query<{ state: string; end_reason: string | null; answered_by: string | null; started_at: Date; answered_at: Date | null; ended_at: Date | null; ended_by: string | null }>(
        `SELECT state, end_reason, answered_by, started_at, answered_at, ended_at, ended_by FROM call_sessions WHERE id = $1`,
        [sessionId],
      )
    )[0];
  /** Collects every `event` a socket receives from now on. */
  const record = <T>(socket: Socket, event: string): T[] => {
    const seen: T[] = [];
    socket.on(event, (data: T) => seen.push(data));
    return seen;
  };

  /** A family with its parent, guardian and child each connected, and a call from the parent ringing. */
  const ringing = async (family?: TestFamily) => {
    const f = family ?? (await givenFamily(t));
    const [parent, guardian, child] = await Promise.all([connect(f.parent.token), connect(f.guardian.token), connect(f.child.token)]);
    const incoming = [waitForEvent<{ session: Session }>(child, 'call:incoming'), waitForEvent<{ session: Session }>(guardian, 'call:incoming')];
    const started = await ack(parent, 'call:start', { childId: f.child.id });
    expect(started).toMatchObject({ ok: true, reachable: true, session: { state: 'ringing', childId: f.child.id, callerId: f.parent.id, calleeSide: 'child', calleeId: null } });
    await Promise.all(incoming);
    return { f, parent, guardian, child, session: started.session! };
  };

  /** A call the child answered: the parent and the child's device are its two participants. */
  const answered = async () => {
    const call = await ringing();
    const accepted = waitForEvent<{ session: Session }>(call.parent, 'call:accepted');
    expect(await ack(call.child, 'call:accept', { sessionId: call.session.id })).toMatchObject({ ok: true, session: { state: 'active', answeredBy: call.f.child.id } });
    await accepted;
    return call;
  };

  describe('ringing and answering', () => {
    it('rings the child and the guardian; the first answer wins and the other device sees who took it', async () => {
      const { f, parent, guardian, child, session } = await ringing();
      const incoming = await waitForEvent<{ session: Session; caller: { id: string; displayName: string } }>(child, 'call:incoming', () => true, 10).catch(() => undefined);
      expect(incoming).toBeUndefined(); // one ring per call, already received
      const seenByGuardian = waitForEvent<{ session: Session }>(guardian, 'call:accepted');
      const seenByChild = waitForEvent<{ session: Session }>(child, 'call:accepted');
      const seenByParent = waitForEvent<{ session: Session }>(parent, 'call:accepted');
      const answers = await Promise.all([ack(child, 'call:accept', { sessionId: session.id }), ack(guardian, 'call:accept', { sessionId: session.id })]);

      const winners = answers.filter((a) => a.ok);
      expect(winners).toHaveLength(1);
      const loser = answers.find((a) => !a.ok)!;
      expect(loser.error).toMatchObject({ status: 409, code: 'conflict' });
      const winnerId = winners[0].session!.answeredBy;
      expect([f.child.id, f.guardian.id]).toContain(winnerId);
      for (const seen of await Promise.all([seenByGuardian, seenByChild, seenByParent])) {
        expect(seen.session).toMatchObject({ id: session.id, state: 'active', answeredBy: winnerId });
      }
      expect(await row(session.id)).toMatchObject({ state: 'active', answered_by: winnerId });
      await ack(parent, 'call:end', { sessionId: session.id });
    });

    it('refuses a ringing call’s answer, decline and hang-up to a stranger and another family’s adults and child, and its own answer to the caller', async () => {
      const other = await givenFamily(t);
      const outsiders = await Promise.all([(await givenAdult(t)).token, other.parent.token, other.guardian.token, other.child.token].map((token) => connect(token)));
      const { f, parent, child, session } = await ringing();
      const before = await row(session.id);
      for (const [n, socket] of outsiders.entries()) {
        for (const event of ['call:accept', 'call:decline', 'call:end']) {
          expect({ n, event, error: (await ack(socket, event, { sessionId: session.id })).error }).toMatchObject({ n, event, error: { status: 404, code: 'not_found' } });
        }
      }
      // the caller is not the side that answers
      expect((await ack(parent, 'call:accept', { sessionId: session.id })).error).toMatchObject({ status: 403, code: 'forbidden' });
      expect((await ack(parent, 'call:decline', { sessionId: session.id })).error).toMatchObject({ status: 403, code: 'forbidden' });
      expect(await row(session.id)).toEqual(before);
      expect(await ack(child, 'call:accept', { sessionId: session.id })).toMatchObject({ ok: true, session: { state: 'active', answeredBy: f.child.id } });
      await ack(parent, 'call:end', { sessionId: session.id });
    });

    it('tells the ringing devices who is calling', async () => {
      const f = await givenFamily(t);
      const [parent, child] = await Promise.all([connect(f.parent.token), connect(f.child.token)]);
      const incoming = waitForEvent<{ session: Session; caller: { id: string; displayName: string }; child: { id: string; displayName: string } }>(child, 'call:incoming');
      const started = await ack(parent, 'call:start', { childId: f.child.id });
      expect(await incoming).toEqual({ session: started.session, caller: { id: f.parent.id, displayName: f.parent.displayName }, child: { id: f.child.id, displayName: f.child.displayName } });
      await ack(parent, 'call:end', { sessionId: started.session!.id });
    });

    it('a decline ends the call as declined for the caller and every rung device', async () => {
      const { f, parent, guardian, child, session } = await ringing();
      const toParent = waitForEvent<{ session: Session }>(parent, 'call:declined');
      const toChild = waitForEvent<{ session: Session }>(child, 'call:declined');
      expect(await ack(guardian, 'call:decline', { sessionId: session.id })).toMatchObject({ ok: true, session: { state: 'declined', endReason: 'declined', endedBy: f.guardian.id } });
      expect((await toParent).session).toMatchObject({ id: session.id, state: 'declined' });
      expect((await toChild).session.state).toBe('declined');
      expect(await row(session.id)).toMatchObject({ state: 'declined', end_reason: 'declined', ended_by: f.guardian.id, answered_at: null });
      expect((await ack(child, 'call:accept', { sessionId: session.id })).error).toMatchObject({ status: 409 });
    });

    it('a call nobody answers ends as missed after the ring time-out', async () => {
      const { parent, child, session } = await ringing();
      const ended = await waitForEvent<{ session: Session }>(parent, 'call:ended', (e) => e.session.id === session.id, (RING_SECONDS + 5) * 1000);
      expect(ended.session).toMatchObject({ state: 'missed', endReason: 'no_answer', answeredAt: null, talkedSeconds: null });
      const r = await row(session.id);
      expect(r).toMatchObject({ state: 'missed', end_reason: 'no_answer' });
      expect(r.ended_at!.getTime() - r.started_at.getTime()).toBeGreaterThanOrEqual(RING_SECONDS * 1000);
      expect((await ack(child, 'call:accept', { sessionId: session.id })).error).toMatchObject({ status: 409 });
    });

    it('the caller hanging up before an answer cancels the call on every rung device', async () => {
      const { parent, guardian, session } = await ringing();
      const stopped = waitForEvent<{ session: Session }>(guardian, 'call:ended');
      expect(await ack(parent, 'call:end', { sessionId: session.id })).toMatchObject({ ok: true, session: { state: 'ended', endReason: 'cancelled' } });
      expect((await stopped).session.state).toBe('ended');
    });

    it('a child is in one call at a time, and so is a device', async () => {
      const { f, parent, session } = await ringing();
      const guardianSocket = await connect(f.guardian.token);
      expect((await ack(guardianSocket, 'call:start', { childId: f.child.id })).error).toMatchObject({ status: 409, detail: 'The child is already in a call' });
      await ack(parent, 'call:end', { sessionId: session.id });
      expect((await ack(guardianSocket, 'call:start', { childId: f.child.id })).ok).toBe(true);
    });

    it('records start, answer and end times; hanging up ends the call for both', async () => {
      const { f, parent, child, session } = await answered();
      t.clock.advance(1100);
      const toParent = waitForEvent<{ session: Session }>(parent, 'call:ended');
      const ended = await ack(child, 'call:end', { sessionId: session.id });
      expect(ended).toMatchObject({ ok: true, session: { state: 'ended', endReason: 'hung_up', endedBy: f.child.id } });
      expect(ended.session!.talkedSeconds).toBeGreaterThanOrEqual(1);
      expect((await toParent).session.id).toBe(session.id);
      const r = await row(session.id);
      expect(r.started_at <= r.answered_at! && r.answered_at! < r.ended_at!).toBe(true);
      expect((await ack(parent, 'call:end', { sessionId: session.id })).error).toMatchObject({ status: 409 });
    });
  });

  describe('signaling relay', () => {
    it('relays offer, answer and candidates between the two participants only, in order', async () => {
      const { f, parent, guardian, child, session } = await answered();
      const guardianSaw = record<SignalEvent>(guardian, 'call:signal');
      const parentSaw = record<SignalEvent>(parent, 'call:signal');
      const childSaw = record<SignalEvent>(child, 'call:signal');

      expect(await ack(parent, 'call:signal', { sessionId: session.id, to: f.child.id, data: OFFER })).toEqual({ ok: true, sessionId: session.id });
      // candidates right behind the offer, without waiting for acknowledgements: they must not overtake it
      const sends = Array.from({ length: 20 }, (_, n) => ack(parent, 'call:signal', { sessionId: session.id, to: f.child.id, data: candidate(n) }));
      expect((await Promise.all(sends)).every((a) => a.ok)).toBe(true);
      expect(await ack(child, 'call:signal', { sessionId: session.id, to: f.parent.id, data: ANSWER })).toMatchObject({ ok: true });

      await eventually(() => expect(childSaw).toHaveLength(21));
      await eventually(() => expect(parentSaw).toHaveLength(1));
      expect(childSaw[0]).toEqual({ sessionId: session.id, from: f.parent.id, data: OFFER });
      expect(childSaw.slice(1).map((s) => s.data)).toEqual(Array.from({ length: 20 }, (_, n) => candidate(n)));
      expect(parentSaw[0]).toEqual({ sessionId: session.id, from: f.child.id, data: ANSWER });
      expect(guardianSaw).toEqual([]);
      await ack(parent, 'call:end', { sessionId: session.id });
    });

    it('refuses a family member who is not a participant, a stranger, another family, and a second device of a participant', async () => {
      const { f, parent, guardian, child, session } = await answered();
      const childSaw = record<SignalEvent>(child, 'call:signal');
      const signal = { sessionId: session.id, to: f.child.id, data: OFFER };

      expect((await ack(guardian, 'call:signal', signal)).error).toMatchObject({ status: 403, code: 'forbidden' });
      const stranger = await connect((await givenAdult(t)).token);
      expect((await ack(stranger, 'call:signal', signal)).error).toMatchObject({ status: 404, code: 'not_found' });
      const other = await givenFamily(t);
      expect((await ack(await connect(other.parent.token), 'call:signal', signal)).error).toMatchObject({ status: 404 });
      // the same parent signed in on a second phone did not join the call
      const login = await t.http.post('/v1/auth/login').send({ login: f.parent.phone, password: f.parent.password });
      const secondPhone = await connect(login.body.accessToken);
      expect((await ack(secondPhone, 'call:signal', signal)).error).toMatchObject({ status: 403 });
      // ...nor may anyone end it for them
      expect((await ack(guardian, 'call:end', { sessionId: session.id })).error).toMatchObject({ status: 403 });
      expect((await ack(stranger, 'call:end', { sessionId: session.id })).error).toMatchObject({ status: 404 });
      expect((await ack(stranger, 'call:accept', { sessionId: session.id })).error).toMatchObject({ status: 404 });
      expect((await ack(stranger, 'call:decline', { sessionId: session.id })).error).toMatchObject({ status: 404 });

      // a participant may signal only the other participant
      expect((await ack(parent, 'call:signal', { ...signal, to: f.guardian.id })).error).toMatchObject({ status: 403 });
      expect((await ack(parent, 'call:signal', { ...signal, to: f.parent.id })).error).toMatchObject({ status: 403 });
      await new Promise((r) => setTimeout(r, 100));
      expect(childSaw).toEqual([]);
      expect(await row(session.id)).toMatchObject({ state: 'active' });
      await ack(parent, 'call:end', { sessionId: session.id });
    });

    it('relays nothing before an answer, nor after the end, nor anything too large', async () => {
      const { f, parent, child, session } = await ringing();
      expect((await ack(parent, 'call:signal', { sessionId: session.id, to: f.child.id, data: OFFER })).error).toMatchObject({ status: 409 });
      await ack(child, 'call:accept', { sessionId: session.id });
      const huge = { type: 'offer', sdp: `v=0\r\n${'a=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n'.repeat(600)}` };
      expect((await ack(parent, 'call:signal', { sessionId: session.id, to: f.child.id, data: huge })).error).toMatchObject({ status: 413, code: 'payload_too_large' });
      await ack(parent, 'call:end', { sessionId: session.id });
      expect((await ack(child, 'call:signal', { sessionId: session.id, to: f.parent.id, data: ANSWER })).error).toMatchObject({ status: 409 });
    });

    it('answers malformed payloads with a validation error in the acknowledgement', async () => {
      const f = await givenFamily(t);
      const parent = await connect(f.parent.token);
      const uuid = '0b7e6b53-25b9-4e5e-9a86-2c1b1b6a8d3f';
      const cases: [string, unknown][] = [
        ['call:start', {}],
        ['call:start', { childId: 'not-a-uuid' }],
        ['call:start', { childId: f.child.id, role: 'guardian' }],
        ['call:start', 'call my child'],
        ['call:accept', {}],
        ['call:decline', { sessionId: 42 }],
        ['call:end', { sessionId: uuid, extra: true }],
        ['call:signal', { sessionId: uuid, to: f.child.id }],
        ['call:signal', { sessionId: uuid, to: f.child.id, data: 'offer' }],
        ['call:signal', { sessionId: uuid, to: f.child.id, data: { type: 'renegotiate' } }],
        ['call:signal', { sessionId: uuid, to: f.child.id, data: { type: 'offer' } }],
        ['call:signal', { sessionId: uuid, to: f.child.id, data: { type: 'candidate', candidate: { candidate: 'x', script: '<b>' } } }],
        ['call:signal', { sessionId: uuid, to: f.child.id, data: { ...OFFER, html: '<script>' } }],
        ['call:signal', { sessionId: uuid, to: f.child.id, data: { ...OFFER, candidate: { anything: { at: 'all' } } } }],
        ['call:signal', { sessionId: uuid, to: f.child.id, data: { type: 'candidate', candidate: candidate(1).candidate, sdp: { not: 'checked' } } }],
        // each well formed, but of the other kind of signal: nothing rides along to the peer
        ['call:signal', { sessionId: uuid, to: f.child.id, data: { type: 'candidate', candidate: candidate(1).candidate, sdp: OFFER.sdp } }],
        ['call:signal', { sessionId: uuid, to: f.child.id, data: { ...OFFER, candidate: candidate(1).candidate } }],
      ];
      for (const [event, payload] of cases) {
        const answer = await ack(parent, event, payload);
        expect({ event, payload, status: answer.error?.status, code: answer.error?.code }).toEqual({ event, payload, status: 400, code: 'validation_failed' });
      }
      expect(await t.count('call_sessions', 'family_id = $1', [f.familyId])).toBe(0);
    });
  });

  describe('dropped connections', () => {
    it('a participant who reconnects within the grace period keeps the call; one who does not ends it', async () => {
      const { f, parent, child, session } = await answered();
      child.close();
      await new Promise((r) => setTimeout(r, 200));
      const back = await connect(f.child.token);
      // the device is back in the call with its new socket: it restarts ICE, and the parent answers it there
      const parentSaw = waitForEvent<SignalEvent>(parent, 'call:signal');
      expect(await ack(back, 'call:signal', { sessionId: session.id, to: f.parent.id, data: OFFER })).toEqual({ ok: true, sessionId: session.id });
      expect((await parentSaw).data).toEqual(OFFER);
      const backSaw = waitForEvent<SignalEvent>(back, 'call:signal');
      expect(await ack(parent, 'call:signal', { sessionId: session.id, to: f.child.id, data: ANSWER })).toMatchObject({ ok: true });
      expect((await backSaw).data).toEqual(ANSWER);
      // outlive the first drop's grace check: the call is still on
      await new Promise((r) => setTimeout(r, GRACE_SECONDS * 1000 + 500));
      expect(await row(session.id)).toMatchObject({ state: 'active' });

      const ended = waitForEvent<{ session: Session }>(parent, 'call:ended', () => true, (GRACE_SECONDS + 5) * 1000);
      back.close();
      expect((await ended).session).toMatchObject({ id: session.id, state: 'ended', endReason: 'connection_lost', endedBy: null });
      const r = await row(session.id);
      expect(r.ended_at!.getTime()).toBeGreaterThan(r.answered_at!.getTime());
    });

    it('a caller whose connection drops while ringing ends the call after the grace period', async () => {
      const { child, parent, session } = await ringing();
      const ended = waitForEvent<{ session: Session }>(child, 'call:ended', () => true, (RING_SECONDS + 5) * 1000);
      parent.close();
      expect((await ended).session.id).toBe(session.id);
      // the grace period (1 s) ends it, well before the ring time-out (2 s) would have
      expect((await row(session.id)).end_reason).toBe('connection_lost');
    });
  });

  describe('who may call whom', () => {
    it('refuses a stranger, another family, a teacher who is no contact, and a child calling an unapproved adult', async () => {
      const f = await givenFamily(t);
      const klass = await givenClass(t, [f]);
      const stranger = await givenAdult(t);
      const other = await givenFamily(t);
      const cases: [TestUser | TestFamily['child'], unknown, number][] = [
        [stranger, { childId: f.child.id }, 404],
        [other.parent, { childId: f.child.id }, 404],
        [other.guardian, { childId: f.child.id, calleeId: f.parent.id }, 404],
        [klass.teacher, { childId: f.child.id }, 403],
        [f.parent, { childId: f.child.id, calleeId: f.guardian.id }, 403], // a parent does not call for the child
        [f.child, { childId: f.child.id, calleeId: stranger.id }, 403],
        [f.child, { childId: f.child.id, calleeId: klass.teacher.id }, 403],
        [f.guardian, { childId: f.child.id, calleeId: stranger.id }, 403],
        [f.child, { childId: other.child.id }, 404],
        [f.child, { childId: f.child.id, calleeId: f.child.id }, 403],
      ];
      const before = await t.snapshot();
      for (const [who, payload, status] of cases) {
        const socket = await connect(who.token);
        const answer = await ack(socket, 'call:start', payload);
        expect({ who: who.id, payload, status: answer.error?.status }).toEqual({ who: who.id, payload, status });
        socket.close();
      }
      expect(await t.snapshot()).toEqual(before);
    });

    it('the child calls its parent; the guardian calls a parent for the child', async () => {
      const f = await givenFamily(t);
      const [parent, child, guardian] = await Promise.all([connect(f.parent.token), connect(f.child.token), connect(f.guardian.token)]);
      const guardianRung = record(guardian, 'call:incoming');
      const incoming = waitForEvent<{ session: Session }>(parent, 'call:incoming');
      const started = await ack(child, 'call:start', { childId: f.child.id });
      expect(started).toMatchObject({ ok: true, session: { calleeSide: 'contact', calleeId: f.parent.id, callerId: f.child.id } });
      expect((await incoming).session.id).toBe(started.session!.id);
      // the guardian is on the child's side: not rung, and may not answer in the parent's place
      expect((await ack(guardian, 'call:accept', { sessionId: started.session!.id })).error).toMatchObject({ status: 403 });
      const accepted = waitForEvent<{ session: Session }>(child, 'call:accepted');
      expect(await ack(parent, 'call:accept', { sessionId: started.session!.id })).toMatchObject({ ok: true, session: { state: 'active', answeredBy: f.parent.id } });
      await accepted;
      const childSaw = waitForEvent<SignalEvent>(child, 'call:signal');
      await ack(parent, 'call:signal', { sessionId: started.session!.id, to: f.child.id, data: OFFER });
      expect((await childSaw).from).toBe(f.parent.id);
      await ack(child, 'call:end', { sessionId: started.session!.id });
      expect(guardianRung).toEqual([]);

      const rung = waitForEvent<{ session: Session }>(parent, 'call:incoming');
      const byGuardian = await ack(guardian, 'call:start', { childId: f.child.id, calleeId: f.parent.id });
      expect(byGuardian).toMatchObject({ ok: true, session: { calleeSide: 'contact', calleeId: f.parent.id, callerId: f.guardian.id } });
      await rung;
      await ack(guardian, 'call:end', { sessionId: byGuardian.session!.id });
    });

    it('an approved contact outside the family may call the child until the guardian removes them', async () => {
      const f = await givenFamily(t);
      const aunt = await givenAdult(t, { displayName: '姨妈' });
      const approve = await t.http.post(`/v1/children/${f.child.id}/contact-requests`).set(auth(f.guardian.token)).send({ phone: aunt.phone, relationship: '姨妈' });
      expect(approve.status).toBe(201);
      const auntSocket = await connect(aunt.token);
      // an approved contact sees the child come online, and may ask whether it is
      const childOnline = waitForEvent<{ userId: string; online: boolean }>(auntSocket, 'presence', (e) => e.userId === f.child.id && e.online);
      const child = await connect(f.child.token);
      await childOnline;
      expect((await t.http.get(`/v1/presence/children/${f.child.id}`).set(auth(aunt.token))).body).toEqual({ childId: f.child.id, online: true });
      const started = await ack(auntSocket, 'call:start', { childId: f.child.id });
      expect(started).toMatchObject({ ok: true, session: { calleeSide: 'child', callerId: aunt.id } });
      await ack(child, 'call:accept', { sessionId: started.session!.id });
      expect(await ack(auntSocket, 'call:signal', { sessionId: started.session!.id, to: f.child.id, data: OFFER })).toMatchObject({ ok: true });

      expect((await t.http.delete(`/v1/children/${f.child.id}/contacts/${aunt.id}`).set(auth(f.guardian.token))).status).toBe(204);
      // with the very next event
      expect((await ack(auntSocket, 'call:signal', { sessionId: started.session!.id, to: f.child.id, data: candidate(1) })).error).toMatchObject({ status: 403 });
      // and the child no longer exists for them
      expect((await ack(auntSocket, 'call:start', { childId: f.child.id })).error).toMatchObject({ status: 404 });
      await ack(child, 'call:end', { sessionId: started.session!.id });
    });

    it("a revoked device's open socket loses the call with its very next event", async () => {
      const { f, parent, child, session } = await answered();
      const revoked = await t.http.delete(`/v1/children/${f.child.id}/devices/${f.child.deviceId}`).set(auth(f.guardian.token));
      expect(revoked.status).toBe(204);
      const answer = await ack(child, 'call:signal', { sessionId: session.id, to: f.parent.id, data: ANSWER }).catch(() => ({ ok: false, error: { status: 401 } }));
      expect(answer).toMatchObject({ ok: false, error: { status: 401 } });
      await expect(connectAs(t, f.child.token)).rejects.toThrow();
      // and the call ends when the grace period passes without the device
      const ended = await waitForEvent<{ session: Session }>(parent, 'call:ended', () => true, (GRACE_SECONDS + 5) * 1000);
      expect(ended.session).toMatchObject({ id: session.id, endReason: 'connection_lost' });
      // the session guard refuses by itself too, should the socket still be open (its disconnect lost on the way)
      const device = await givenPairedDevice(t, f.child.id, f.guardian);
      const socketOfDevice = await connect(device.token);
      await t.query(`UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'device_revoked' WHERE device_id = $1`, [device.deviceId]);
      const refused = await ack(socketOfDevice, 'call:start', { childId: f.child.id, calleeId: f.parent.id }).catch((error: Error) => ({ ok: false, error: { status: 401, detail: error.message } }));
      expect(refused).toMatchObject({ ok: false, error: { status: 401 } });
      expect(socketOfDevice.connected).toBe(false);
      expect(await t.count('call_sessions', `child_id = $1 AND state = 'ringing'`, [f.child.id])).toBe(0);
      // a new device of the same child can be called again
      const another = await givenPairedDevice(t, f.child.id, f.guardian);
      const again = await connect(another.token);
      const rung = waitForEvent(again, 'call:incoming');
      expect((await ack(parent, 'call:start', { childId: f.child.id })).ok).toBe(true);
      await rung;
    });
  });

  describe('scheduled calls', () => {
    it('an answered call in the window of a scheduled call completes it with the talked seconds', async () => {
      const f = await givenFamily(t);
      // a weekly call starting in about five minutes, household time: the call below is early but inside its window
      const start = DateTime.now().setZone('Asia/Shanghai').plus({ minutes: 5 }).startOf('minute');
      const proposed = await t.http
        .post('/v1/call-plans')
        .set(auth(f.parent.token))
        .send({ childId: f.child.id, daysOfWeek: [start.weekday % 7], startTime: start.toFormat('HH:mm'), durationMinutes: 30, timeZone: 'Asia/Shanghai' });
      expect(proposed.status).toBe(201);
      expect((await t.http.post(`/v1/call-plans/${proposed.body.id}/accept`).set(auth(f.guardian.token))).status).toBe(200);
      const [occurrence] = await t.query<{ id: string; version: number }>(
        `SELECT id, version FROM call_occurrences WHERE child_id = $1 AND starts_at = $2 AND state = 'scheduled'`,
        [f.child.id, start.toJSDate()],
      );
      expect(occurrence).toBeDefined();
      const pendingReminders = await t.count('reminders', `occurrence_id = $1 AND state = 'scheduled'`, [occurrence.id]);
      expect(pendingReminders).toBeGreaterThan(0);

      const [parent, child] = await Promise.all([connect(f.parent.token), connect(f.child.token)]);
      const started = await ack(parent, 'call:start', { childId: f.child.id });
      expect(started.session!.occurrenceId).toBe(occurrence.id);
      await ack(child, 'call:accept', { sessionId: started.session!.id });
      const [completed] = await t.query<{ state: string; completed_at: Date | null; version: number; talked_seconds: number | null }>(
        `SELECT state, completed_at, version, talked_seconds FROM call_occurrences WHERE id = $1`,
        [occurrence.id],
      );
      expect(completed).toMatchObject({ state: 'completed', version: occurrence.version + 1 });
      expect(completed.completed_at).not.toBeNull();
      // its reminders will not ring a call that already happened
      expect(await t.count('reminders', `occurrence_id = $1 AND state = 'scheduled'`, [occurrence.id])).toBe(0);

      t.clock.advance(2100);
      const ended = await ack(parent, 'call:end', { sessionId: started.session!.id });
      const [after] = await t.query<{ state: string; talked_seconds: number; version: number }>(`SELECT state, talked_seconds, version FROM call_occurrences WHERE id = $1`, [occurrence.id]);
      expect(after.state).toBe('completed');
      expect(after.talked_seconds).toBe(ended.session!.talkedSeconds);
      expect(after.talked_seconds).toBeGreaterThanOrEqual(2);
      expect(after.version).toBeGreaterThan(occurrence.version + 1);
    });

    it('refuses a scheduled call of another child, and one that is not open now', async () => {
      const f = await givenFamily(t);
      const start = DateTime.now().setZone('Asia/Shanghai').plus({ hours: 3 }).startOf('minute');
      const proposed = await t.http
        .post('/v1/call-plans')
        .set(auth(f.parent.token))
        .send({ childId: f.child.id, daysOfWeek: [start.weekday % 7], startTime: start.toFormat('HH:mm'), durationMinutes: 30, timeZone: 'Asia/Shanghai' });
      await t.http.post(`/v1/call-plans/${proposed.body.id}/accept`).set(auth(f.guardian.token));
      const [occurrence] = await t.query<{ id: string }>(`SELECT id FROM call_occurrences WHERE child_id = $1 ORDER BY starts_at LIMIT 1`, [f.child.id]);
      const parent = await connect(f.parent.token);
      expect((await ack(parent, 'call:start', { childId: f.child.id, occurrenceId: occurrence.id })).error).toMatchObject({ status: 409 });
      const other = await givenFamily(t);
      expect((await ack(await connect(other.parent.token), 'call:start', { childId: other.child.id, occurrenceId: occurrence.id })).error).toMatchObject({ status: 404 });
      // without one, a call outside any window is simply a call
      const plain = await ack(parent, 'call:start', { childId: f.child.id });
      expect(plain).toMatchObject({ ok: true, session: { occurrenceId: null } });
      await ack(parent, 'call:end', { sessionId: plain.session!.id });
    });
  });

  describe('ICE servers', () => {
    it('hands out STUN and TURN servers with credentials that verify with the shared secret and expire', async () => {
      const user = await givenAdult(t);
      expect((await t.http.get('/v1/rtc/ice-servers')).status).toBe(401);
      const before = Math.floor(t.clock.now().getTime() / 1000);
      const res = await t.http.get('/v1/rtc/ice-servers').set(auth(user.token));
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const [stun, turn] = res.body.iceServers;
      expect(stun).toEqual({ urls: ['stun:stun.example.com:3478'] });
      expect(turn.urls).toEqual(['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349']);
      const [expiry, userId] = turn.username.split(':');
      expect(userId).toBe(user.id);
      expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
      expect(Number(expiry)).toBeLessThanOrEqual(Math.ceil(t.clock.now().getTime() / 1000) + 600);
      expect(turn.credential).toBe(createHmac('sha1', TURN_SECRET).update(turn.username).digest('base64'));
      expect(res.body).toMatchObject({ ttlSeconds: 600, expiresAt: new Date(Number(expiry) * 1000).toISOString() });
    });

    it('gives a child device its own credentials too', async () => {
      const f = await givenFamily(t);
      const res = await t.http.get('/v1/rtc/ice-servers').set(auth(f.child.token));
      expect(res.status).toBe(200);
      expect(res.body.iceServers[1].username).toMatch(new RegExp(`^\\d+:${f.child.id}$`));
    });
  });

  describe('presence', () => {
    it("tells the family when the child's device comes online and goes away, and answers the current state", async () => {
      const f = await givenFamily(t);
      const guardian = await connect(f.guardian.token);
      const online = waitForEvent<{ userId: string; online: boolean }>(guardian, 'presence', (e) => e.userId === f.child.id && e.online);
      const child = await connect(f.child.token);
      expect(await online).toMatchObject({ userId: f.child.id, online: true });

      const state = await t.http.get(`/v1/presence/families/${f.familyId}`).set(auth(f.parent.token));
      expect(state.status).toBe(200);
      const byId = Object.fromEntries((state.body.members as { userId: string; online: boolean; kind: string; roles: string[] }[]).map((m) => [m.userId, m]));
      expect(byId[f.child.id]).toMatchObject({ online: true, kind: 'child', roles: [] });
      expect(byId[f.guardian.id]).toMatchObject({ online: true, kind: 'adult', roles: ['guardian'] });
      expect(byId[f.parent.id]).toMatchObject({ online: false, roles: ['parent'] });
      expect((await t.http.get(`/v1/presence/children/${f.child.id}`).set(auth(f.parent.token))).body).toEqual({ childId: f.child.id, online: true });

      // a second device of the guardian changes nothing for the family; the child's last socket closing does
      const parentSaw = record<{ userId: string; online: boolean }>(await connect(f.parent.token), 'presence');
      const offline = waitForEvent<{ userId: string; online: boolean }>(guardian, 'presence', (e) => e.userId === f.child.id && !e.online);
      child.close();
      expect(await offline).toMatchObject({ userId: f.child.id, online: false });
      await eventually(() => expect(parentSaw).toContainEqual(expect.objectContaining({ userId: f.child.id, online: false })));
      expect((await t.http.get(`/v1/presence/children/${f.child.id}`).set(auth(f.parent.token))).body.online).toBe(false);
    });

    it('tells no one outside the circle, and shows the state only to those inside it', async () => {
      const f = await givenFamily(t);
      const stranger = await givenAdult(t);
      const other = await givenFamily(t);
      const strangerSaw = record(await connect(stranger.token), 'presence');
      const otherSaw = record(await connect(other.parent.token), 'presence');
      const guardian = await connect(f.guardian.token);
      const seen = waitForEvent<{ userId: string }>(guardian, 'presence', (e) => e.userId === f.child.id);
      await connect(f.child.token);
      await seen;
      expect(strangerSaw).toEqual([]);
      expect(otherSaw).toEqual([]);
      expect((await t.http.get(`/v1/presence/families/${f.familyId}`).set(auth(stranger.token))).status).toBe(404);
      expect((await t.http.get(`/v1/presence/families/${f.familyId}`).set(auth(other.parent.token))).status).toBe(404);
      expect((await t.http.get(`/v1/presence/children/${f.child.id}`).set(auth(stranger.token))).status).toBe(404);
      expect((await t.http.get(`/v1/presence/children/${f.child.id}`).set(auth(other.parent.token))).status).toBe(404);
      // the child sees its family's adults and itself
      const mine = await t.http.get(`/v1/presence/families/${f.familyId}`).set(auth(f.child.token));
      expect((mine.body.members as { userId: string }[]).map((m) => m.userId).sort()).toEqual([f.parent.id, f.guardian.id, f.child.id].sort());
    });
  });
});
