import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PEER_ID_PATTERN, type AttestedPeer } from '../../../src/lib/protocol/attested.js';
import { ErrorCode } from '../../../src/lib/protocol/errors.js';
import { SIGNALING_MAX_PAST_PEERS, type ServerMessage } from '../../../src/lib/protocol/signaling.js';
import type { StudioRole } from '../../../src/lib/protocol/ticket.js';
import type { VerifiedTicketClaims } from '../auth/ticket-verifier.js';
import { MAX_CLIENT_OWNERS, MAX_PAST_PER_USER, Room, type EvictionCode, type RoomMember } from './room.js';
import { RoomRegistry } from './rooms.js';

const TOPIC = 'studio/abc';

class FakeMember implements RoomMember {
  readonly received: ServerMessage[] = [];
  readonly evictions: { code: EvictionCode; message: string }[] = [];
  supersededCount = 0;
  constructor(readonly name: string) {}
  sendText(text: string): void {
    this.received.push(JSON.parse(text) as ServerMessage);
  }
  evicted(_topic: string, code: EvictionCode, message: string): void {
    this.evictions.push({ code, message });
  }
  superseded(): void {
    this.supersededCount += 1;
  }
  take(): ServerMessage[] {
    return this.received.splice(0);
  }
}

let jtiCounter = 0;
const claims = (sub: string, extra: Partial<VerifiedTicketClaims> = {}): VerifiedTicketClaims => ({
  v: 2,
  aud: 'bandmesh-relay',
  sub,
  studio: 'abc',
  slug: 'band',
  role: 'member',
  jti: `jti-${++jtiCounter}`,
  name: `Name of ${sub}`,
  instrument: 'bass',
  maxPlayers: 6,
  iat: 1000,
  exp: 1300,
  ...extra,
});

function admit(
  room: Room<FakeMember>,
  member: FakeMember,
  c: VerifiedTicketClaims,
  client: number,
  options: { role?: StudioRole; maxVisitsPerUser?: number; resumePeerId?: string } = {},
) {
  return room.admit({
    member,
    claims: c,
    client,
    role: options.role ?? c.role,
    maxVisitsPerUser: options.maxVisitsPerUser ?? 2,
    ...(options.resumePeerId === undefined ? {} : { resumePeerId: options.resumePeerId }),
  });
}

function seated(room: Room<FakeMember>, member: FakeMember, c: VerifiedTicketClaims, client: number) {
  const result = admit(room, member, c, client);
  if (!result.ok) throw new Error(`not admitted: ${result.code}`);
  return result;
}

