/**
 * Past one machine: one PocketBase in front of two real relays (`BANDMESH_RELAYS`) on loopback.
 * PocketBase pins each studio's room to one relay when it issues a ticket — the relay where the room
 * is live, else the least-loaded one (GET /load) — and names it in the ticket (`relay` claim and
 * `relayUrl`); a relay refuses tickets pinned elsewhere (`wrong-relay`); membership changes reach the
 * room on whichever relay holds it; a dead relay gets no new rooms, and with none left tickets fail
 * with 503 `no-relay`. Needs the built PocketBase binary and `npm run build:relay`.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SignalingClient, type SocketLike } from '../../src/lib/net/signaling-client';
import { bandmeshError, fetchStudioTicket, joinStudio } from '../../src/lib/pb/client';
import { ErrorCode } from '../../src/lib/protocol/errors';
import type { ErrorMessage, PeerLeftMessage } from '../../src/lib/protocol/signaling';
import {
  ROOM_MAX_PLAYERS,
  ROOM_PLAYERS_CAP,
  studioTopic,
  type TicketClaims,
  type TicketResponse,
} from '../../src/lib/protocol/ticket';
import {
  runPocketBaseToExit,
  signUp,
  startPocketBase,
  type RunningPocketBase,
  type TestUser,
} from '../support/pocketbase';
import { ClientPool, startRelay, TestClient, type RunningRelay } from '../support/relay';
import { relayQuery } from '../support/relay-query';
import { signTicket } from '../support/tickets';

/** A membership change shows in the live room within this (issue 7). */
const WITHIN_MS = 5_000;
const IDS = ['relay-a', 'relay-b'] as const;
type RelayId = (typeof IDS)[number];

let secret: string;
let pocketBase: RunningPocketBase;
const relays = {} as Record<RelayId, RunningRelay>;
const pool = new ClientPool(() => relays['relay-a'].wsUrl);
let slugCounter = 0;

interface Studio {
  id: string;
  slug: string;
  topic: string;
  owner: TestUser;
}

const claimsOf = (ticket: string): TicketClaims =>
  JSON.parse(Buffer.from(ticket.split('.')[1]!, 'base64url').toString('utf8')) as TicketClaims;

/** The relay a ticket response names, checked for agreement between the claim and the URL. */
function placedOn(response: TicketResponse): RelayId {
  const relay = claimsOf(response.ticket).relay as RelayId;
  expect(IDS).toContain(relay);
  expect(response.relayUrl).toBe(relays[relay].wsUrl);
  return relay;
}

const other = (id: RelayId): RelayId => (id === 'relay-a' ? 'relay-b' : 'relay-a');

async function createStudio(maxPlayers?: number): Promise<Studio> {
  slugCounter += 1;
  const owner = await signUp(pocketBase.url, 'Owner');
  const slug = `two-relays-${slugCounter}`;
  const record = await owner.pb.collection('studios').create({
    name: `Two relays ${slugCounter}`,
    slug,
    owner: owner.id,
    visibility: 'unlisted',
    ...(maxPlayers === undefined ? {} : { maxPlayers }),
  });
  return { id: record.id, slug: record.slug, topic: studioTopic(record.id), owner };
}

/** Fetches a ticket for `user` and joins the room at the relay the ticket names. */
async function enter(studio: Studio, user: TestUser): Promise<{ client: TestClient; relay: RelayId }> {
  const response = await fetchStudioTicket(user.pb, studio.slug);
  const relay = placedOn(response);
  const client = await pool.connect(response.relayUrl);
  await client.join(studio.topic, response.ticket);
  return { client, relay };
}

async function member(studio: Studio, name: string): Promise<TestUser> {
  const user = await signUp(pocketBase.url, name);
  await joinStudio(user.pb, studio.slug);
  return user;
}

