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
  sendText(text: string): void {
    this.received.push(JSON.parse(text) as ServerMessage);
  }
  send(message: ServerMessage): void {
    this.received.push(message);
  }
  refuse(code: ErrorCode): void {
    this.refused.push(code);
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

function setup(settings: Partial<SfuSettings> = {}) {
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
});
