/**
 * PocketBase → relay: tickets v2 minted by the real PocketBase open studio topics on the real relay,
 * which reads PocketBase's generated data-dir secret file, and the relay attests exactly the
 * identity PocketBase signed (user, role, name, first instrument). Needs the built PocketBase binary
 * and `npm run build:relay`.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStudioTicket, joinStudio } from '../../src/lib/pb/client';
import { ErrorCode } from '../../src/lib/protocol/errors';
import type {
  ForwardedPublishMessage,
  PeerJoinedMessage,
  SubscribedMessage,
} from '../../src/lib/protocol/signaling';
import {
  ROOM_MAX_PLAYERS,
  ROOM_PLAYERS_CAP,
  studioTopic,
  TICKET_VERSION,
  type TicketClaims,
} from '../../src/lib/protocol/ticket';
import { signUp, startPocketBase, type RunningPocketBase, type TestUser } from '../support/pocketbase';
import { startRelay, TestClient, type RunningRelay } from '../support/relay';

let pocketBase: RunningPocketBase;
let relay: RunningRelay;
const clients: TestClient[] = [];

async function connect(): Promise<TestClient> {
  const client = await TestClient.connect(relay.wsUrl);
  clients.push(client);
  return client;
}

async function createStudio(
  owner: TestUser,
  slug: string,
  maxPlayers?: number,
): Promise<{ id: string; slug: string }> {
  const studio = await owner.pb.collection('studios').create({
    name: `Studio ${slug}`,
    slug,
    owner: owner.id,
    visibility: 'unlisted',
    ...(maxPlayers === undefined ? {} : { maxPlayers }),
  });
  return { id: studio.id, slug: studio.slug };
}

/** The claims of a ticket, read without verifying (the relay verifies). */
const claimsOf = (ticket: string): TicketClaims =>
  JSON.parse(Buffer.from(ticket.split('.')[1]!, 'base64url').toString('utf8')) as TicketClaims;

beforeAll(async () => {
  pocketBase = await startPocketBase();
  relay = await startRelay({ ticketSecretFile: join(pocketBase.dataDir, 'bandmesh-ticket.secret') });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  const relayExit = await relay?.stop();
  await pocketBase?.stop();
  expect(relayExit).toBe(0);
});