describe('Room admission', () => {
  it('attests the ticket identity with a relay-chosen peer id and announces it to the others', () => {
    const room = new Room<FakeMember>(TOPIC, () => 42);
    const a = new FakeMember('a');
    const b = new FakeMember('b');
    const first = seated(room, a, claims('ua', { role: 'owner' }), 11);
    expect(first.seat.peer).toEqual({
      peerId: expect.stringMatching(PEER_ID_PATTERN),
      userId: 'ua',
      role: 'owner',
      name: 'Name of ua',
      instrument: 'bass',
      client: 11,
      joinedAt: 42,
    });
    expect(first.seat.peer.peerId.length).toBeGreaterThanOrEqual(16);
    expect(first).toMatchObject({ peers: [], past: [], clients: 1 });

    const second = seated(room, b, claims('ub'), 12);
    expect(second.peers).toEqual([first.seat.peer]);
    expect(second.clients).toBe(2);
    expect(second.seat.peer.peerId).not.toBe(first.seat.peer.peerId);
    expect(a.take()).toEqual([{ type: 'peer-joined', topic: TOPIC, peer: second.seat.peer }]);
    expect(b.take()).toEqual([]);
  });

  it('refuses a client id used live by anyone, or in the past by another user', () => {
    const room = new Room<FakeMember>(TOPIC);
    const a = new FakeMember('a');
    seated(room, a, claims('ua'), 7);
    expect(admit(room, new FakeMember('thief'), claims('thief'), 7)).toMatchObject({
      ok: false,
      code: ErrorCode.ClientIdTaken,
    });
    // Even the same user cannot run two live visits with one client id.
    expect(admit(room, new FakeMember('a2'), claims('ua'), 7)).toMatchObject({
      ok: false,
      code: ErrorCode.ClientIdTaken,
    });
    room.leave(a);
    expect(admit(room, new FakeMember('thief'), claims('thief'), 7)).toMatchObject({
      ok: false,
      code: ErrorCode.ClientIdTaken,
    });
    // The same user reconnecting may take its own past client id back.
    expect(admit(room, new FakeMember('a3'), claims('ua'), 7)).toMatchObject({ ok: true });
  });

  it('refuses more live visits per user than allowed, and more players than the ticket allows', () => {
    const room = new Room<FakeMember>(TOPIC);
    seated(room, new FakeMember('1'), claims('u'), 1);
    seated(room, new FakeMember('2'), claims('u'), 2);
    const third = admit(room, new FakeMember('3'), claims('u'), 3);
    expect(third).toMatchObject({ ok: false, code: ErrorCode.TooManyVisits });
    expect((third as { message: string }).message).toMatch(/2 tabs or devices/);

    const small = new Room<FakeMember>(TOPIC);
    seated(small, new FakeMember('x'), claims('ux', { maxPlayers: 1 }), 1);
    expect(admit(small, new FakeMember('y'), claims('uy', { maxPlayers: 1 }), 2)).toEqual({
      ok: false,
      code: ErrorCode.RoomFull,
      message: 'This studio is full (1 players). Try again when someone leaves.',
    });
  });

  it('replaces the live holder of the same ticket: evicted, peer-left to the others, then joined', () => {
    const room = new Room<FakeMember>(TOPIC);
    const witness = new FakeMember('w');
    seated(room, witness, claims('uw'), 1);
    const ticket = claims('u', { maxPlayers: 2 });
    const old = new FakeMember('old');
    const first = seated(room, old, ticket, 5);
    witness.take();

    // The room is full (2 of 2), but the replaced seat frees its own place.
    const fresh = new FakeMember('new');
    const second = seated(room, fresh, ticket, 6);
    expect(old.evictions).toEqual([
      {
        code: ErrorCode.TicketReplaced,
        message: 'This ticket was used again from another tab or device; this connection was replaced.',
      },
    ]);
    expect(witness.take()).toEqual([
      { type: 'peer-left', topic: TOPIC, peerId: first.seat.peer.peerId, reason: ErrorCode.TicketReplaced },
      { type: 'peer-joined', topic: TOPIC, peer: second.seat.peer },
    ]);
    expect(room.size).toBe(2);
    expect(second.past).toEqual([first.seat.peer]);
    expect(room.seatOf(old)).toBeUndefined();
  });

  it('does not evict the ticket holder when the replacing subscribe is refused', () => {
    const room = new Room<FakeMember>(TOPIC);
    seated(room, new FakeMember('other'), claims('other'), 9);
    const ticket = claims('u');
    const old = new FakeMember('old');
    seated(room, old, ticket, 5);
    expect(admit(room, new FakeMember('new'), ticket, 9)).toMatchObject({ code: ErrorCode.ClientIdTaken });
    expect(old.evictions).toEqual([]);
    expect(room.seatOf(old)).toBeDefined();
  });
});

