import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../src/lib/protocol/errors.js';
import type { ServerMessage } from '../../../src/lib/protocol/signaling.js';
import type { VerifiedTicketClaims } from '../auth/ticket-verifier.js';
import { Room, type RoomMember } from './room.js';

const TOPIC = 'studio/abc';

class FakeMember implements RoomMember {
  readonly received: ServerMessage[] = [];
  sendText(text: string): void {
    this.received.push(JSON.parse(text) as ServerMessage);
  }
  evicted(): void {}
  superseded(): void {}
  take(): ServerMessage[] {
    return this.received.splice(0);
  }
}

let counter = 0;
const claims = (sub: string): VerifiedTicketClaims => ({
  v: 2,
  aud: 'bandmesh-relay',
  sub,
  studio: 'abc',
  slug: 'band',
  role: 'member',
  jti: `jti-${++counter}`,
  name: sub,
  instrument: '',
  maxPlayers: 6,
  rec: true,
  iat: 1000,
  exp: 1300,
});

function seat(
  room: Room<FakeMember>,
  sub: string,
  mayRecord: boolean,
  extra: { resumePeerId?: string } = {},
) {
  const member = new FakeMember();
  const c = claims(sub);
  const result = room.admit({
    member,
    claims: c,
    client: sub.charCodeAt(0),
    role: 'member',
    mayRecord,
    maxVisitsPerUser: 2,
    ...extra,
  });
  if (!result.ok) throw new Error(result.code);
  return { member, result, seat: result.seat };
}

afterEach(() => vi.useRealTimers());

describe('Room recording flags', () => {
  it('broadcasts a change to everyone, the recorder included, and refuses `on` without permission', () => {
    const room = new Room<FakeMember>(TOPIC);
    const ann = seat(room, 'ann', true);
    const bob = seat(room, 'bob', false);
    ann.member.take();
    expect(room.setRecording(bob.seat, true)).toBe('not-allowed');
    expect(ann.member.take()).toEqual([]);
    expect(room.setRecording(ann.seat, true)).toBe('changed');
    const on = { type: 'peer-recording', topic: TOPIC, peerId: ann.seat.peer.peerId, on: true };
    expect(ann.member.take()).toEqual([on]);
    expect(bob.member.take()).toEqual([on]);
    // A repeat is confirmed to the sender alone.
    expect(room.setRecording(ann.seat, true)).toBe('unchanged');
    expect(ann.member.take()).toEqual([on]);
    expect(bob.member.take()).toEqual([]);
    // `off` is always allowed.
    expect(room.setRecording(bob.seat, false)).toBe('unchanged');
  });

  it('lists recorders to a newcomer and says off before peer-left when a recorder leaves', () => {
    const room = new Room<FakeMember>(TOPIC);
    const ann = seat(room, 'ann', true);
    room.setRecording(ann.seat, true);
    const cy = seat(room, 'cy', true);
    expect(cy.result.peers).toEqual([{ ...ann.seat.peer, recording: true }]);
    cy.member.take();
    room.leave(ann.member);
    expect(cy.member.take()).toEqual([
      { type: 'peer-recording', topic: TOPIC, peerId: ann.seat.peer.peerId, on: false },
      { type: 'peer-left', topic: TOPIC, peerId: ann.seat.peer.peerId, reason: 'left' },
    ]);
  });

  it('keeps the flag through the resume grace, clears it when the grace ends', () => {
    vi.useFakeTimers();
    const room = new Room<FakeMember>(TOPIC);
    const ann = seat(room, 'ann', true);
    const bob = seat(room, 'bob', false);
    room.setRecording(ann.seat, true);
    bob.member.take();
    room.suspend(ann.member, 1000);
    expect(bob.member.take()).toEqual([]);
    const late = seat(room, 'dan', false);
    expect(late.result.peers.find((p) => p.peerId === ann.seat.peer.peerId)?.recording).toBe(true);
    bob.member.take();
    vi.advanceTimersByTime(1001);
    expect(bob.member.take().map((m) => m.type)).toEqual(['peer-recording', 'peer-left']);
  });

  it('a resume keeps recording when still allowed, and stops it (others hear off) when not', () => {
    const room = new Room<FakeMember>(TOPIC);
    const ann = seat(room, 'ann', true);
    const bob = seat(room, 'bob', false);
    room.setRecording(ann.seat, true);
    room.suspend(ann.member, 60_000);
    bob.member.take();
    const back = room.admit({
      member: new FakeMember(),
      claims: claims('ann'),
      client: 'a'.charCodeAt(0),
      role: 'member',
      mayRecord: true,
      maxVisitsPerUser: 2,
      resumePeerId: ann.seat.peer.peerId,
    });
    if (!back.ok) throw new Error(back.code);
    expect(back.seat.recording).toBe(true);
    expect(bob.member.take()).toEqual([]);
    room.suspend(back.seat.member!, 60_000);
    const denied = room.admit({
      member: new FakeMember(),
      claims: claims('ann'),
      client: 'a'.charCodeAt(0),
      role: 'member',
      mayRecord: false,
      maxVisitsPerUser: 2,
      resumePeerId: ann.seat.peer.peerId,
    });
    if (!denied.ok) throw new Error(denied.code);
    expect(denied.seat.recording).toBe(false);
    expect(bob.member.take()).toEqual([
      { type: 'peer-recording', topic: TOPIC, peerId: ann.seat.peer.peerId, on: false },
    ]);
  });

  it('withdrawing permission stops a recorder: off for everyone, permission and the reason for it', () => {
    const room = new Room<FakeMember>(TOPIC);
    const ann = seat(room, 'ann', true);
    const bob = seat(room, 'bob', true);
    room.setRecording(ann.seat, true);
    ann.member.take();
    bob.member.take();
    expect(room.setMayRecord(ann.seat, false)).toBe(true);
    expect(room.setMayRecord(ann.seat, false)).toBe(false);
    const off = { type: 'peer-recording', topic: TOPIC, peerId: ann.seat.peer.peerId, on: false };
    expect(bob.member.take()).toEqual([off]);
    expect(ann.member.take()).toEqual([
      { type: 'recording-permission', topic: TOPIC, allowed: false },
      off,
      expect.objectContaining({ type: 'error', code: ErrorCode.RecordingNotAllowed, topic: TOPIC }),
    ]);
    expect(room.setRecording(ann.seat, true)).toBe('not-allowed');
    // A seat that was not recording only hears its new permission.
    expect(room.setMayRecord(bob.seat, false)).toBe(true);
    expect(bob.member.take()).toEqual([{ type: 'recording-permission', topic: TOPIC, allowed: false }]);
  });
});