async function load(id: RelayId): Promise<{ relayId: string; rooms: number; peers: number }> {
  const response = await relayQuery(relays[id], '/load', secret);
  return (await response.json()) as { relayId: string; rooms: number; peers: number };
}

async function liveAt(id: RelayId, studio: Studio): Promise<{ live: boolean; peers: number }> {
  const response = await relayQuery(relays[id], `/rooms/${studio.id}`, secret);
  return (await response.json()) as { live: boolean; peers: number };
}

async function revoke(studio: Studio, user: TestUser): Promise<void> {
  const m = await studio.owner.pb
    .collection('memberships')
    .getFirstListItem(`studio = "${studio.id}" && user = "${user.id}"`);
  await studio.owner.pb.collection('memberships').delete(m.id);
}

beforeAll(async () => {
  secret = randomBytes(24).toString('hex');
  const [a, b] = await Promise.all(
    IDS.map((id) => startRelay({ ticketSecret: secret, env: { BANDMESH_RELAY_ID: id } })),
  );
  relays['relay-a'] = a!;
  relays['relay-b'] = b!;
  pocketBase = await startPocketBase({
    env: {
      BANDMESH_TICKET_SECRET: secret,
      BANDMESH_RELAYS: IDS.map((id) => `${id}=${relays[id].wsUrl}|${relays[id].httpUrl}`).join(','),
      // The support sets a single control URL by default; several relays replace it.
      BANDMESH_RELAY_CONTROL_URL: '',
    },
  });
});

afterAll(async () => {
  await pool.closeAll();
  const exits = await Promise.all(IDS.map((id) => relays[id]?.stop()));
  await pocketBase?.stop();
  expect(exits).toEqual([0, 0]);
});

describe('BANDMESH_RELAYS', () => {
  it('lets the page connect to every relay (CSP connect-src)', async () => {
    const response = await fetch(`${pocketBase.url}/studios`);
    const csp = response.headers.get('content-security-policy') ?? '';
    const connect = csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .find(([name]) => name === 'connect-src');
    expect(connect?.slice(1)).toEqual(["'self'", ...IDS.map((id) => new URL(relays[id].wsUrl).origin)]);
  });

  it('refuses to start with a malformed list, naming each bad entry', () => {
    const result = runPocketBaseToExit(['serve', '--http=127.0.0.1:0', '--dir=/nonexistent-bandmesh'], {
      BANDMESH_RELAYS: 'relay-a=ws://127.0.0.1:1/signal,Relay_B=ws://127.0.0.1:2/signal,relay-c=http://x',
    });
    expect(result.code).toBe(2);
    expect(result.output).toContain('BANDMESH_RELAYS entry 2 "Relay_B=ws://127.0.0.1:2/signal"');
    expect(result.output).toContain('BANDMESH_RELAYS entry 3');
    expect(result.output).not.toContain('entry 1');
  });
});

