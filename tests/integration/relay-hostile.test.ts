/**
 * Hostile clients against the real relay process (issue 7, deliverable 5, relay part): Node `ws`
 * clients with real tickets try to forge who they are, listen in on other pairs, hold several seats
 * with one ticket, steal a Yjs client id or open more visits than allowed. Each attack must fail and
 * the honest members must keep talking. Needs `npm run build:relay`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/lib/protocol/errors';
import type {
  ErrorMessage,
  ForwardedPublishMessage,
  PeerLeftMessage,
  ServerMessage,
} from '../../src/lib/protocol/signaling';
import { studioTopic } from '../../src/lib/protocol/ticket';
import { ClientPool, startRelay, studioSequence, TestClient, type RunningRelay } from '../support/relay';
import { signTicket, TEST_TICKET_SECRET, testJti, testRecordId } from '../support/tickets';

let relay: RunningRelay;
const clients = new ClientPool(() => relay.wsUrl);
const connect = () => clients.connect();

let STUDIO = '';
let TOPIC = '';
const nextStudio = studioSequence('studiohostile');
beforeEach(() => ({ studio: STUDIO, topic: TOPIC } = nextStudio()));
const ticket = (claims: { sub?: string; jti?: string; role?: 'owner' | 'engineer' | 'member' } = {}) =>
  signTicket(TEST_TICKET_SECRET, { studio: STUDIO, ...claims });

async function member(claims?: Parameters<typeof ticket>[0]): Promise<TestClient> {
  const client = await connect();
  await client.join(TOPIC, ticket(claims));
  return client;
}

/** A ping answered proves the relay has handled everything this client sent before it. */
const publishes = (client: TestClient): ForwardedPublishMessage[] =>
  client.pending().filter((m): m is ForwardedPublishMessage => m.type === 'publish');

beforeAll(async () => {
  relay = await startRelay({});
});
afterAll(async () => {
  await clients.closeAll();
  expect(await relay?.stop()).toBe(0);
});

describe('forged identity', () => {
  it('stamps every publish with the sender as attested, whatever its data claims', async () => {
    const owner = await member({ role: 'owner' });
    const victim = await member();
    const attacker = await member();
    await owner.next((m) => m.type === 'peer-joined');
    await owner.next((m) => m.type === 'peer-joined');

    // The attacker dresses its publish up as the owner's, at the top level and inside data.
    const forged = {
      type: 'publish',
      topic: TOPIC,
      from: owner.self,
      data: {
        type: 'leave',
        // The owner's whole attested identity, copied from what the relay showed everyone.
        from: owner.self,
        peerId: owner.peerId,
        userId: owner.self?.userId,
        role: 'owner',
      },
    };
    attacker.send(forged);
    const atVictim = await victim.next<ForwardedPublishMessage>((m) => m.type === 'publish');
    expect(atVictim.from).toEqual(attacker.self);
    expect(atVictim.from.peerId).not.toBe(owner.peerId);
    expect(atVictim.from.role).toBe('member');
    expect(atVictim.data).toEqual(forged.data);
  });

  it('assigns peer ids: a client cannot choose one, nor take another member’s', async () => {
    const victim = await member();
    const attacker = await connect();
    attacker.send({
      type: 'subscribe',
      topics: [TOPIC],
      ticket: ticket(),
      client: attacker.clientId,
      peerId: victim.peerId,
      self: victim.self,
    });
    const reply = await attacker.next((m) => m.type === 'subscribed');
    if (reply.type !== 'subscribed') throw new Error('unreachable');
    expect(reply.self.peerId).not.toBe(victim.peerId);
    expect(reply.self.userId).not.toBe(victim.self?.userId);
    expect(reply.peers).toEqual([victim.self]);
    // Peer ids are fresh per connection, even for the same ticket holder reconnecting.
    const ids = new Set([victim.peerId, reply.self.peerId]);
    for (let i = 0; i < 3; i++) ids.add((await member()).peerId);
    expect(ids.size).toBe(5);
  });
});

describe('targeted signals', () => {
  it('delivers a publish with `to` only to that peer: a third member sees nothing to answer', async () => {
    const caller = await member();
    const callee = await member();
    const eavesdropper = await member();
    const offer = {
      type: 'signal',
      v: 2,
      signal: { kind: 'description', description: { type: 'offer', sdp: 'v=0' } },
    };
    caller.send({ type: 'publish', topic: TOPIC, to: callee.peerId, data: offer });
    expect(await callee.next<ForwardedPublishMessage>((m) => m.type === 'publish')).toEqual({
      type: 'publish',
      topic: TOPIC,
      data: offer,
      from: caller.self,
      clients: 3,
    });
    await caller.settled();
    await eavesdropper.settled();
    expect(publishes(eavesdropper)).toEqual([]);
    expect(publishes(caller)).toEqual([]);

    // A broadcast still reaches every other member (and not the sender).
    callee.send({ type: 'publish', topic: TOPIC, data: 'all' });
    await caller.next((m) => m.type === 'publish');
    await eavesdropper.next((m) => m.type === 'publish');
    await callee.settled();
    expect(publishes(callee)).toEqual([]);
  });

  it('refuses a target outside the topic with unknown-peer, also a member of another studio', async () => {
    const a = await member();
    const elsewhere = await connect();
    await elsewhere.join(studioTopic(`${STUDIO}x`), signTicket(TEST_TICKET_SECRET, { studio: `${STUDIO}x` }));
    a.send({ type: 'publish', topic: TOPIC, to: elsewhere.peerId, data: 'cross-room' });
    expect(await a.next((m) => m.type === 'error')).toMatchObject({
      code: ErrorCode.UnknownPeer,
      topic: TOPIC,
    });
    await elsewhere.settled();
    expect(publishes(elsewhere)).toEqual([]);
  });
});