describe('Room departures and updates', () => {
  it('moves leavers to past (one entry per client id, newest last, bounded)', () => {
    const room = new Room<FakeMember>(TOPIC);
    const stay = new FakeMember('stay');
    seated(room, stay, claims('stay'), 0);
    const leaver = new FakeMember('l');
    const visit = seated(room, leaver, claims('ul'), 1);
    stay.take();
    room.leave(leaver);
    room.leave(leaver);
    expect(stay.take()).toEqual([
      { type: 'peer-left', topic: TOPIC, peerId: visit.seat.peer.peerId, reason: 'left' },
    ]);
    expect(room.past()).toEqual([visit.seat.peer]);

    const again = seated(room, new FakeMember('l2'), claims('ul'), 1);
    room.leave(again.seat.member);
    expect(room.past()).toEqual([again.seat.peer]);

    for (let i = 0; i < SIGNALING_MAX_PAST_PEERS + 5; i++) {
      const m = new FakeMember(`m${i}`);
      seated(room, m, claims(`u${i}`), 100 + i);
      room.leave(m);
    }
    const past = room.past();
    expect(past).toHaveLength(SIGNALING_MAX_PAST_PEERS);
    expect(past.at(-1)?.client).toBe(100 + SIGNALING_MAX_PAST_PEERS + 4);
  });

  it('updates a role for everyone, the member itself included, and ignores the same role', () => {
    const room = new Room<FakeMember>(TOPIC);
    const a = new FakeMember('a');
    const b = new FakeMember('b');
    seated(room, a, claims('ua'), 1);
    const target = seated(room, b, claims('ub'), 2).seat;
    a.take();
    const before: AttestedPeer = target.peer;
    expect(room.updateRole(target, 'engineer')).toBe(true);
    const update = { type: 'peer-updated', topic: TOPIC, peer: { ...before, role: 'engineer' } };
    expect(a.take()).toEqual([update]);
    expect(b.take()).toEqual([update]);
    expect(before.role).toBe('member');
    expect(room.updateRole(target, 'engineer')).toBe(false);
    expect(a.take()).toEqual([]);
  });

  it('lets one user churning visits evict only its own history and client ids, never another player’s', () => {
    const room = new Room<FakeMember>(TOPIC);
    const stay = new FakeMember('stay');
    seated(room, stay, claims('stay'), 0);
    const victim = new FakeMember('victim');
    const gone = seated(room, victim, claims('uv'), 7);
    room.leave(victim);
    // Far more churn than the room's global bounds, all by one user with fresh client ids.
    const rounds = MAX_CLIENT_OWNERS + 10;
    for (let i = 0; i < rounds; i++) {
      const m = new FakeMember(`churn${i}`);
      seated(room, m, claims('um'), 1000 + i);
      room.leave(m);
      stay.take();
    }
    expect(room.past()).toContainEqual(gone.seat.peer);
    expect(room.past().filter((p) => p.userId === 'um')).toHaveLength(MAX_PAST_PER_USER);
    // The departed player's client id is still theirs: the churner cannot take it over.
    const thief = admit(room, new FakeMember('thief'), claims('um'), 7);
    expect(thief).toMatchObject({ ok: false, code: ErrorCode.ClientIdTaken });
  }, 30_000); // ~4,100 admissions: generous for a loaded 2-core machine

  it('registry drops an empty room with its past, so a reopened room starts clean', () => {
    const rooms = new RoomRegistry<FakeMember>();
    const a = new FakeMember('a');
    const result = rooms.admit(TOPIC, {
      member: a,
      claims: claims('ua'),
      client: 1,
      role: 'member',
      maxVisitsPerUser: 2,
    });
    expect(result.ok).toBe(true);
    expect(rooms.roomCount).toBe(1);
    rooms.leave(TOPIC, a);
    expect(rooms.roomCount).toBe(0);
    // A refused first admission leaves no empty room behind either.
    const refused = rooms.admit(TOPIC, {
      member: new FakeMember('x'),
      claims: claims('ux', { maxPlayers: 1 }),
      client: 1,
      role: 'member',
      maxVisitsPerUser: 0,
    });
    expect(refused.ok).toBe(false);
    expect(rooms.roomCount).toBe(0);
    // The directory's view: seats per live studio room, nothing for rooms that emptied.
    const b = new FakeMember('b');
    const c = new FakeMember('c');
    const enter = (topic: string, member: FakeMember, sub: string) =>
      rooms.admit(topic, { member, claims: claims(sub), client: 2, role: 'member', maxVisitsPerUser: 2 });
    enter(TOPIC, b, 'ub');
    enter('studio/xyz', c, 'uc');
    expect(rooms.studioSeats()).toEqual({ abc: 1, xyz: 1 });
    rooms.leave('studio/xyz', c);
    expect(rooms.studioSeats()).toEqual({ abc: 1 });
    const again = rooms.admit(TOPIC, {
      member: new FakeMember('b'),
      claims: claims('ub'),
      client: 1,
      role: 'member',
      maxVisitsPerUser: 2,
    });
    expect(again).toMatchObject({ ok: true, past: [] });
  });
});

