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
  maxTopicsPerConnection: 4,
  allowedOrigins: null,
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
  options: { verifier?: TicketVerifier; heartbeatIntervalMs?: number; lines?: string[] } = {},
) {
  const server = createRelayServer({
    config,
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

function open(url: string): Promise<{ ws: WebSocket; messages: unknown[] }> {
  const ws = new WebSocket(url);
  sockets.push(ws);
  const messages: unknown[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('error', reject);
  });
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
    const { server, url } = await start({ verifier, lines });
    const topic = studioTopic('studioerr01');
    const good = await open(url);
    good.ws.send(
      JSON.stringify({
        type: 'subscribe',
        topics: [topic],
        ticket: signTicket(SECRET, { studio: 'studioerr01' }),
      }),
    );
    await until(
      () => good.messages.some((m) => (m as { type: string }).type === 'subscribed'),
      'good to subscribe',
    );
    const bad = await open(url);
    bad.ws.send(
      JSON.stringify({
        type: 'subscribe',
        topics: [topic],
        ticket: signTicket(SECRET, { studio: 'studioerr01' }),
      }),
    );
    await until(
      () => bad.messages.some((m) => (m as { type: string }).type === 'subscribed'),
      'bad to subscribe',
    );
    const closed = new Promise<number>((resolve) => bad.ws.once('close', (code) => resolve(code)));
    bad.ws.send(JSON.stringify({ type: 'subscribe', topics: ['studio/other'], ticket: 'boom' }));
    expect(await closed).toBe(1011);
    await until(() => server.stats().connections === 1, 'the failed connection to be released');
    expect(server.stats().topics).toBe(1);
    expect(lines.some((l) => l.includes('"event":"internal-error"'))).toBe(true);

    good.ws.send(JSON.stringify({ type: 'publish', topic, data: 1 }));
    await until(
      () => good.messages.some((m) => (m as { type: string; clients?: number }).type === 'publish'),
      'the good client to get its publish',
    );
    expect(good.messages.at(-1)).toEqual({ type: 'publish', topic, data: 1, clients: 1 });
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
    const ticket = signTicket(SECRET, { studio: 'studiofull01', maxPlayers: 2 });
    type Msg = { type: string; code?: string; topic?: string; clients?: number; message?: string };
    const subscribe = async (client: { ws: WebSocket; messages: unknown[] }, t = ticket) => {
      const before = client.messages.length;
      client.ws.send(JSON.stringify({ type: 'subscribe', topics: [topic], ticket: t }));
      await until(() => client.messages.length > before, 'a reply to subscribe');
      return client.messages.at(-1) as Msg;
    };

    const a = await open(url);
    const b = await open(url);
    const c = await open(url);
    expect(await subscribe(a)).toEqual({ type: 'subscribed', topic, clients: 1 });
    expect(await subscribe(b)).toEqual({ type: 'subscribed', topic, clients: 2 });
    expect(await subscribe(c)).toEqual({
      type: 'error',
      code: ErrorCode.RoomFull,
      topic,
      message: 'This studio is full (2 players). Try again when someone leaves.',
    });
    // Subscribing again to a held topic is a re-ack, not a third player.
    expect(await subscribe(b)).toEqual({ type: 'subscribed', topic, clients: 2 });
    expect(c.ws.readyState).toBe(WebSocket.OPEN);

    b.ws.close();
    await until(() => b.ws.readyState === WebSocket.CLOSED, 'b to close');
    // The relay handles b's close asynchronously: retry until the seat is free.
    let reply = await subscribe(c);
    for (let i = 0; i < 50 && reply.type === 'error'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      reply = await subscribe(c);
    }
    expect(reply).toEqual({ type: 'subscribed', topic, clients: 2 });
  });

  it('uses the mesh limit for a ticket without maxPlayers', async () => {
    const { url } = await start();
    const topic = studioTopic('studiolegacy1');
    const legacy = signTicket(SECRET, { studio: 'studiolegacy1', maxPlayers: undefined });
    const replies: unknown[] = [];
    for (let i = 0; i <= MESH_MAX_PLAYERS; i++) {
      const client = await open(url);
      client.ws.send(JSON.stringify({ type: 'subscribe', topics: [topic], ticket: legacy }));
      await until(() => client.messages.length > 1, 'a reply to subscribe');
      replies.push(client.messages.at(-1));
    }
    expect(replies.slice(0, MESH_MAX_PLAYERS)).toEqual(
      Array.from({ length: MESH_MAX_PLAYERS }, (_, i) => ({ type: 'subscribed', topic, clients: i + 1 })),
    );
    expect(replies.at(-1)).toMatchObject({ type: 'error', code: ErrorCode.RoomFull, topic });
  });
});