describe('one ticket, one live connection', () => {
  it('replaces each earlier socket of a ticket used six times; the room counts it once', async () => {
    const witness = await member();
    const jti = testJti();
    const sub = testRecordId();
    const shared = ticket({ sub, jti });
    const sockets: TestClient[] = [];
    const joined: string[] = [];
    for (let i = 0; i < 6; i++) {
      const socket = await connect();
      const reply = await socket.join(TOPIC, shared);
      // The room never holds more than the witness and one seat for this ticket.
      expect(reply.clients).toBe(2);
      expect(reply.peers.map((p) => p.peerId)).toEqual([witness.peerId]);
      joined.push(reply.self.peerId);
      sockets.push(socket);
    }
    for (const replaced of sockets.slice(0, 5)) {
      expect(await replaced.closed).toEqual({ code: 4001, reason: ErrorCode.TicketReplaced });
      const error = replaced.pending().find((m): m is ErrorMessage => m.type === 'error');
      expect(error).toEqual({
        type: 'error',
        code: ErrorCode.TicketReplaced,
        topic: TOPIC,
        message: 'This ticket was used again from another tab or device; this connection was replaced.',
      });
    }
    const newest = sockets[5]!;
    expect(newest.isOpen).toBe(true);

    // The witness saw five replacements, each a leave with its reason followed by the next join.
    const seen: ServerMessage[] = [];
    for (let i = 0; i < 11; i++)
      seen.push(await witness.next((m) => m.type === 'peer-joined' || m.type === 'peer-left'));
    expect(seen.map((m) => m.type)).toEqual([
      'peer-joined',
      ...Array(5).fill(['peer-left', 'peer-joined']).flat(),
    ]);
    const lefts = seen.filter((m): m is PeerLeftMessage => m.type === 'peer-left');
    expect(lefts.map((m) => [m.peerId, m.reason])).toEqual(
      joined.slice(0, 5).map((id) => [id, ErrorCode.TicketReplaced]),
    );

    // Only the newest is live: publishes from it arrive, and the witness's reach only it.
    witness.send({ type: 'publish', topic: TOPIC, data: 'to the room' });
    expect(await newest.next((m) => m.type === 'publish')).toMatchObject({ data: 'to the room', clients: 2 });
    const later = await connect();
    expect((await later.join(TOPIC, ticket())).clients).toBe(3);
  });
});

describe('Yjs client ids and visits', () => {
  it('refuses a client id held by another user, live or earlier in the room; the owner may reuse its own', async () => {
    // A bystander keeps the room open: its memory of client ids lasts as long as the room.
    const bystander = await member();
    const victimUser = testRecordId();
    const victim = await connect();
    await victim.join(TOPIC, ticket({ sub: victimUser }));
    const thief = await connect();
    const reply = await thief.subscribe(TOPIC, ticket(), { client: victim.clientId });
    expect(reply).toMatchObject({ type: 'error', code: ErrorCode.ClientIdTaken, topic: TOPIC });
    expect((reply as ErrorMessage).message).toMatch(/Reload the page/);

    // After the victim leaves (the bystander saw it go), its client id stays its own.
    await victim.close();
    await bystander.next((m) => m.type === 'peer-left' && m.peerId === victim.peerId);
    let again = await thief.subscribe(TOPIC, ticket(), { client: victim.clientId });
    expect(again).toMatchObject({ code: ErrorCode.ClientIdTaken });
    // The victim reconnecting with a fresh ticket takes it back (a reload keeps the doc's id only
    // when the same user returns).
    const back = await connect();
    again = await back.subscribe(TOPIC, ticket({ sub: victimUser }), { client: victim.clientId });
    expect(again).toMatchObject({
      type: 'subscribed',
      self: { userId: victimUser, client: victim.clientId },
    });
  });

  it('refuses a user more live visits than allowed, and admits again after one closes', async () => {
    const user = testRecordId();
    const first = await member({ sub: user });
    await member({ sub: user });
    const third = await connect();
    const reply = await third.subscribe(TOPIC, ticket({ sub: user }));
    expect(reply).toMatchObject({ type: 'error', code: ErrorCode.TooManyVisits, topic: TOPIC });
    expect((reply as ErrorMessage).message).toMatch(/already in this studio from 2 tabs/);
    await first.close();
    const retry = await third.subscribeWhenSeatFree(TOPIC, ticket({ sub: user }));
    expect(retry).toMatchObject({ type: 'subscribed' });
  });
});
