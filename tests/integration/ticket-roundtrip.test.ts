/**
 * PocketBase → relay: tickets minted by the real PocketBase open studio topics on the real relay,
 * which reads PocketBase's generated data-dir secret file. Needs the built PocketBase binary and
 * `npm run build:relay`.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStudioTicket, joinStudio } from '../../src/lib/pb/client';
import { ErrorCode } from '../../src/lib/protocol/errors';
import type { ForwardedPublishMessage } from '../../src/lib/protocol/signaling';
import { MESH_MAX_PLAYERS, studioTopic } from '../../src/lib/protocol/ticket';
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
  return { id: studio.id, slug };
}

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
  it('lets an owner and a member who joined subscribe with minted tickets and exchange a publish', async () => {
    const owner = await signUp(pocketBase.url, 'Owner');
    const member = await signUp(pocketBase.url, 'Member');
    const studio = await createStudio(owner, 'roundtrip-band');
    expect(await joinStudio(member.pb, studio.slug)).toMatchObject({ joined: true, role: 'member' });

    const ownerTicket = await fetchStudioTicket(owner.pb, studio.slug);
    const memberTicket = await fetchStudioTicket(member.pb, studio.slug);
    expect(ownerTicket).toMatchObject({ studioId: studio.id, role: 'owner', maxPlayers: MESH_MAX_PLAYERS });
    expect(memberTicket).toMatchObject({ studioId: studio.id, role: 'member', maxPlayers: MESH_MAX_PLAYERS });

    const topic = studioTopic(studio.id);
    const a = await connect();
    const b = await connect();
    expect(await a.subscribe(topic, ownerTicket.ticket)).toEqual({ type: 'subscribed', topic, clients: 1 });
    expect(await b.subscribe(topic, memberTicket.ticket)).toEqual({ type: 'subscribed', topic, clients: 2 });

    a.send({ type: 'publish', topic, data: { type: 'announce', from: owner.id } });
    expect(await b.next<ForwardedPublishMessage>((m) => m.type === 'publish')).toEqual({
      type: 'publish',
      topic,
      data: { type: 'announce', from: owner.id },
      clients: 2,
    });
    b.send({ type: 'publish', topic, data: { type: 'announce', from: member.id } });
    const atA = [await a.next(), await a.next()];
    // The relay echoes to the sender too (y-webrtc semantics): a sees its own announce, then b's.
    expect(atA).toEqual([
      { type: 'publish', topic, data: { type: 'announce', from: owner.id }, clients: 2 },
      { type: 'publish', topic, data: { type: 'announce', from: member.id }, clients: 2 },
    ]);
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
    client.send({ type: 'publish', topic, data: 'sneak' });
    expect(await client.next((m) => m.type === 'error')).toMatchObject({ code: ErrorCode.NotSubscribed });
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
    expect(await c.subscribe(topic, t3!.ticket)).toEqual({
      type: 'error',
      code: ErrorCode.RoomFull,
      topic,
      message: 'This studio is full (2 players). Try again when someone leaves.',
    });
    expect(c.isOpen).toBe(true);

    await b.close();
    expect(await c.subscribeWhenSeatFree(topic, t3!.ticket)).toEqual({
      type: 'subscribed',
      topic,
      clients: 2,
    });
  });

  it(`clamps a studio's maxPlayers to the mesh limit (${MESH_MAX_PLAYERS})`, async () => {
    const owner = await signUp(pocketBase.url, 'Owner');
    const studio = await createStudio(owner, 'roundtrip-big', 16);
    const ticket = await fetchStudioTicket(owner.pb, studio.slug);
    expect(ticket.maxPlayers).toBe(MESH_MAX_PLAYERS);
    const claims = JSON.parse(Buffer.from(ticket.ticket.split('.')[1]!, 'base64url').toString('utf8')) as {
      maxPlayers: number;
    };
    expect(claims.maxPlayers).toBe(MESH_MAX_PLAYERS);
  });
});
