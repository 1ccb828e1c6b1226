import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/lib/protocol/errors.js';
import type { PeerSignal } from '../../../src/lib/protocol/mesh-signal.js';
import type { RoomRouteMessage } from '../../../src/lib/protocol/sfu.js';
import type { ServerMessage } from '../../../src/lib/protocol/signaling.js';
import type { VerifiedTicketClaims } from '../auth/ticket-verifier.js';
import { silentLogger } from '../log.js';
import type { EvictionCode } from '../signaling/room.js';
import { RoomRegistry } from '../signaling/rooms.js';
import type { SfuPeerEvents } from './sfu-peer.js';
import { SfuService, type SfuMember, type SfuSettings } from './sfu-service.js';

const TOPIC = 'studio/abc';

class FakeMember implements SfuMember {
  static count = 0;
  readonly id = `m${++FakeMember.count}`;
  readonly received: ServerMessage[] = [];
  readonly refused: string[] = [];
  readonly refusals: string[] = [];
  sendText(text: string): void {
    this.received.push(JSON.parse(text) as ServerMessage);
  }
  send(message: ServerMessage): void {
    this.received.push(message);
  }
  refuse(code: ErrorCode, message: string): void {
    this.refused.push(code);
    this.refusals.push(message);
  }
  evicted(_topic: string, _code: EvictionCode): void {}
  superseded(): void {}
  routes(): RoomRouteMessage[] {
    return this.received.filter((m): m is RoomRouteMessage => m.type === 'room-route');
  }
}

class FakePeer {
  disposed = false;
  readonly handled: PeerSignal[] = [];
  constructor(readonly events: SfuPeerEvents) {}
  handle(signal: PeerSignal): boolean {
    this.handled.push(signal);
    return true;
  }
  send(): void {}
  bufferedAmount(): number {
    return 0;
  }
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.events.closed('disposed');
  }
}

let jti = 0;
const claims = (sub: string): VerifiedTicketClaims => ({
  v: 2,
  aud: 'bandmesh-relay',
  sub,
  studio: 'abc',
  slug: 'band',
  role: 'member',
  jti: `j${++jti}`,
  name: 'N',
  instrument: 'I',
  maxPlayers: 24,
  iat: 1,
  exp: 2,
});

function setup(settings: Partial<SfuSettings> = {}, clock?: () => number) {
  const peers: FakePeer[] = [];
  // eslint-disable-next-line prefer-const -- the registry's callback needs the service made after it
  let sfu: SfuService<FakeMember>;
  const rooms = new RoomRegistry<FakeMember>(Date.now, (topic) => sfu.roomChanged(topic));
  sfu = new SfuService<FakeMember>({
    settings: {
      enabled: true,
      meshLimit: 2,
      meshHysteresis: 1,
      network: { host: '127.0.0.1', portMin: 0, portMax: 0 },
      ...settings,
    },
    rooms,
    logger: silentLogger(),
    ...(clock ? { now: clock } : {}),
    createPeer: (_name, _network, events) => {
      const peer = new FakePeer(events);
      peers.push(peer);
      return peer;
    },
  });
  let client = 0;
  const join = (): FakeMember => {
    const member = new FakeMember();
    const result = rooms.admit(TOPIC, {
      member,
      claims: claims(member.id),
      client: ++client,
      role: 'member',
      maxVisitsPerUser: 2,
    });
    if (!result.ok) throw new Error(result.code);
    sfu.admitted(member, TOPIC);
    return member;
  };
  const leave = async (member: FakeMember): Promise<void> => {
    rooms.leave(TOPIC, member);
    await Promise.resolve();
  };
  const offer = (member: FakeMember) =>
    sfu.signal(member, {
      type: 'sfu-signal',
      topic: TOPIC,
      signal: { kind: 'description', description: { type: 'offer', sdp: 'v=0' } },
    });
  return { sfu, rooms, peers, join, leave, offer };
}

