/**
 * Membership changes made in PocketBase reach a live room (ADR 0008): the real PocketBase pushes
 * signed control messages to the real relay's /control, and the relay evicts or re-attests the
 * connections concerned. Each change must show within 5 s. Needs the built PocketBase binary and
 * `npm run build:relay`.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStudioTicket, joinStudio } from '../../src/lib/pb/client';
import { ErrorCode } from '../../src/lib/protocol/errors';
import type {
  ErrorMessage,
  PeerLeftMessage,
  PeerUpdatedMessage,
  SubscribedMessage,
} from '../../src/lib/protocol/signaling';
import { studioTopic } from '../../src/lib/protocol/ticket';
import { signUp, startPocketBase, type RunningPocketBase, type TestUser } from '../support/pocketbase';
import { startRelay, TestClient, type CloseInfo, type RunningRelay } from '../support/relay';

/** What issue 7 asks: a change in PocketBase shows in the live room within this. */
const WITHIN_MS = 5_000;

let pocketBase: RunningPocketBase;
let relay: RunningRelay;
const clients: TestClient[] = [];
let slugCounter = 0;

interface Player {
  user: TestUser;
  client: TestClient;
  joined: SubscribedMessage;
}

interface Room {
  studio: { id: string; slug: string };
  topic: string;
  owner: Player;
  players: Player[];
}

/** An owner and `names.length` members, each in the live room with a real ticket and Yjs client id. */
async function liveRoom(names: string[]): Promise<Room> {
  slugCounter += 1;
  const ownerUser = await signUp(pocketBase.url, 'Owner');
  const record = await ownerUser.pb.collection('studios').create({
    name: 'Live room',
    slug: `live-room-${slugCounter}`,
    owner: ownerUser.id,
    visibility: 'unlisted',
  });
  const studio = { id: record.id, slug: record.slug };
  const topic = studioTopic(studio.id);
  const enter = async (user: TestUser): Promise<Player> => {
    const { ticket } = await fetchStudioTicket(user.pb, studio.slug);
    const client = await TestClient.connect(relay.wsUrl);
    clients.push(client);
    return { user, client, joined: await client.join(topic, ticket) };
  };
  const owner = await enter(ownerUser);
  const players: Player[] = [];
  for (const name of names) {
    const user = await signUp(pocketBase.url, name);
    await joinStudio(user.pb, studio.slug);
    players.push(await enter(user));
  }
  return { studio, topic, owner, players };
}

async function membershipId(room: Room, user: TestUser): Promise<string> {
  const m = await room.owner.user.pb
    .collection('memberships')
    .getFirstListItem(`studio = "${room.studio.id}" && user = "${user.id}"`);
  return m.id;
}