describe('Room suspension and resume', () => {
  const GRACE = 10_000;
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function pair(maxPlayers = 6) {
    const room = new Room<FakeMember>(TOPIC);
    const witness = new FakeMember('w');
    const w = seated(room, witness, claims('uw', { maxPlayers }), 1).seat;
    const dropper = new FakeMember('d');
    const ticket = claims('ud', { maxPlayers });
    const d = seated(room, dropper, ticket, 2).seat;
    witness.take();
    return { room, witness, w, dropper, d, ticket };
  }

  it('keeps a dropped seat silent within the grace, still listed, then announces it disconnected', () => {
    const { room, witness, w, dropper, d } = pair();
    room.suspend(dropper, GRACE);
    expect(witness.take()).toEqual([]);
    expect(room.seatOf(dropper)).toBeUndefined();
    expect(room.seatByPeerId(d.peer.peerId)).toMatchObject({ member: null, peer: d.peer });
    // Suspended seats hear nothing, but a newcomer is told about them (a resume is silent).
    room.sendToAll('{"type":"pong"}');
    expect(dropper.take()).toEqual([]);
    const late = seated(room, new FakeMember('late'), claims('ul'), 3);
    expect(late.peers).toEqual([w.peer, d.peer]);
    expect(late.clients).toBe(3);
    witness.take();

    vi.advanceTimersByTime(GRACE - 1);
    expect(witness.take()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(witness.take()).toEqual([
      { type: 'peer-left', topic: TOPIC, peerId: d.peer.peerId, reason: 'disconnected' },
    ]);
    expect(room.past()).toEqual([d.peer]);
    expect(room.size).toBe(2);
  });

  it('seats a resume afresh with its peer id once the seat is gone, announced like any join', () => {
    const { room, witness, dropper, d } = pair();
    room.suspend(dropper, GRACE);
    vi.advanceTimersByTime(GRACE);
    expect(witness.take().map((m) => m.type)).toEqual(['peer-left']);
    const back = admit(room, new FakeMember('back'), claims('ud'), 2, { resumePeerId: d.peer.peerId });
    expect(back).toMatchObject({ ok: true, resumed: 'restored', seat: { peer: { peerId: d.peer.peerId } } });
    if (!back.ok) throw new Error('unreachable');
    expect(witness.take()).toEqual([{ type: 'peer-joined', topic: TOPIC, peer: back.seat.peer }]);
  });

  it('lets the same page without a usable token replace its suspended seat at once', () => {
    const { room, witness, dropper, d } = pair();
    room.suspend(dropper, GRACE);
    const back = seated(room, new FakeMember('back'), claims('ud'), 2);
    expect(back.seat.peer.peerId).not.toBe(d.peer.peerId);
    expect(witness.take()).toEqual([
      { type: 'peer-left', topic: TOPIC, peerId: d.peer.peerId, reason: 'disconnected' },
      { type: 'peer-joined', topic: TOPIC, peer: back.seat.peer },
    ]);
    // Another user still cannot take that client id.
    room.suspend(back.seat.member!, GRACE);
    expect(admit(room, new FakeMember('thief'), claims('thief'), 2)).toMatchObject({
      code: ErrorCode.ClientIdTaken,
    });
  });

  it('takes a suspended seat over without peer-left or peer-joined, and cancels its grace', () => {
    const { room, witness, dropper, d } = pair();
    room.suspend(dropper, GRACE);
    const back = new FakeMember('back');
    const result = admit(room, back, claims('ud'), 2, { resumePeerId: d.peer.peerId });
    expect(result).toMatchObject({ ok: true, resumed: 'taken-over', clients: 2 });
    if (!result.ok) throw new Error('unreachable');
    expect(result.seat.peer).toEqual(d.peer);
    expect(room.seatOf(back)).toBe(result.seat);
    vi.advanceTimersByTime(GRACE * 2);
    expect(witness.take()).toEqual([]);
    // It is live again: it hears the room.
    room.sendToAll('{"type":"pong"}');
    expect(back.take()).toEqual([{ type: 'pong' }]);
  });

  it('re-attests a changed identity on takeover with peer-updated to the others only', () => {
    const { room, witness, dropper, d } = pair();
    room.suspend(dropper, GRACE);
    const back = new FakeMember('back');
    const result = admit(room, back, claims('ud', { name: 'Renamed' }), 2, {
      resumePeerId: d.peer.peerId,
      role: 'engineer',
    });
    if (!result.ok) throw new Error('not admitted');
    const peer = { ...d.peer, role: 'engineer', name: 'Renamed' };
    expect(result.seat.peer).toEqual(peer);
    expect(witness.take()).toEqual([{ type: 'peer-updated', topic: TOPIC, peer }]);
    expect(back.take()).toEqual([]);
  });

  it('takes a live seat over: the old connection is superseded, the seat not counted twice', () => {
    // Full (2 of 2), one visit allowed, and the same ticket (jti): none of that refuses the resume.
    const { room, witness, dropper, d, ticket } = pair(2);
    const back = new FakeMember('back');
    const result = admit(room, back, ticket, 2, { resumePeerId: d.peer.peerId, maxVisitsPerUser: 1 });
    expect(result).toMatchObject({ ok: true, resumed: 'taken-over', clients: 2 });
    expect(dropper.supersededCount).toBe(1);
    expect(dropper.evictions).toEqual([]);
    expect(room.seatOf(dropper)).toBeUndefined();
    expect(witness.take()).toEqual([]);
    // The superseded connection's own close changes nothing any more.
    room.suspend(dropper, GRACE);
    room.leave(dropper);
    vi.advanceTimersByTime(GRACE);
    expect(witness.take()).toEqual([]);
    expect(room.seatByPeerId(d.peer.peerId)?.member).toBe(back);
  });

  it("ignores a resume of a seat that is not the user's and never reuses that peer id", () => {
    const { room, witness, w } = pair();
    const thief = new FakeMember('thief');
    const result = admit(room, thief, claims('thief'), 9, { resumePeerId: w.peer.peerId });
    if (!result.ok) throw new Error('not admitted');
    expect(result.resumed).toBeNull();
    expect(result.seat.peer.peerId).not.toBe(w.peer.peerId);
    expect(room.seatByPeerId(w.peer.peerId)?.member).toBe(witness);
    expect(witness.supersededCount).toBe(0);
  });

  it('removes a suspended seat at once on ticket reuse or eviction, telling nobody on its behalf', () => {
    const { room, witness, dropper, d, ticket } = pair();
    room.suspend(dropper, GRACE);
    seated(room, new FakeMember('copy'), ticket, 5);
    expect(witness.take()).toEqual([
      { type: 'peer-left', topic: TOPIC, peerId: d.peer.peerId, reason: ErrorCode.TicketReplaced },
      expect.objectContaining({ type: 'peer-joined' }),
    ]);
    expect(dropper.evictions).toEqual([]);

    const other = new FakeMember('o');
    const o = seated(room, other, claims('uo'), 6).seat;
    room.suspend(other, GRACE);
    witness.take();
    room.evict(room.seatByPeerId(o.peer.peerId)!, ErrorCode.MembershipRevoked);
    expect(witness.take()).toEqual([
      { type: 'peer-left', topic: TOPIC, peerId: o.peer.peerId, reason: ErrorCode.MembershipRevoked },
    ]);
    vi.advanceTimersByTime(GRACE);
    expect(witness.take()).toEqual([]);
  });

  it("gives up a user's suspended visit when a new one would exceed the visit limit", () => {
    const room = new Room<FakeMember>(TOPIC);
    const witness = new FakeMember('w');
    seated(room, witness, claims('uw'), 1);
    const crashed = new FakeMember('crashed');
    const c = seated(room, crashed, claims('u'), 2).seat;
    seated(room, new FakeMember('other tab'), claims('u'), 3);
    room.suspend(crashed, GRACE);
    witness.take();
    expect(seated(room, new FakeMember('reopened'), claims('u'), 4).clients).toBe(3);
    expect(witness.take().map((m) => [m.type, 'peerId' in m ? m.peerId : null])).toEqual([
      ['peer-left', c.peer.peerId],
      ['peer-joined', null],
    ]);
    // Live visits never give way.
    expect(admit(room, new FakeMember('third'), claims('u'), 5)).toMatchObject({
      code: ErrorCode.TooManyVisits,
    });
  });

  it('with no grace announces a drop at once; the registry drops a room whose last grace ended', () => {
    const { room, witness, dropper, d } = pair();
    room.suspend(dropper, 0);
    expect(witness.take()).toEqual([
      { type: 'peer-left', topic: TOPIC, peerId: d.peer.peerId, reason: 'disconnected' },
    ]);

    const rooms = new RoomRegistry<FakeMember>();
    const a = new FakeMember('a');
    rooms.admit(TOPIC, { member: a, claims: claims('ua'), client: 1, role: 'member', maxVisitsPerUser: 2 });
    rooms.suspend(TOPIC, a, GRACE);
    expect(rooms.roomCount).toBe(1);
    vi.advanceTimersByTime(GRACE);
    expect(rooms.roomCount).toBe(0);
  });
});
