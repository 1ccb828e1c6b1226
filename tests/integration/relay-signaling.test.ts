/**
 * The relay's signaling protocol against the real process: tickets, acks, forwarding, refusals.
 * Needs `npm run build:relay`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/lib/protocol/errors';
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
  relay = await startRelay({ env: { BANDMESH_RELAY_MAX_TOPICS_PER_CONNECTION: '2' } });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  expect(await relay?.stop()).toBe(0);
});

const isError = (code: string) => (m: { type: string; code?: string }) =>
  m.type === 'error' && m.code === code;

describe('relay signaling', () => {
  it('lets two ticket holders of one studio exchange publishes, the sender included', async () => {
    const a = await connect();
    const b = await connect();
    expect(await a.subscribe(TOPIC, ticket())).toEqual({ type: 'subscribed', topic: TOPIC, clients: 1 });
    expect(await b.subscribe(TOPIC, ticket())).toEqual({ type: 'subscribed', topic: TOPIC, clients: 2 });

    a.send({ type: 'publish', topic: TOPIC, data: { type: 'announce', from: 'a' } });
    const atB = await b.next<ForwardedPublishMessage>((m) => m.type === 'publish');
    expect(atB).toEqual({ type: 'publish', topic: TOPIC, data: { type: 'announce', from: 'a' }, clients: 2 });
    const echo = await a.next<ForwardedPublishMessage>((m) => m.type === 'publish');
    expect(echo.data).toEqual({ type: 'announce', from: 'a' });

    b.send({ type: 'unsubscribe', topics: [TOPIC] });
    // Sockets are independent: a pong on b's socket proves the relay has handled b's unsubscribe.
    b.send({ type: 'ping' });
    await b.next((m) => m.type === 'pong');
    a.send({ type: 'publish', topic: TOPIC, data: 'after' });
    expect((await a.next<ForwardedPublishMessage>((m) => m.type === 'publish')).clients).toBe(1);
    b.send({ type: 'publish', topic: TOPIC, data: 'x' });
    expect(await b.next(isError(ErrorCode.NotSubscribed))).toMatchObject({ topic: TOPIC });
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

  it('limits topics per connection and acknowledges a repeated subscribe', async () => {
    const c = await connect();
    const studios = ['studiob01', 'studiob02', 'studiob03'];
    expect(await c.subscribe(studioTopic(studios[0]!), ticket(studios[0]))).toMatchObject({
      type: 'subscribed',
    });
    expect(await c.subscribe(studioTopic(studios[0]!), ticket(studios[0]))).toMatchObject({
      type: 'subscribed',
      clients: 1,
    });
    expect(await c.subscribe(studioTopic(studios[1]!), ticket(studios[1]))).toMatchObject({
      type: 'subscribed',
    });
    expect(await c.subscribe(studioTopic(studios[2]!), ticket(studios[2]))).toMatchObject({
      type: 'error',
      code: ErrorCode.TooManyTopics,
    });
  });

  it("refuses a player beyond the ticket's maxPlayers with room-full until someone leaves", async () => {
    const studio = 'studiofull01';
    const topic = studioTopic(studio);
    const limited = (): string => signTicket(TEST_TICKET_SECRET, { studio, maxPlayers: 2 });
    const a = await connect();
    const b = await connect();
    const c = await connect();
    expect(await a.subscribe(topic, limited())).toEqual({ type: 'subscribed', topic, clients: 1 });
    expect(await b.subscribe(topic, limited())).toEqual({ type: 'subscribed', topic, clients: 2 });
    expect(await c.subscribe(topic, limited())).toEqual({
      type: 'error',
      code: ErrorCode.RoomFull,
      topic,
      message: 'This studio is full (2 players). Try again when someone leaves.',
    });
    // A held topic re-acknowledged is not a second seat; the refused socket stays open and out.
    expect(await b.subscribe(topic, limited())).toEqual({ type: 'subscribed', topic, clients: 2 });
    expect(c.isOpen).toBe(true);
    c.send({ type: 'publish', topic, data: 'sneak' });
    expect(await c.next(isError(ErrorCode.NotSubscribed))).toMatchObject({ topic });

    await b.close();
    expect(await c.subscribeWhenSeatFree(topic, limited())).toEqual({
      type: 'subscribed',
      topic,
      clients: 2,
    });
    a.send({ type: 'publish', topic, data: 'welcome back' });
    expect(await c.next((m) => m.type === 'publish')).toMatchObject({ data: 'welcome back', clients: 2 });
  });

  it('admits MESH_MAX_PLAYERS with tickets minted before the maxPlayers claim', async () => {
    const studio = 'studiolegacy1';
    const topic = studioTopic(studio);
    const legacy = (): string => signTicket(TEST_TICKET_SECRET, { studio, maxPlayers: undefined });
    for (let i = 1; i <= MESH_MAX_PLAYERS; i++) {
      const player = await connect();
      expect(await player.subscribe(topic, legacy())).toEqual({ type: 'subscribed', topic, clients: i });
    }
    const extra = await connect();
    expect(await extra.subscribe(topic, legacy())).toMatchObject({
      type: 'error',
      code: ErrorCode.RoomFull,
      message: `This studio is full (${MESH_MAX_PLAYERS} players). Try again when someone leaves.`,
    });
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
    expect(body).toMatchObject({ ok: true, version: 1 });
    expect(body.connections).toBeGreaterThan(0);
    expect(body.topics).toBeGreaterThan(0);
    const missing = await fetch(`${relay.httpUrl}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ ok: false });
  });

  it('never logs tickets, user ids or client addresses', () => {
    const lines = relay.output().trim().split('\n');
    expect(lines.some((line) => line.includes('"event":"connection-opened"'))).toBe(true);
    for (const line of lines) {
      expect(() => JSON.parse(line), line).not.toThrow();
      // Every ticket (and any JWT) starts with base64url of '{"'.
      expect(line).not.toContain('eyJ');
      expect(line).not.toContain('user0000000001');
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