/** Resolves with the close the client saw, or fails after `ms`. */
async function closedWithin(client: TestClient, ms = WITHIN_MS): Promise<CloseInfo> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the socket was still open after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([client.closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(async () => {
  // The relay comes first so PocketBase can be told where to push; both share an explicit secret.
  const secret = randomBytes(24).toString('hex');
  relay = await startRelay({ ticketSecret: secret });
  pocketBase = await startPocketBase({ relay, env: { BANDMESH_TICKET_SECRET: secret } });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  const relayExit = await relay?.stop();
  await pocketBase?.stop();
  expect(relayExit).toBe(0);
});

describe('membership changes in PocketBase reach the live room', () => {
  it('an owner removing a member evicts that member with membership-revoked; the others see peer-left', async () => {
    const room = await liveRoom(['Drummer', 'Bassist']);
    const [drummer, bassist] = room.players as [Player, Player];
    // A ticket fetched before the removal must not get the member back in either.
    const { ticket: spare } = await fetchStudioTicket(drummer.user.pb, room.studio.slug);

    await room.owner.user.pb.collection('memberships').delete(await membershipId(room, drummer.user));

    const error = await drummer.client.next<ErrorMessage>((m) => m.type === 'error', WITHIN_MS);
    expect(error).toMatchObject({ code: ErrorCode.MembershipRevoked, topic: room.topic });
    expect((await closedWithin(drummer.client)).reason).toBe(ErrorCode.MembershipRevoked);
    for (const other of [room.owner, bassist]) {
      const left = await other.client.next<PeerLeftMessage>((m) => m.type === 'peer-left', WITHIN_MS);
      expect(left).toMatchObject({
        topic: room.topic,
        peerId: drummer.joined.self.peerId,
        reason: ErrorCode.MembershipRevoked,
      });
      expect(other.client.isOpen).toBe(true);
    }

    const retry = await TestClient.connect(relay.wsUrl);
    clients.push(retry);
    expect(await retry.subscribe(room.topic, spare)).toMatchObject({
      type: 'error',
      code: ErrorCode.MembershipRevoked,
    });
  });

  it('a role change to engineer is re-attested to everyone in the room with peer-updated', async () => {
    const room = await liveRoom(['Singer', 'Keys']);
    const [singer, keys] = room.players as [Player, Player];

    await room.owner.user.pb
      .collection('memberships')
      .update(await membershipId(room, singer.user), { role: 'engineer' });

    for (const player of [room.owner, singer, keys]) {
      const updated = await player.client.next<PeerUpdatedMessage>(
        (m) => m.type === 'peer-updated',
        WITHIN_MS,
      );
      expect(updated).toEqual({
        type: 'peer-updated',
        topic: room.topic,
        peer: { ...singer.joined.self, role: 'engineer' },
      });
    }
    expect(singer.client.isOpen).toBe(true);
  });

  it('deleting the studio closes every socket with studio-deleted', async () => {
    const room = await liveRoom(['Horns', 'Strings']);

    await room.owner.user.pb.collection('studios').delete(room.studio.id);

    for (const player of [room.owner, ...room.players]) {
      const error = await player.client.next<ErrorMessage>((m) => m.type === 'error', WITHIN_MS);
      expect(error).toMatchObject({ code: ErrorCode.StudioDeleted, topic: room.topic });
      expect((await closedWithin(player.client)).reason).toBe(ErrorCode.StudioDeleted);
    }
    // The cascade-deleted memberships are not announced as revocations on top.
    for (const player of [room.owner, ...room.players]) {
      const errors = player.client.pending().filter((m) => m.type === 'error');
      expect(errors).toEqual([]);
    }
  });

  it('an owner who deletes their account hands the live room to its engineer, who is re-attested as owner', async () => {
    const room = await liveRoom(['Engineer', 'Fan']);
    const [engineer, fan] = room.players as [Player, Player];
    await room.owner.user.pb
      .collection('memberships')
      .update(await membershipId(room, engineer.user), { role: 'engineer' });
    for (const player of [room.owner, engineer, fan]) {
      await player.client.next<PeerUpdatedMessage>((m) => m.type === 'peer-updated', WITHIN_MS);
    }

    await room.owner.user.pb.send('/api/bandmesh/me/delete', {
      method: 'POST',
      body: { password: room.owner.user.password },
    });

    const error = await room.owner.client.next<ErrorMessage>((m) => m.type === 'error', WITHIN_MS);
    expect(error).toMatchObject({ code: ErrorCode.MembershipRevoked, topic: room.topic });
    for (const player of [engineer, fan]) {
      const updated = await player.client.next<PeerUpdatedMessage>(
        (m) => m.type === 'peer-updated',
        WITHIN_MS,
      );
      expect(updated.peer).toEqual({ ...engineer.joined.self, role: 'owner' });
      const left = await player.client.next<PeerLeftMessage>((m) => m.type === 'peer-left', WITHIN_MS);
      expect(left).toMatchObject({
        peerId: room.owner.joined.self.peerId,
        reason: ErrorCode.MembershipRevoked,
      });
    }
    expect(engineer.client.isOpen).toBe(true);
    expect(fan.client.isOpen).toBe(true);
  });

  it('a member who deletes their account is evicted from the room', async () => {
    const room = await liveRoom(['Leaver']);
    const [leaver] = room.players as [Player];

    await leaver.user.pb.send('/api/bandmesh/me/delete', {
      method: 'POST',
      body: { password: leaver.user.password },
    });

    const error = await leaver.client.next<ErrorMessage>((m) => m.type === 'error', WITHIN_MS);
    expect(error).toMatchObject({ code: ErrorCode.MembershipRevoked, topic: room.topic });
    const left = await room.owner.client.next<PeerLeftMessage>((m) => m.type === 'peer-left', WITHIN_MS);
    expect(left).toMatchObject({ peerId: leaver.joined.self.peerId, reason: ErrorCode.MembershipRevoked });
  });
  it('a member leaving for good (the members page deletes their own membership) is evicted within 5 s', async () => {
    const room = await liveRoom(['Quitter', 'Stayer']);
    const [quitter, stayer] = room.players as [Player, Player];

    await quitter.user.pb.collection('memberships').delete(await membershipId(room, quitter.user));

    const error = await quitter.client.next<ErrorMessage>((m) => m.type === 'error', WITHIN_MS);
    expect(error).toMatchObject({ code: ErrorCode.MembershipRevoked, topic: room.topic });
    for (const other of [room.owner, stayer]) {
      const left = await other.client.next<PeerLeftMessage>((m) => m.type === 'peer-left', WITHIN_MS);
      expect(left).toMatchObject({ peerId: quitter.joined.self.peerId, reason: ErrorCode.MembershipRevoked });
      expect(other.client.isOpen).toBe(true);
    }
  });

  it('making an engineer a member again is re-attested to everyone within 5 s', async () => {
    const room = await liveRoom(['Mixer']);
    const [mixer] = room.players as [Player];
    const id = await membershipId(room, mixer.user);
    await room.owner.user.pb.collection('memberships').update(id, { role: 'engineer' });
    for (const player of [room.owner, mixer]) {
      await player.client.next<PeerUpdatedMessage>((m) => m.type === 'peer-updated', WITHIN_MS);
    }

    await room.owner.user.pb.collection('memberships').update(id, { role: 'member' });

    for (const player of [room.owner, mixer]) {
      const updated = await player.client.next<PeerUpdatedMessage>(
        (m) => m.type === 'peer-updated',
        WITHIN_MS,
      );
      expect(updated.peer).toEqual({ ...mixer.joined.self, role: 'member' });
    }
  });
});