describe('PocketBase tickets at the relay', () => {
  it('carry a unique jti and the profile, and the relay attests exactly that identity', async () => {
    const owner = await signUp(pocketBase.url, 'Owner');
    await owner.pb.collection('users').update(owner.id, { instruments: ['guitar', 'vocals'] });
    const member = await signUp(pocketBase.url, 'Member');
    // An astral character is two UTF-16 units: the name PocketBase allows (80 runes) is clipped
    // to the 80 units the relay accepts, without splitting the character.
    const longName = `Zoë ${'🎸'.repeat(40)}`;
    await member.pb.collection('users').update(member.id, { name: longName });
    const studio = await createStudio(owner, 'roundtrip-band');
    expect(await joinStudio(member.pb, studio.slug)).toMatchObject({ joined: true, role: 'member' });

    const ownerTicket = await fetchStudioTicket(owner.pb, studio.slug);
    const again = await fetchStudioTicket(owner.pb, studio.slug);
    const memberTicket = await fetchStudioTicket(member.pb, studio.slug);
    expect(ownerTicket).toMatchObject({ studioId: studio.id, role: 'owner', maxPlayers: ROOM_MAX_PLAYERS });

    const ownerClaims = claimsOf(ownerTicket.ticket);
    const memberClaims = claimsOf(memberTicket.ticket);
    expect(ownerClaims).toMatchObject({
      v: TICKET_VERSION,
      sub: owner.id,
      role: 'owner',
      name: 'Owner',
      instrument: 'guitar',
    });
    expect(ownerClaims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set([ownerClaims.jti, claimsOf(again.ticket).jti, memberClaims.jti]).size).toBe(3);
    const clipped = `Zoë ${'🎸'.repeat(38)}`;
    expect(clipped.length).toBe(80);
    expect(memberClaims).toMatchObject({ sub: member.id, role: 'member', name: clipped, instrument: '' });

    const topic = studioTopic(studio.id);
    const a = await connect();
    const b = await connect();
    const atA = await a.join(topic, ownerTicket.ticket);
    expect(atA.self).toMatchObject({
      userId: owner.id,
      role: 'owner',
      name: 'Owner',
      instrument: 'guitar',
      client: a.clientId,
    });
    expect(atA.peers).toEqual([]);

    const atB: SubscribedMessage = await b.join(topic, memberTicket.ticket);
    expect(atB.self).toMatchObject({ userId: member.id, role: 'member', name: clipped, instrument: '' });
    expect(atB.peers).toEqual([atA.self]);
    const joined = await a.next<PeerJoinedMessage>((m) => m.type === 'peer-joined');
    expect(joined.peer).toEqual(atB.self);

    b.send({ type: 'publish', topic, data: { hello: 'from b' } });
    const forwarded = await a.next<ForwardedPublishMessage>((m) => m.type === 'publish');
    expect(forwarded).toMatchObject({ topic, data: { hello: 'from b' }, from: atB.self });
  });

  it('open one connection per ticket: a second use replaces the first with ticket-replaced', async () => {
    const owner = await signUp(pocketBase.url, 'Owner');
    const studio = await createStudio(owner, 'roundtrip-reuse');
    const { ticket } = await fetchStudioTicket(owner.pb, studio.slug);
    const topic = studioTopic(studio.id);

    const first = await connect();
    await first.join(topic, ticket);
    const second = await connect();
    await second.join(topic, ticket);
    expect(await first.next((m) => m.type === 'error')).toMatchObject({
      code: ErrorCode.TicketReplaced,
      topic,
    });
    expect((await first.closed).reason).toBe(ErrorCode.TicketReplaced);
    expect(second.isOpen).toBe(true);
  });

  it('refuses a ticket for another studio with ticket-wrong-studio', async () => {
    const owner = await signUp(pocketBase.url, 'Owner');
    const mine = await createStudio(owner, 'roundtrip-mine');
    const theirs = await createStudio(await signUp(pocketBase.url, 'Other'), 'roundtrip-theirs');
    const ticket = await fetchStudioTicket(owner.pb, mine.slug);

    const client = await connect();
    const topic = studioTopic(theirs.id);
    expect(await client.subscribe(topic, ticket.ticket)).toMatchObject({
      type: 'error',
      code: ErrorCode.TicketWrongStudio,
      topic,
    });
    // The same ticket opens its own studio.
    expect(await client.subscribe(studioTopic(mine.id), ticket.ticket)).toMatchObject({
      type: 'subscribed',
    });
  });

  it('refuses a third member of a 2-player studio with room-full until someone leaves', async () => {
    const owner = await signUp(pocketBase.url, 'Owner');
    const second = await signUp(pocketBase.url, 'Second');
    const third = await signUp(pocketBase.url, 'Third');
    const studio = await createStudio(owner, 'roundtrip-duo', 2);
    await joinStudio(second.pb, studio.slug);
    await joinStudio(third.pb, studio.slug);
    const [t1, t2, t3] = await Promise.all(
      [owner, second, third].map((user) => fetchStudioTicket(user.pb, studio.slug)),
    );
    expect([t1!.maxPlayers, t2!.maxPlayers, t3!.maxPlayers]).toEqual([2, 2, 2]);

    const topic = studioTopic(studio.id);
    const a = await connect();
    const b = await connect();
    const c = await connect();
    expect(await a.subscribe(topic, t1!.ticket)).toMatchObject({ type: 'subscribed', clients: 1 });
    expect(await b.subscribe(topic, t2!.ticket)).toMatchObject({ type: 'subscribed', clients: 2 });
    expect(await c.subscribe(topic, t3!.ticket)).toMatchObject({
      type: 'error',
      code: ErrorCode.RoomFull,
      topic,
    });
    expect(c.isOpen).toBe(true);

    await b.close();
    expect(await c.subscribeWhenSeatFree(topic, t3!.ticket)).toMatchObject({
      type: 'subscribed',
      topic,
      clients: 2,
    });
  });

  it(`clamps a studio's maxPlayers to the room limit (${ROOM_MAX_PLAYERS})`, async () => {
    const owner = await signUp(pocketBase.url, 'Owner');
    const studio = await createStudio(owner, 'roundtrip-big', ROOM_PLAYERS_CAP);
    const ticket = await fetchStudioTicket(owner.pb, studio.slug);
    expect(ticket.maxPlayers).toBe(ROOM_MAX_PLAYERS);
    expect(claimsOf(ticket.ticket).maxPlayers).toBe(ROOM_MAX_PLAYERS);
  });
});
