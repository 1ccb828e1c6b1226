import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/lib/protocol/errors.js';
import type { ServerMessage } from '../../../src/lib/protocol/signaling.js';
import type { VerifiedTicketClaims } from '../auth/ticket-verifier.js';
import type { EvictionCode, RoomMember } from '../signaling/room.js';
import { RoomRegistry } from '../signaling/rooms.js';
import { applyControl } from './apply-control.js';
import { MembershipOverrides } from './membership-overrides.js';

class FakeMember implements RoomMember {
  readonly received: ServerMessage[] = [];
  readonly evictions: EvictionCode[] = [];
  sendText(text: string): void {
    this.received.push(JSON.parse(text) as ServerMessage);
  }
  evicted(_topic: string, code: EvictionCode): void {
    this.evictions.push(code);
  }
  superseded(): void {
    throw new Error('not expected in these tests');
  }
}

const NOW = 2_000;
let client = 0;
function setup() {
  const rooms = new RoomRegistry<FakeMember>();
  const overrides = new MembershipOverrides({ nowSeconds: () => NOW });
  const join = (sub: string, iat: number, role: 'member' | 'engineer' = 'member', rec = true) => {
    const member = new FakeMember();
    const claims: VerifiedTicketClaims = {
      v: 2,
      aud: 'bandmesh-relay',
      sub,
      studio: 's1',
      slug: 'band',
      role,
      jti: `j${++client}`,
      name: '',
      instrument: '',
      maxPlayers: 6,
      rec,
      iat,
      exp: iat + 300,
    };
    const result = rooms.admit('studio/s1', {
      member,
      claims,
      client,
      role,
      mayRecord: rec,
      maxVisitsPerUser: 2,
    });
    if (!result.ok) throw new Error(result.code);
    return member;
  };
  return { rooms, overrides, join };
}

describe('applyControl', () => {
  it('leaves a connection whose ticket is newer than the change alone', () => {
    const { rooms, overrides, join } = setup();
    const stale = join('u1', NOW - 10);
    const fresh = join('u1', NOW + 1);
    const outcome = applyControl(
      { v: 1, kind: 'membership', studio: 's1', user: 'u1', role: null, iat: NOW },
      rooms,
      overrides,
    );
    expect(outcome).toEqual({ affected: 1, applied: true });
    expect(stale.evictions).toEqual([ErrorCode.MembershipRevoked]);
    expect(fresh.evictions).toEqual([]);
  });

  it('drops the room when a deletion empties it, and ignores unknown studios', () => {
    const { rooms, overrides, join } = setup();
    join('u1', NOW - 5);
    join('u2', NOW - 5);
    expect(applyControl({ v: 1, kind: 'studio-deleted', studio: 's1', iat: NOW }, rooms, overrides)).toEqual({
      affected: 2,
      applied: true,
    });
    expect(rooms.roomCount).toBe(0);
    expect(
      applyControl({ v: 1, kind: 'studio-deleted', studio: 'nope', iat: NOW }, rooms, overrides),
    ).toEqual({
      affected: 0,
      applied: true,
    });
  });

  it('does nothing for a replayed change older than one already applied', () => {
    const { rooms, overrides, join } = setup();
    const member = join('u1', NOW - 100);
    const promote = {
      v: 1,
      kind: 'membership',
      studio: 's1',
      user: 'u1',
      role: 'engineer',
      iat: NOW,
    } as const;
    expect(applyControl(promote, rooms, overrides)).toEqual({ affected: 1, applied: true });
    const replay = { ...promote, role: null, iat: NOW - 30 };
    expect(applyControl(replay, rooms, overrides)).toEqual({ affected: 0, applied: false });
    expect(member.evictions).toEqual([]);
  });

  it('hands room-mode to the SFU and reports the players it told', () => {
    const { rooms, overrides } = setup();
    const calls: [string, string][] = [];
    const roomModes = {
      forceMode: (studio: string, mode: string) => {
        calls.push([studio, mode]);
        return 3;
      },
    };
    const control = { v: 1, kind: 'room-mode', studio: 's1', mode: 'sfu', iat: NOW } as const;
    expect(applyControl(control, rooms, overrides, roomModes)).toEqual({ affected: 3, applied: true });
    expect(calls).toEqual([['s1', 'sfu']]);
    // Without an SFU nothing is affected.
    expect(applyControl(control, rooms, overrides)).toEqual({ affected: 0, applied: true });
  });

  it('recording-policy recomputes who may record from each role and stops a recorder no longer allowed', () => {
    const { rooms, overrides, join } = setup();
    const member = join('u1', NOW - 10, 'member');
    const engineer = join('u2', NOW - 10, 'engineer');
    const fresh = join('u3', NOW + 1, 'member');
    const room = rooms.get('studio/s1')!;
    const seatOf = (m: FakeMember) => room.seats().find((s) => s.member === m)!;
    expect(room.setRecording(seatOf(member), true)).toBe('changed');
    member.received.length = engineer.received.length = fresh.received.length = 0;
    const control = { v: 1, kind: 'recording-policy', studio: 's1', policy: 'engineers', iat: NOW } as const;
    expect(applyControl(control, rooms, overrides)).toEqual({ affected: 1, applied: true });
    expect(seatOf(member).mayRecord).toBe(false);
    expect(seatOf(engineer).mayRecord).toBe(true);
    // A ticket minted after the change already carries the right claim.
    expect(seatOf(fresh).mayRecord).toBe(true);
    expect(engineer.received).toEqual([
      { type: 'peer-recording', topic: 'studio/s1', peerId: seatOf(member).peer.peerId, on: false },
    ]);
    expect(member.received.map((m) => m.type)).toEqual(['recording-permission', 'peer-recording', 'error']);
    // A replay of an older setting does nothing; a role change then follows the known setting.
    expect(applyControl({ ...control, policy: 'everyone', iat: NOW - 5 }, rooms, overrides)).toEqual({
      affected: 0,
      applied: false,
    });
    const promote = {
      v: 1,
      kind: 'membership',
      studio: 's1',
      user: 'u1',
      role: 'engineer',
      iat: NOW,
    } as const;
    expect(applyControl(promote, rooms, overrides)).toEqual({ affected: 1, applied: true });
    expect(seatOf(member).mayRecord).toBe(true);
    // PocketBase's own word (rec) wins over the relay's computation.
    applyControl({ ...promote, rec: false, iat: NOW + 1 }, rooms, overrides);
    expect(seatOf(member).mayRecord).toBe(false);
  });
});