describe('rooms placed on two relays', () => {
  // Shared by the tests below, which run in order: a busy room and the rooms placed after it.
  let busy: Studio;
  let busyRelay: RelayId;
  let busyOwner: TestClient;
  const busyMembers: Array<{ user: TestUser; client: TestClient }> = [];
  const quiet: Array<Studio & { ownerClient: TestClient }> = [];

  it('puts new rooms on the relay with less load, and every ticket names one relay', async () => {
    busy = await createStudio();
    const first = await enter(busy, busy.owner);
    busyRelay = first.relay;
    busyOwner = first.client;
    for (const name of ['Drums', 'Bass', 'Keys', 'Horns', 'Voice']) {
      const user = await member(busy, name);
      const entered = await enter(busy, user);
      // Each ticket of the live room names the relay that holds it.
      expect(entered.relay).toBe(busyRelay);
      busyMembers.push({ user, client: entered.client });
    }
    expect(await load(busyRelay)).toMatchObject({ relayId: busyRelay, rooms: 1, peers: 6 });
    expect(await liveAt(busyRelay, busy)).toEqual({ live: true, peers: 6 });
    expect(await liveAt(other(busyRelay), busy)).toEqual({ live: false, peers: 0 });

    // New rooms go to the idle relay while it stays the less loaded one.
    for (let i = 0; i < 3; i++) {
      const studio = await createStudio();
      const [owner, again] = [
        await fetchStudioTicket(studio.owner.pb, studio.slug),
        await fetchStudioTicket(studio.owner.pb, studio.slug),
      ];
      expect(placedOn(owner)).toBe(other(busyRelay));
      // Not live yet: the second ticket follows the remembered placement.
      expect(placedOn(again)).toBe(other(busyRelay));
      const ownerClient = await pool.connect(owner.relayUrl);
      await ownerClient.join(studio.topic, owner.ticket);
      quiet.push({ ...studio, ownerClient });
    }
    expect(await load(other(busyRelay))).toMatchObject({ rooms: 3, peers: 3 });
  });

  it('pins tickets to the relay where the room is live, even when that relay is busier', async () => {
    // A room made live on the busy relay without this PocketBase having placed it (as after a
    // PocketBase restart, which forgets placements): the relays' own word decides.
    const studio = await createStudio();
    const pinned = signTicket(secret, {
      studio: studio.id,
      slug: studio.slug,
      sub: studio.owner.id,
      role: 'owner',
      relay: busyRelay,
    });
    const owner = await pool.connect(relays[busyRelay].wsUrl);
    await owner.join(studio.topic, pinned);
    expect(await load(busyRelay)).toMatchObject({ peers: 7 });

    const guest = await member(studio, 'Guest');
    const tickets = await Promise.all([
      fetchStudioTicket(guest.pb, studio.slug),
      fetchStudioTicket(guest.pb, studio.slug),
      fetchStudioTicket(studio.owner.pb, studio.slug),
    ]);
    expect(tickets.map(placedOn)).toEqual([busyRelay, busyRelay, busyRelay]);
    const client = await pool.connect(tickets[0]!.relayUrl);
    expect(await client.join(studio.topic, tickets[0]!.ticket)).toMatchObject({ clients: 2 });
  });

  it('lands players who start a new room together on one relay', async () => {
    const studio = await createStudio();
    const players = [studio.owner, await member(studio, 'One'), await member(studio, 'Two')];
    const tickets = await Promise.all(players.map((user) => fetchStudioTicket(user.pb, studio.slug)));
    const placed = tickets.map(placedOn);
    expect(new Set(placed).size).toBe(1);
  });

  it('refuses a ticket at the relay it does not name with wrong-relay', async () => {
    const studio = quiet[0]!;
    const response = await fetchStudioTicket(studio.owner.pb, studio.slug);
    const named = placedOn(response);
    const wrong = await pool.connect(relays[other(named)].wsUrl);
    const reply = await wrong.subscribe(studio.topic, response.ticket);
    expect(reply).toMatchObject({ type: 'error', code: ErrorCode.WrongRelay, topic: studio.topic });
    expect((reply as ErrorMessage).message).toContain(named);
    // The same ticket opens the room at the relay it names.
    const right = await pool.connect(response.relayUrl);
    expect(await right.subscribe(studio.topic, response.ticket)).toMatchObject({ type: 'subscribed' });
  });

  it('caps tickets at the room limit, whatever the studio allows', async () => {
    const studio = await createStudio(ROOM_PLAYERS_CAP);
    const response = await fetchStudioTicket(studio.owner.pb, studio.slug);
    expect(response.maxPlayers).toBe(ROOM_MAX_PLAYERS);
    expect(claimsOf(response.ticket).maxPlayers).toBe(ROOM_MAX_PLAYERS);
  });

  it('takes a removed member out of the room on either relay', async () => {
    // A member of the busy room on one relay, and of a quiet room on the other.
    const quietStudio = quiet[1]!;
    const quietUser = await member(quietStudio, 'Quiet');
    const inQuiet = await enter(quietStudio, quietUser);
    expect(inQuiet.relay).toBe(other(busyRelay));
    const inBusy = busyMembers[0]!;
    const rooms = [
      { studio: quietStudio, user: quietUser, client: inQuiet.client, witness: quietStudio.ownerClient },
      { studio: busy, user: inBusy.user, client: inBusy.client, witness: busyOwner },
    ];

    await Promise.all(rooms.map(({ studio, user }) => revoke(studio, user)));
    for (const { studio, client, witness } of rooms) {
      const error = await client.next<ErrorMessage>((m) => m.type === 'error', WITHIN_MS);
      expect(error).toMatchObject({ code: ErrorCode.MembershipRevoked, topic: studio.topic });
      const left = await witness.next<PeerLeftMessage>(
        (m) => m.type === 'peer-left' && m.peerId === client.peerId,
        WITHIN_MS,
      );
      expect(left.reason).toBe(ErrorCode.MembershipRevoked);
      expect(witness.isOpen).toBe(true);
    }
  });

  it('places rooms on the surviving relay when one dies, and answers 503 no-relay when none is left', async () => {
    const survivor = busyRelay;
    const dead = other(busyRelay);

    // A studio whose room was on the dead relay: its players reconnect with fresh tickets.
    const orphan = quiet[2]!;
    // A page's signaling client in that room, as the browser runs it.
    const pageUser = await member(orphan, 'Page');
    const page = new SignalingClient({
      url: relays[survivor].wsUrl, // wherever the page happened to start: the ticket decides
      clientId: 77,
      backoff: { min: 100, max: 400 },
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      getTicket: async () => {
        const response = await fetchStudioTicket(pageUser.pb, orphan.slug);
        return { ticket: response.ticket, topic: orphan.topic, url: response.relayUrl };
      },
    });
    const joined: Array<{ peerId: string; at: RelayId }> = [];
    const log: string[] = [];
    page.events.on('subscribed', ({ self }) => joined.push({ peerId: self.peerId, at: placedAt }));
    page.events.on('state', ({ state, detail }) => log.push(`${state} ${detail ?? ''}`));
    page.events.on('error', ({ code }) => log.push(`error ${code}`));
    const subscribedOn = async (count: number): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (joined.length < count) {
        if (Date.now() > deadline) throw new Error(`not subscribed ${count} times: ${log.join(' | ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    let placedAt: RelayId = dead;
    const first = subscribedOn(1);
    page.start();
    try {
      await first;
      expect(await liveAt(dead, orphan)).toEqual({ live: true, peers: 2 });

      expect(await relays[dead].stop()).toBe(0);
      await orphan.ownerClient.closed;
      placedAt = survivor;
      // The page finds the relay gone, asks PocketBase, follows the ticket to the survivor, and
      // keeps its peer id there (resume tokens are keyed with the shared secret).
      await subscribedOn(2);
      expect(joined[1]).toEqual({ peerId: joined[0]!.peerId, at: survivor });
      expect(await liveAt(survivor, orphan)).toEqual({ live: true, peers: 1 });
    } finally {
      page.dispose();
    }

    const moved = await fetchStudioTicket(orphan.owner.pb, orphan.slug);
    expect(placedOn(moved)).toBe(survivor);
    const client = await pool.connect(moved.relayUrl);
    await client.join(orphan.topic, moved.ticket);
    // A brand-new room, too.
    const fresh = await createStudio();
    expect(placedOn(await fetchStudioTicket(fresh.owner.pb, fresh.slug))).toBe(survivor);

    expect(await relays[survivor].stop()).toBe(0);
    const error = await fetchStudioTicket(fresh.owner.pb, fresh.slug).then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as { status?: number }).status).toBe(503);
    expect(bandmeshError(error)).toMatchObject({ code: 'no-relay' });
    expect(bandmeshError(error)?.message).toMatch(/relay/i);
  });
});
