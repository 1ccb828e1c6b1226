/**
 * The relay's signaling protocol against the real process: tickets, acks, forwarding, refusals.
 * Needs `npm run build:relay`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/lib/protocol/errors';
import { PEER_ID_PATTERN } from '../../src/lib/protocol/attested';
import type {
  ErrorMessage,
  ForwardedPublishMessage,
  SubscribedMessage,
} from '../../src/lib/protocol/signaling';
import { MESH_MAX_PLAYERS, studioTopic } from '../../src/lib/protocol/ticket';
import { startRelay, TestClient, type RunningRelay } from '../support/relay';
import { signRaw, signTicket, TEST_TICKET_SECRET, ticketClaims } from '../support/tickets';

const STUDIO = 'studioalpha01';
const TOPIC = studioTopic(STUDIO);
const ticket = (studio = STUDIO): string => signTicket(TEST_TICKET_SECRET, { studio });

let relay: RunningRelay;
const clients: TestClient[] = [];
async function connect(options?: { origin?: string }, url = relay.wsUrl): Promise<TestClient> {
  const client = await TestClient.connect(url, options);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  relay = await startRelay({});
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  expect(await relay?.stop()).toBe(0);
});

const isError = (code: string) => (m: { type: string; code?: string }) =>
  m.type === 'error' && m.code === code;

describe('relay signaling', () => {
  it('admits ticket holders with attested identities and forwards publishes stamped with the sender', async () => {
    const a = await connect();
    const b = await connect();
    const aTicket = signTicket(TEST_TICKET_SECRET, {
      studio: STUDIO,
      sub: 'useralpha0001',
      role: 'owner',
      name: 'Ada',
      instrument: 'drums',
    });
    const before = Date.now();
    const atA = await a.join(TOPIC, aTicket);
    expect(atA).toEqual({
      type: 'subscribed',
      topic: TOPIC,
      clients: 1,
      self: {
        peerId: expect.stringMatching(PEER_ID_PATTERN),
        userId: 'useralpha0001',
        role: 'owner',
        name: 'Ada',
        instrument: 'drums',
        client: a.clientId,
        joinedAt: expect.any(Number),
      },
      peers: [],
      past: [],
      resume: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      // The ticket has no rec claim: this visit may not record.
      mayRecord: false,
    });
    expect(atA.self.joinedAt).toBeGreaterThanOrEqual(before - 1000);
    const atB = await b.join(TOPIC, ticket());
    expect(atB).toMatchObject({ clients: 2, peers: [atA.self], past: [] });
    expect(await a.next((m) => m.type === 'peer-joined')).toEqual({
      type: 'peer-joined',
      topic: TOPIC,
      peer: atB.self,
    });

    a.send({ type: 'publish', topic: TOPIC, data: { hello: 'b' } });
    expect(await b.next<ForwardedPublishMessage>((m) => m.type === 'publish')).toEqual({
      type: 'publish',
      topic: TOPIC,
      data: { hello: 'b' },
      from: atA.self,
      clients: 2,
    });

    b.send({ type: 'unsubscribe', topics: [TOPIC] });
    expect(await a.next((m) => m.type === 'peer-left')).toEqual({
      type: 'peer-left',
      topic: TOPIC,
      peerId: atB.self.peerId,
      reason: 'left',
    });
    // The sender never gets its own publish back (v2): a ping answered proves the relay is past it.
    a.send({ type: 'ping' });
    await a.next((m) => m.type === 'pong');
    expect(a.pending().filter((m) => m.type === 'publish')).toEqual([]);
    b.send({ type: 'publish', topic: TOPIC, data: 'x' });
    expect(await b.next(isError(ErrorCode.NotSubscribed))).toMatchObject({ topic: TOPIC });

    // A later visitor sees the earlier visit in `past`.
    const c = await connect();
    const atC = await c.join(TOPIC, ticket());
    expect(atC.peers).toEqual([atA.self]);
    expect(atC.past).toEqual([atB.self]);
  });

  it('answers ping with pong, on /signal and on / (stock y-webrtc clients)', async () => {
    const onRoot = await connect({}, relay.wsUrl.replace(/\/signal$/, '/'));
    onRoot.send({ type: 'ping' });
    expect(await onRoot.next()).toEqual({ type: 'pong' });
  });

  it('refuses missing, expired, forged and other-studio tickets with distinct codes', async () => {
    const c = await connect();
    const now = Math.floor(Date.now() / 1000);
    const cases: [string | undefined, string][] = [
      [undefined, ErrorCode.TicketMissing],
      [
        signTicket(TEST_TICKET_SECRET, { studio: STUDIO, iat: now - 400, exp: now - 60 }),
        ErrorCode.TicketExpired,
      ],
      [signTicket('an-attacker-secret-0123456789abcdef012345', { studio: STUDIO }), ErrorCode.TicketInvalid],
      [
        signRaw(
          TEST_TICKET_SECRET,
          '{"alg":"none","typ":"JWT"}',
          JSON.stringify(ticketClaims({ studio: STUDIO })),
        ),
        ErrorCode.TicketInvalid,
      ],
      ['not-a-ticket', ErrorCode.TicketInvalid],
      [ticket('otherstudio'), ErrorCode.TicketWrongStudio],
    ];
    for (const [t, code] of cases) {
      const reply = await c.subscribe(TOPIC, t);
      expect(reply, code).toMatchObject({ type: 'error', code, topic: TOPIC });
      expect((reply as ErrorMessage).message.length).toBeGreaterThan(0);
    }
    // A refused subscription grants nothing.
    c.send({ type: 'publish', topic: TOPIC, data: 'sneak' });
    expect(await c.next(isError(ErrorCode.NotSubscribed))).toMatchObject({ topic: TOPIC });
  });

  it('refuses topics that are not studio topics', async () => {
    const c = await connect();
    expect(await c.subscribe('lobby')).toMatchObject({ type: 'error', code: ErrorCode.TicketMissing });
    expect(await c.subscribe('lobby', ticket())).toMatchObject({
      type: 'error',
      code: ErrorCode.TicketWrongStudio,
    });
  });

  it('holds one studio per connection and acknowledges a repeated subscribe with the same identity', async () => {
    const c = await connect();
    const first = await c.join(studioTopic('studiob01'), ticket('studiob01'));
    const again = await c.subscribe(studioTopic('studiob01'), ticket('studiob01'));
    expect(again).toEqual(first);
    expect(await c.subscribe(studioTopic('studiob02'), ticket('studiob02'))).toMatchObject({
      type: 'error',
      code: ErrorCode.TooManyTopics,
      message: 'A connection joins one studio; open another connection for another studio.',
    });
  });

  it('requires the Yjs client id with a studio subscription', async () => {
    const c = await connect();
    const reply = await c.subscribe(TOPIC, ticket(), { client: null });
    expect(reply).toMatchObject({ type: 'error', code: ErrorCode.ClientIdTaken, topic: TOPIC });
    expect((reply as ErrorMessage).message).toMatch(/client id/);
  });

  it("refuses a player beyond the ticket's maxPlayers with room-full until someone leaves", async () => {
    const studio = 'studiofull01';
    const topic = studioTopic(studio);
    const limited = (): string => signTicket(TEST_TICKET_SECRET, { studio, maxPlayers: 2 });
    const a = await connect();
    const b = await connect();
    const c = await connect();
    expect(await a.subscribe(topic, limited())).toMatchObject({ type: 'subscribed', topic, clients: 1 });
    expect(await b.subscribe(topic, limited())).toMatchObject({ type: 'subscribed', topic, clients: 2 });
    expect(await c.subscribe(topic, limited())).toEqual({
      type: 'error',
      code: ErrorCode.RoomFull,
      topic,
      message: 'This studio is full (2 players). Try again when someone leaves.',
    });
    // A held topic re-acknowledged is not a second seat; the refused socket stays open and out.
    expect(await b.subscribe(topic, limited())).toMatchObject({ type: 'subscribed', topic, clients: 2 });
    expect(c.isOpen).toBe(true);
    c.send({ type: 'publish', topic, data: 'sneak' });
    expect(await c.next(isError(ErrorCode.NotSubscribed))).toMatchObject({ topic });

    await b.close();
    expect(await c.subscribeWhenSeatFree(topic, limited())).toMatchObject({
      type: 'subscribed',
      topic,
      clients: 2,
    });
    a.send({ type: 'publish', topic, data: 'welcome back' });
    expect(await c.next((m) => m.type === 'publish')).toMatchObject({ data: 'welcome back', clients: 2 });
  });

  it("admits the relay's room limit with tickets minted before the maxPlayers claim", async () => {
    // A relay of its own with a small room limit, so the room fills with few sockets.
    const small = await startRelay({ env: { BANDMESH_ROOM_LIMIT: String(MESH_MAX_PLAYERS) } });
    try {
      const studio = 'studiolegacy1';
      const topic = studioTopic(studio);
      const legacy = (): string => signTicket(TEST_TICKET_SECRET, { studio, maxPlayers: undefined });
      for (let i = 1; i <= MESH_MAX_PLAYERS; i++) {
        const player = await connect(undefined, small.wsUrl);
        expect(await player.subscribe(topic, legacy())).toMatchObject({
          type: 'subscribed',
          topic,
          clients: i,
        });
      }
      const extra = await connect(undefined, small.wsUrl);
      expect(await extra.subscribe(topic, legacy())).toMatchObject({
        type: 'error',
        code: ErrorCode.RoomFull,
        message: `This studio is full (${MESH_MAX_PLAYERS} players). Try again when someone leaves.`,
      });
    } finally {
      await small.stop();
    }
  });

  it('answers malformed JSON, unknown types and binary frames with errors and keeps the socket', async () => {
    const c = await connect();
    c.sendRaw('{"type":');
    expect(await c.next()).toMatchObject({ type: 'error', code: ErrorCode.Malformed });
    c.send({ type: 'announce', topic: TOPIC });
    expect(await c.next()).toMatchObject({ type: 'error', code: ErrorCode.Malformed });
    c.sendRaw(Buffer.from([1, 2, 3]), { binary: true });
    expect(await c.next()).toMatchObject({ type: 'error', code: ErrorCode.Malformed });
    c.send({ type: 'subscribe', topics: 'nope' });
    expect(await c.next()).toMatchObject({ type: 'error', code: ErrorCode.Malformed });
    expect(c.isOpen).toBe(true);
    const ack = await c.subscribe(TOPIC, ticket());
    expect((ack as SubscribedMessage).type).toBe('subscribed');
  });

  it('serves /healthz with counts and answers other paths with JSON 404', async () => {
    const health = await fetch(`${relay.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: true, version: 2 });
    expect(body.connections).toBeGreaterThan(0);
    expect(body.topics).toBeGreaterThan(0);
    const missing = await fetch(`${relay.httpUrl}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ ok: false });
  });

  it('never logs tickets, user ids, names or client addresses', () => {
    const lines = relay.output().trim().split('\n');
    expect(lines.some((line) => line.includes('"event":"connection-opened"'))).toBe(true);
    for (const line of lines) {
      expect(() => JSON.parse(line), line).not.toThrow();
      // Every ticket (and any JWT) starts with base64url of '{"'.
      expect(line).not.toContain('eyJ');
      expect(line).not.toContain('useralpha0001');
      expect(line).not.toContain('Ada');
      expect(line).not.toContain('Test Player');
      if (!line.includes('"event":"listening"')) expect(line).not.toContain('127.0.0.1');
    }
  });
});

describe('relay origin check', () => {
  it('refuses upgrades from origins outside BANDMESH_RELAY_ALLOWED_ORIGINS with 403', async () => {
    const strict = await startRelay({ env: { BANDMESH_RELAY_ALLOWED_ORIGINS: 'https://jam.example.org' } });
    try {
      await expect(TestClient.connect(strict.wsUrl, { origin: 'https://evil.example' })).rejects.toThrow(
        /403/,
      );
      await expect(TestClient.connect(strict.wsUrl)).rejects.toThrow(/403/);
      const ok = await TestClient.connect(strict.wsUrl, { origin: 'https://jam.example.org' });
      expect(ok.isOpen).toBe(true);
      await ok.close();
    } finally {
      expect(await strict.stop()).toBe(0);
    }
  });
});
