import { connect as tcpConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ErrorCode } from '../../../src/lib/protocol/errors.js';
import { MESH_MAX_PLAYERS, studioTopic } from '../../../src/lib/protocol/ticket.js';
import { signTicket } from '../../../tests/support/tickets.js';
import { createTicketVerifier, type TicketVerifier } from '../auth/ticket-verifier.js';
import type { RelayConfig } from '../config.js';
import { createLogger, silentLogger } from '../log.js';
import { createRelayServer, type RelayServer } from './server.js';

const SECRET = 'server-test-secret-0123456789abcdef0123';
const config: RelayConfig = {
  host: '127.0.0.1',
  port: 0,
  ticketSecret: SECRET,
  maxMessagesPerSecond: 50,
  burstMessages: 100,
  allowedOrigins: null,
  maxConnections: 100,
  maxConnectionsPerIp: 50,
  trustedProxyHeader: null,
  subscribeTimeoutMs: 5000,
  maxVisitsPerUser: 2,
  resumeGraceMs: 10_000,
  meshLimit: 6,
  meshHysteresis: 1,
  roomLimit: 24,
  relayId: 'relay-1',
  sfu: true,
  sfuHost: '127.0.0.1',
  sfuPortMin: 0,
  sfuPortMax: 0,
};

const servers: RelayServer[] = [];
const sockets: (WebSocket | Socket)[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) {
    if (s instanceof WebSocket) s.terminate();
    else s.destroy();
  }
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(
  options: {
    verifier?: TicketVerifier;
    heartbeatIntervalMs?: number;
    lines?: string[];
    config?: Partial<RelayConfig>;
  } = {},
) {
  const server = createRelayServer({
    config: { ...config, ...options.config },
    verifier: options.verifier ?? createTicketVerifier({ secret: SECRET }),
    logger: options.lines ? createLogger({ write: (l) => void options.lines?.push(l) }) : silentLogger(),
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    heartbeatTimeoutMs: options.heartbeatIntervalMs ? options.heartbeatIntervalMs * 2 : undefined,
    closeGraceMs: 200,
  });
  servers.push(server);
  const { port } = await server.listen();
  return { server, url: `ws://127.0.0.1:${port}/signal`, port };
}

interface Opened {
  ws: WebSocket;
  messages: Msg[];
  closed: Promise<number>;
}
type Msg = {
  type: string;
  code?: string;
  topic?: string;
  clients?: number;
  message?: string;
  data?: unknown;
  self?: { peerId: string };
  peerId?: string;
  reason?: string;
  resume?: string;
};

function open(url: string, options: { autoPong?: boolean } = {}): Promise<Opened> {
  const ws = new WebSocket(url, options);
  sockets.push(ws);
  const messages: Msg[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Msg));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, closed }));
    ws.once('error', reject);
  });
}