describe('SfuService', () => {
  it('sends room-route after subscribed and to everyone when the sources or mode change', async () => {
    const { join, leave } = setup();
    const a = join();
    expect(a.routes()).toEqual([
      { type: 'room-route', topic: TOPIC, mode: 'mesh', sources: [expect.any(Object)] },
    ]);
    const b = join();
    expect(a.routes()).toHaveLength(2);
    expect(b.routes()).toHaveLength(1);
    const c = join(); // 3 > mesh limit 2
    expect([a, b, c].map((m) => m.routes().at(-1)!.mode)).toEqual(['sfu', 'sfu', 'sfu']);
    expect(
      c
        .routes()
        .at(-1)!
        .sources.map((s) => s.index),
    ).toEqual([0, 1, 2]);
    await leave(c); // 2: stays on the SFU (hysteresis 1)
    expect(a.routes().at(-1)).toMatchObject({ mode: 'sfu', sources: [{ index: 0 }, { index: 1 }] });
    await leave(b); // 1: back to the mesh
    expect(a.routes().at(-1)).toMatchObject({ mode: 'mesh', sources: [{ index: 0 }] });
    const d = join();
    expect(
      d
        .routes()
        .at(-1)!
        .sources.map((s) => s.index),
    ).toEqual([0, 3]);
  });

  it('keeps the source index of a seat resumed on a new connection, and drops the old SFU peer', async () => {
    const { sfu, rooms, peers, join, offer } = setup({ meshLimit: 6 });
    const a = join();
    const b = join();
    offer(b);
    const seat = rooms.get(TOPIC)!.seatOf(b)!;
    rooms.suspend(TOPIC, b, 10_000);
    await Promise.resolve();
    expect(peers[0]!.disposed).toBe(true);
    const routesBefore = a.routes().length;
    const b2 = new FakeMember();
    const result = rooms.admit(TOPIC, {
      member: b2,
      claims: { ...claims(b.id), sub: seat.peer.userId },
      client: seat.peer.client,
      role: 'member',
      maxVisitsPerUser: 2,
      resumePeerId: seat.peer.peerId,
    });
    expect(result).toMatchObject({ ok: true, resumed: 'taken-over' });
    sfu.admitted(b2, TOPIC);
    await Promise.resolve();
    // The others hear nothing new; the resumed connection hears the unchanged route.
    expect(a.routes()).toHaveLength(routesBefore);
    expect(
      b2
        .routes()
        .at(-1)!
        .sources.find((s) => s.peerId === seat.peer.peerId)!.index,
    ).toBe(1);
    rooms.clear();
  });

  it('follows route requests and forced modes', async () => {
    const { sfu, join, leave } = setup({ meshLimit: 6 });
    const a = join();
    const b = join();
    sfu.routeRequest(a, { type: 'route-request', topic: TOPIC, unreachable: true });
    expect(b.routes().at(-1)!.mode).toBe('sfu');
    sfu.routeRequest(a, { type: 'route-request', topic: TOPIC, unreachable: false });
    expect(b.routes().at(-1)!.mode).toBe('mesh');
    sfu.routeRequest(a, { type: 'route-request', topic: TOPIC, unreachable: true });
    await leave(a); // the request leaves with its player
    expect(b.routes().at(-1)!.mode).toBe('mesh');

    expect(sfu.forceMode('abc', 'sfu')).toBe(1);
    expect(b.routes().at(-1)!.mode).toBe('sfu');
    expect(sfu.forceMode('abc', 'auto')).toBe(1);
    expect(b.routes().at(-1)!.mode).toBe('mesh');
    expect(sfu.forceMode('nothere', 'sfu')).toBe(0);
  });

  it('creates a peer per offer, disposes it when the seat goes, refuses without a seat', async () => {
    const { sfu, peers, join, leave, offer } = setup();
    const a = join();
    offer(a);
    sfu.signal(a, { type: 'sfu-signal', topic: TOPIC, signal: { kind: 'candidate', candidate: null } });
    expect(peers).toHaveLength(1);
    expect(peers[0]!.handled).toHaveLength(2);
    // A new offer is a new attempt from the browser: it replaces the peer.
    offer(a);
    expect(peers).toHaveLength(2);
    expect(peers[0]!.disposed).toBe(true);
    sfu.signal(a, {
      type: 'sfu-signal',
      topic: TOPIC,
      signal: { kind: 'description', description: { type: 'answer', sdp: 'v=0' } },
    });
    expect(a.refused).toEqual([ErrorCode.Malformed]);
    await leave(a);
    expect(peers[1]!.disposed).toBe(true);
    offer(a);
    expect(a.refused).toEqual([ErrorCode.Malformed, ErrorCode.NotSubscribed]);
    expect(peers).toHaveLength(2);

    const b = join();
    offer(b);
    sfu.memberClosed(b);
    expect(peers[2]!.disposed).toBe(true);
    offer(b); // a new offer after the old peer closed gets a new peer
    expect(peers).toHaveLength(4);
    sfu.dispose();
    expect(peers[3]!.disposed).toBe(true);
  });

  it('with the SFU off: the room stays on the mesh and SFU requests get sfu-unavailable', () => {
    const { sfu, peers, join, offer } = setup({ enabled: false });
    const a = join();
    join();
    join();
    expect(a.routes().at(-1)!.mode).toBe('mesh');
    offer(a);
    sfu.routeRequest(a, { type: 'route-request', topic: TOPIC, unreachable: true });
    expect(a.refused).toEqual([ErrorCode.SfuUnavailable, ErrorCode.SfuUnavailable]);
    expect(peers).toHaveLength(0);
  });

  describe('sfu-unavailable when a connection closes', () => {
    it('is sent for the current connection whose channel never opened', () => {
      const { peers, join, offer } = setup();
      const a = join();
      offer(a);
      peers[0]!.events.closed('failed');
      expect(a.refused).toEqual([ErrorCode.SfuUnavailable]);
      offer(a);
      peers[1]!.events.closed('open-timeout');
      expect(a.refused).toEqual([ErrorCode.SfuUnavailable, ErrorCode.SfuUnavailable]);
    });

    it('is not sent when an opened connection fails or is closed by the player (the browser sees it)', () => {
      const { sfu, peers, join, offer } = setup();
      const a = join();
      offer(a);
      peers[0]!.events.open();
      expect(sfu.forwarder.endpointCount).toBe(1);
      // The player closed its RTCPeerConnection: libdatachannel reports the state as closed/failed.
      peers[0]!.events.closed('failed');
      expect(a.refused).toEqual([]);
      expect(sfu.forwarder.endpointCount).toBe(0);
    });

    it("is not sent for a connection the player's next offer replaced, even when its failure comes late", () => {
      const { sfu, peers, join, offer } = setup();
      const a = join();
      offer(a);
      // SfuLink.restart(): the browser drops the old connection and offers anew at once.
      offer(a);
      expect(peers[0]!.disposed).toBe(true);
      // The native stack reports the old connection failed after it was replaced.
      peers[0]!.events.closed('failed');
      peers[0]!.events.closed('open-timeout');
      expect(a.refused).toEqual([]);
      // The new attempt is untouched and still the one the forwarder serves.
      expect(peers[1]!.disposed).toBe(false);
      peers[1]!.events.open();
      expect(sfu.forwarder.endpointCount).toBe(1);
    });

    it('is not sent for connections the relay closes on purpose', async () => {
      const { sfu, peers, join, leave, offer } = setup();
      const a = join();
      const b = join();
      offer(a);
      offer(b);
      sfu.memberClosed(a);
      await leave(b);
      expect(peers.map((p) => p.disposed)).toEqual([true, true]);
      expect([...a.refused, ...b.refused]).toEqual([]);
    });
  });

  describe('offer limits', () => {
    it('allows 2 offers a second and 20 a minute per seat, refusing the rest with sfu-unavailable', () => {
      let now = 0;
      const { peers, join, offer } = setup({}, () => now);
      const a = join();
      const b = join();
      offer(a);
      offer(a);
      offer(a); // the third within a second
      expect(peers).toHaveLength(2);
      expect(a.refused).toEqual([ErrorCode.SfuUnavailable]);
      expect(a.refusals[0]).toMatch(/Too many SFU offers.*wait/);
      // The refused offer left the current connection alone.
      expect(peers[1]!.disposed).toBe(false);
      // Another member has its own allowance.
      offer(b);
      expect(peers).toHaveLength(3);

      // Spread out, still at most 20 in any minute.
      for (let i = 0; i < 30; i++) {
        now += 1_000;
        offer(a);
      }
      expect(peers.length - 1).toBe(20); // b's one aside
      expect(a.refused.filter((c) => c === ErrorCode.SfuUnavailable)).toHaveLength(1 + 12);
      // A minute after the first ones, offers are accepted again.
      now += 60_000;
      offer(a);
      expect(peers.length - 1).toBe(21);
    });

    it('keeps the count for a seat across a new connection (resume), and forgets it when the seat goes', async () => {
      const now = 0;
      const { rooms, sfu, peers, join, leave, offer } = setup({}, () => now);
      const a = join();
      offer(a);
      offer(a);
      const seat = rooms.get(TOPIC)!.seatOf(a)!;
      rooms.suspend(TOPIC, a, 10_000);
      await Promise.resolve();
      const a2 = new FakeMember();
      const resumed = rooms.admit(TOPIC, {
        member: a2,
        claims: { ...claims(a.id), sub: seat.peer.userId },
        client: seat.peer.client,
        role: 'member',
        maxVisitsPerUser: 2,
        resumePeerId: seat.peer.peerId,
      });
      expect(resumed).toMatchObject({ ok: true });
      sfu.admitted(a2, TOPIC);
      await Promise.resolve();
      // Reconnecting does not buy a fresh allowance.
      offer(a2);
      expect(peers).toHaveLength(2);
      expect(a2.refused).toEqual([ErrorCode.SfuUnavailable]);
      await leave(a2);
      // A new seat (a new peer id) starts afresh.
      const again = join();
      offer(again);
      expect(peers).toHaveLength(3);
    });
  });
});
