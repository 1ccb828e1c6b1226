/**
 * The relay as a process: configuration errors, the secret file PocketBase writes late, port 0,
 * and graceful shutdown on signals. Needs `npm run build:relay`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SignalingClose } from '../../src/lib/protocol/signaling';
import { studioTopic } from '../../src/lib/protocol/ticket';
import { RELAY_ENTRY, runRelayToExit, startRelay, TestClient } from '../support/relay';
import { signTicket, TEST_TICKET_SECRET } from '../support/tickets';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-process-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('relay configuration', () => {
  it.each([
    [{ BANDMESH_TICKET_SECRET: TEST_TICKET_SECRET, BANDMESH_RELAY_PORT: 'eighty' }, 'BANDMESH_RELAY_PORT'],
    [{}, 'BANDMESH_TICKET_SECRET'],
    [{ BANDMESH_TICKET_SECRET: 'short' }, 'at least 32'],
    [
      { BANDMESH_TICKET_SECRET: TEST_TICKET_SECRET, BANDMESH_RELAY_MAX_MESSAGES_PER_SECOND: '-5' },
      'BANDMESH_RELAY_MAX_MESSAGES_PER_SECOND',
    ],
    [{ BANDMESH_TICKET_SECRET: TEST_TICKET_SECRET, BANDMESH_RELAY_ALLOWED_ORIGINS: 'nope' }, 'https://'],
    [
      { BANDMESH_TICKET_SECRET: TEST_TICKET_SECRET, BANDMESH_RELAY_MAX_CONNECTIONS_PER_IP: '0' },
      'BANDMESH_RELAY_MAX_CONNECTIONS_PER_IP',
    ],
    [
      { BANDMESH_TICKET_SECRET: TEST_TICKET_SECRET, BANDMESH_RELAY_SUBSCRIBE_TIMEOUT_MS: '5s' },
      'BANDMESH_RELAY_SUBSCRIBE_TIMEOUT_MS',
    ],
  ])('exits 2 with a readable message for %j', async (env, expected) => {
    const { code, output } = await runRelayToExit({ BANDMESH_RELAY_PORT: '0', ...env });
    expect(code).toBe(2);
    expect(output).toContain('invalid configuration');
    expect(output).toContain(expected);
    expect(output).not.toContain('at file://'); // no stack trace
  });

  it('waits for a secret file that PocketBase writes after the relay started', async () => {
    const file = join(dir, 'bandmesh-ticket.secret');
    const writer = setTimeout(() => void writeFile(file, `${TEST_TICKET_SECRET}\n`), 700);
    const relay = await startRelay({ ticketSecretFile: file });
    try {
      const client = await TestClient.connect(relay.wsUrl);
      const topic = studioTopic('studiofile01');
      const ack = await client.subscribe(topic, signTicket(TEST_TICKET_SECRET, { studio: 'studiofile01' }));
      expect(ack).toMatchObject({ type: 'subscribed', topic });
      await client.close();
    } finally {
      clearTimeout(writer);
      expect(await relay.stop()).toBe(0);
    }
  });

  it('with port 0 picks a free port and prints it', async () => {
    const child = spawn(process.execPath, [RELAY_ENTRY], {
      env: {
        PATH: process.env.PATH ?? '',
        BANDMESH_RELAY_PORT: '0',
        BANDMESH_TICKET_SECRET: TEST_TICKET_SECRET,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let text = '';
        const timer = setTimeout(() => reject(new Error(`no listening line: ${text}`)), 15_000);
        child.stdout.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
          const match = /"event":"listening".*?"port":(\d+)/.exec(text);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        });
      });
      expect(port).toBeGreaterThan(0);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(await health.json()).toMatchObject({ ok: true, connections: 0, topics: 0 });
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});

/** Completes a WebSocket upgrade by hand and then never answers anything: a stuck client. */
async function stuckClient(wsUrl: string): Promise<Socket> {
  const url = new URL(wsUrl);
  const socket = tcpConnect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(
        `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    socket.once('data', (chunk: Buffer) =>
      chunk.toString('latin1').startsWith('HTTP/1.1 101') ? resolve() : reject(new Error('upgrade failed')),
    );
  });
  socket.on('error', () => undefined);
  return socket;
}

describe('relay shutdown', () => {
  it('on SIGTERM closes every client with 1001 and exits 0', async () => {
    const relay = await startRelay({});
    const topic = studioTopic('studiostop01');
    const clients = await Promise.all([TestClient.connect(relay.wsUrl), TestClient.connect(relay.wsUrl)]);
    for (const client of clients) {
      await client.subscribe(topic, signTicket(TEST_TICKET_SECRET, { studio: 'studiostop01' }));
    }
    expect(await relay.stop('SIGTERM')).toBe(0);
    for (const client of clients) {
      expect(await client.closed).toEqual({ code: SignalingClose.GoingAway, reason: 'relay shutting down' });
    }
    expect(relay.output()).toContain('"event":"stopped"');
    // stop() is idempotent.
    expect(await relay.stop()).toBe(0);
  });

  it('on SIGINT also exits 0, even with a client that never completes the close handshake', async () => {
    const relay = await startRelay({});
    const stuck = await stuckClient(relay.wsUrl);
    try {
      expect(await relay.stop('SIGINT')).toBe(0);
    } finally {
      stuck.destroy();
    }
  });

  it('exits at once on a second signal during shutdown', async () => {
    const relay = await startRelay({});
    const stuck = await stuckClient(relay.wsUrl);
    try {
      const first = relay.stop('SIGTERM');
      await waitFor(() => relay.output().includes('"event":"shutting-down"'));
      process.kill(relay.pid, 'SIGINT');
      expect(await first).toBe(130);
    } finally {
      stuck.destroy();
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(condition()).toBe(true);
}