let nextClient = 1;
/** Sends a v2 subscribe (ticket + a fresh Yjs client id) and waits for the reply to it. */
async function subscribe(client: Opened, topic: string, ticket: string): Promise<Msg> {
  const before = client.messages.length;
  client.ws.send(JSON.stringify({ type: 'subscribe', topics: [topic], ticket, client: nextClient++ }));
  await until(
    () => client.messages.slice(before).some((m) => m.type === 'subscribed' || m.type === 'error'),
    'a reply to subscribe',
  );
  return client.messages.slice(before).find((m) => m.type === 'subscribed' || m.type === 'error')!;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

/** An upgraded TCP socket that never answers pings. */
function silentPeer(port: number): Promise<Socket> {
  const socket = tcpConnect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => undefined);
  return new Promise((resolve) => {
    socket.once('connect', () =>
      socket.write(
        'GET /signal HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      ),
    );
    socket.once('data', () => resolve(socket));
  });
}

describe('createRelayServer', () => {
  it('terminates a peer that stops answering pings and keeps a live one', async () => {
    const { server, url, port } = await start({ heartbeatIntervalMs: 50 });
    const live = await open(url);
    await silentPeer(port);
    await until(() => server.stats().connections === 2, 'two connections');
    await until(() => server.stats().connections === 1, 'the silent peer to be dropped');
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('contains a throwing dependency to one socket (1011) and leaves the registry consistent', async () => {
    const lines: string[] = [];
    const real = createTicketVerifier({ secret: SECRET });
    const verifier: TicketVerifier = {
      verify: (ticket, studio) => {
        if (ticket === 'boom') throw new Error('verifier bug');
        return real.verify(ticket, studio);
      },
    };
    // A 1011 is the relay's fault: the seat waits for a resume like any dropped socket (short here).
    const { server, url } = await start({ verifier, lines, config: { resumeGraceMs: 50 } });
    const topic = studioTopic('studioerr01');
    const ticket = () => signTicket(SECRET, { studio: 'studioerr01' });
    const good = await open(url);
    const other = await open(url);
    const bad = await open(url);
    expect(await subscribe(good, topic, ticket())).toMatchObject({ type: 'subscribed' });
    expect(await subscribe(other, topic, ticket())).toMatchObject({ type: 'subscribed' });
    expect(await subscribe(bad, topic, ticket())).toMatchObject({ type: 'subscribed', clients: 3 });
    bad.ws.send(JSON.stringify({ type: 'subscribe', topics: ['studio/other'], ticket: 'boom', client: 1 }));
    expect(await bad.closed).toBe(1011);
    await until(() => server.stats().connections === 2, 'the failed connection to be released');
    expect(server.stats().topics).toBe(1);
    expect(lines.some((l) => l.includes('"event":"internal-error"'))).toBe(true);
    // The others saw it leave and still talk.
    await until(() => good.messages.some((m) => m.type === 'peer-left'), 'peer-left for the failed one');
    good.ws.send(JSON.stringify({ type: 'publish', topic, data: 1 }));
    await until(() => other.messages.some((m) => m.type === 'publish'), 'the other to get the publish');
    expect(other.messages.find((m) => m.type === 'publish')).toMatchObject({ data: 1, clients: 2 });
  });

  it('does not let a socket that ignores the 1011 close outlive the connection slot it gave back', async () => {
    const verifier: TicketVerifier = {
      verify: () => {
        throw new Error('verifier bug');
      },
    };
    const { server, port } = await start({ verifier });
    const raw = await silentPeer(port);
    const gone = new Promise<void>((r) => raw.once('close', () => r()));
    await until(() => server.stats().connections === 1, 'the connection');
    // A masked client text frame that makes the verifier throw; the peer then ignores the close.
    const payload = Buffer.from(JSON.stringify({ type: 'subscribe', topics: ['studio/x1'], ticket: 't' }));
    const mask = Buffer.from([1, 2, 3, 4]);
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
    raw.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
    await until(() => server.stats().connections === 0, 'the slot to be released');
    const started = Date.now();
    await Promise.race([
      gone,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the socket outlived its slot')), 3500)),
    ]);
    expect(Date.now() - started).toBeLessThan(3500);
  }, 10_000);

  it('lets a resume take a live seat over: the old socket closes 4002 without an error, nobody hears it', async () => {
    const { url } = await start();
    const studio = 'studioresume1';
    const topic = studioTopic(studio);
    const user = 'resumeuser01';
    const witness = await open(url);
    await subscribe(witness, topic, signTicket(SECRET, { studio }));
    const old = await open(url);
    const client = 777;
    old.ws.send(
      JSON.stringify({
        type: 'subscribe',
        topics: [topic],
        ticket: signTicket(SECRET, { studio, sub: user }),
        client,
      }),
    );
    await until(() => old.messages.some((m) => m.type === 'subscribed'), 'old to join');
    const joined = old.messages.find((m) => m.type === 'subscribed')!;
    expect(joined.resume).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await until(() => witness.messages.some((m) => m.type === 'peer-joined'), 'the witness to see old');
    const seen = witness.messages.length;

    const fresh = await open(url);
    fresh.ws.send(
      JSON.stringify({
        type: 'subscribe',
        topics: [topic],
        ticket: signTicket(SECRET, { studio, sub: user }),
        client,
        resume: { peerId: joined.self!.peerId, token: joined.resume },
      }),
    );
    expect(await old.closed).toBe(4002);
    await until(() => fresh.messages.some((m) => m.type === 'subscribed'), 'fresh to join');
    const resumed = fresh.messages.find((m) => m.type === 'subscribed')!;
    expect(resumed).toMatchObject({ self: joined.self, clients: 2, resume: joined.resume });
    expect(old.messages.filter((m) => m.type === 'error')).toEqual([]);
    // The witness reaches the seat through the new socket and heard no leave or join.
    witness.ws.send(
      JSON.stringify({ type: 'publish', topic, data: 'still there?', to: joined.self!.peerId }),
    );
    await until(() => fresh.messages.some((m) => m.type === 'publish'), 'the publish on the new socket');
    expect(witness.messages.slice(seen)).toEqual([]);
  });

  it('announces a heartbeat-terminated member at once when its silence already outlasted the grace', async () => {
    const { server, url } = await start({ heartbeatIntervalMs: 400, config: { resumeGraceMs: 600 } });
    const topic = studioTopic('studiohb1');
    const witness = await open(url);
    await subscribe(witness, topic, signTicket(SECRET, { studio: 'studiohb1' }));
    const mute = await open(url, { autoPong: false });
    await subscribe(mute, topic, signTicket(SECRET, { studio: 'studiohb1' }));
    // Terminated after > 800 ms without a pong: more than the 600 ms grace, so no grace is left.
    for (let i = 0; i < 60 && server.stats().connections === 2; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(server.stats().connections).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(witness.messages.filter((m) => m.type === 'peer-left')).toMatchObject([
      { reason: 'disconnected' },
    ]);
  });

  it('closes idempotently and refuses new upgrades once closing', async () => {
    const { server, url } = await start();
    const client = await open(url);
    const closed = new Promise<number>((resolve) => client.ws.once('close', (code) => resolve(code)));
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    expect(await closed).toBe(1001);
    await expect(open(url)).rejects.toThrow();
  });

  it("refuses a subscription beyond the ticket's maxPlayers with room-full and keeps the socket", async () => {
    const { url } = await start();
    const topic = studioTopic('studiofull01');
    const ticket = () => signTicket(SECRET, { studio: 'studiofull01', maxPlayers: 2 });
    const a = await open(url);
    const b = await open(url);
    const c = await open(url);
    expect(await subscribe(a, topic, ticket())).toMatchObject({ type: 'subscribed', topic, clients: 1 });
    expect(await subscribe(b, topic, ticket())).toMatchObject({ type: 'subscribed', topic, clients: 2 });
    expect(await subscribe(c, topic, ticket())).toEqual({
      type: 'error',
      code: ErrorCode.RoomFull,
      topic,
      message: 'This studio is full (2 players). Try again when someone leaves.',
    });
    expect(c.ws.readyState).toBe(WebSocket.OPEN);

    // A clean leave (unsubscribe, then close) frees the seat at once; a bare close would hold it
    // for the resume grace.
    b.ws.send(JSON.stringify({ type: 'unsubscribe', topics: [topic] }));
    b.ws.close();
    await until(() => b.ws.readyState === WebSocket.CLOSED, 'b to close');
    // The relay handles b's close asynchronously: retry until the seat is free.
    let reply = await subscribe(c, topic, ticket());
    for (let i = 0; i < 50 && reply.type === 'error'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      reply = await subscribe(c, topic, ticket());
    }
    expect(reply).toMatchObject({ type: 'subscribed', topic, clients: 2 });
  });

  it("uses the verifier's room limit for a ticket without maxPlayers", async () => {
    const { url } = await start({
      config: { maxVisitsPerUser: MESH_MAX_PLAYERS },
      verifier: createTicketVerifier({ secret: SECRET, roomLimit: MESH_MAX_PLAYERS }),
    });
    const topic = studioTopic('studiolegacy1');
    const legacy = () => signTicket(SECRET, { studio: 'studiolegacy1', maxPlayers: undefined });
    const replies: Msg[] = [];
    for (let i = 0; i <= MESH_MAX_PLAYERS; i++)
      replies.push(await subscribe(await open(url), topic, legacy()));
    expect(replies.slice(0, MESH_MAX_PLAYERS).map((r) => [r.type, r.clients])).toEqual(
      Array.from({ length: MESH_MAX_PLAYERS }, (_, i) => ['subscribed', i + 1]),
    );
    expect(replies.at(-1)).toMatchObject({ type: 'error', code: ErrorCode.RoomFull, topic });
  });

  it('closes a socket that does not join a studio in time (1008), but not one that did', async () => {
    const { server, url } = await start({ config: { subscribeTimeoutMs: 150 } });
    const idle = await open(url);
    const member = await open(url);
    expect(
      await subscribe(member, studioTopic('studioidle1'), signTicket(SECRET, { studio: 'studioidle1' })),
    ).toMatchObject({ type: 'subscribed' });
    expect(await idle.closed).toBe(1008);
    expect(idle.messages.at(-1)).toMatchObject({ type: 'error', code: ErrorCode.SubscribeTimeout });
    await new Promise((r) => setTimeout(r, 200));
    expect(member.ws.readyState).toBe(WebSocket.OPEN);
    expect(server.stats().connections).toBe(1);
    // Leaving the studio makes the socket idle again: it must rejoin in time or go.
    member.ws.send(JSON.stringify({ type: 'unsubscribe', topics: [studioTopic('studioidle1')] }));
    expect(await member.closed).toBe(1008);
    expect(member.messages.at(-1)).toMatchObject({ type: 'error', code: ErrorCode.SubscribeTimeout });
  });

  it('refuses connections over the per-address cap with a reason and 1013, and frees the slot on close', async () => {
    const { server, url } = await start({ config: { maxConnectionsPerIp: 2 } });
    const a = await open(url);
    await open(url);
    const over = await open(url);
    expect(await over.closed).toBe(1013);
    expect(over.messages).toEqual([
      {
        type: 'error',
        code: ErrorCode.TooManyConnections,
        message: expect.stringMatching(/too many connections/i),
      },
    ]);
    expect(server.stats().connections).toBe(2);
    a.ws.close();
    await until(() => server.stats().connections === 1, 'a to be released');
    const again = await open(url);
    await until(() => again.messages.length > 0, 'a welcome');
    expect(again.messages[0]).toMatchObject({ type: 'welcome', version: 2 });
  });

  it('answers a publish whose data nests too deeply to forward with malformed, and keeps the socket', async () => {
    const lines: string[] = [];
    const { server, url } = await start({ lines });
    const studio = 'studionest1';
    const topic = studioTopic(studio);
    const sender = await open(url);
    const other = await open(url);
    expect(await subscribe(sender, topic, signTicket(SECRET, { studio }))).toMatchObject({
      type: 'subscribed',
    });
    expect(await subscribe(other, topic, signTicket(SECRET, { studio }))).toMatchObject({
      type: 'subscribed',
    });
    // Valid JSON under the frame limit that JSON.parse takes but JSON.stringify cannot write back.
    const depth = 30_000;
    sender.ws.send(`{"type":"publish","topic":"${topic}","data":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    await until(() => sender.messages.some((m) => m.type === 'error'), 'a reply to the nested publish');
    expect(sender.messages.find((m) => m.type === 'error')).toMatchObject({ code: ErrorCode.Malformed });
    sender.ws.send(JSON.stringify({ type: 'ping' }));
    await until(() => sender.messages.some((m) => m.type === 'pong'), 'a pong');
    expect(sender.ws.readyState).toBe(WebSocket.OPEN);
    expect(server.stats().connections).toBe(2);
    expect(other.messages.filter((m) => m.type === 'publish' || m.type === 'peer-left')).toEqual([]);
    expect(lines.some((l) => l.includes('"event":"internal-error"'))).toBe(false);
  });

  it('refuses connections over the total cap', async () => {
    const { url } = await start({ config: { maxConnections: 1 } });
    await open(url);
    const over = await open(url);
    expect(await over.closed).toBe(1013);
    expect(over.messages[0]).toMatchObject({ code: ErrorCode.TooManyConnections });
  });
});
