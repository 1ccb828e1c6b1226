/**
 * The production recipe (docs/production.md), started for real on free loopback ports by the code
 * behind `npm run start:https`: nginx terminating TLS with a self-signed certificate for ONE origin
 * (the app and API from PocketBase at /, the relay's WebSocket at /signal), coturn answering TURN over
 * TLS with the same certificate, and a PocketBase backup restored over that origin. Clients trust the
 * certificate explicitly; nothing skips verification. Players are told apart by their loopback source
 * address (127.0.0.2, 127.0.0.3), which only the proxy's X-Forwarded-For carries on.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startHttpsStack } from '../../scripts/lib/https-stack.mjs';
import { POCKETBASE_BINARY } from '../support/pocketbase';
import { freePort } from '../support/ports';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown>;
}

let stack: Awaited<ReturnType<typeof startHttpsStack>>;
let dataDir: string;
let ca: Buffer;
let httpsPort: number;

/** One HTTPS request that trusts only the recipe's certificate. */
function call(
  path: string,
  options: {
    method?: string;
    body?: unknown;
    token?: string;
    from?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${stack.url}${path}`,
      {
        method: options.method ?? 'GET',
        ca,
        ...(options.from ? { localAddress: options.from } : {}),
        headers: {
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...(options.token ? { authorization: options.token } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => {
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // HTML or empty: callers read `text`.
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function signUp(name: string): Promise<{ token: string; id: string }> {
  const email = `${name.toLowerCase()}-${randomBytes(4).toString('hex')}@bandmesh.test`;
  const password = 'correct-horse-battery';
  const created = await call('/api/collections/users/records', {
    method: 'POST',
    body: { email, password, passwordConfirm: password, name },
  });
  expect(created.status).toBe(200);
  const auth = await call('/api/collections/users/auth-with-password', {
    method: 'POST',
    body: { identity: email, password },
  });
  expect(auth.status).toBe(200);
  return { token: auth.json.token as string, id: created.json.id as string };
}

/** Opens a wss socket through nginx and resolves with the relay's first message, or the refusal. */
function firstRelayMessage(
  options: { origin?: string; from?: string } = {},
): Promise<{ type?: string; code?: string; socket: WebSocket }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(stack.relayUrl, {
      ca,
      origin: options.origin ?? stack.url,
      ...(options.from ? { localAddress: options.from } : {}),
    });
    socket.once('message', (data) =>
      resolve({ ...(JSON.parse(String(data)) as { type: string; code?: string }), socket }),
    );
    socket.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)),
    );
    socket.once('error', reject);
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'bandmesh-https-'));
  httpsPort = await freePort();
  stack = await startHttpsStack({
    httpsPort,
    httpPort: await freePort(),
    relayPort: await freePort(),
    dataDir,
    quiet: true,
    // Small budgets so the per-player checks below stay short.
    env: {
      BANDMESH_RATE_LIMIT_RULES: 'join=2/60',
      BANDMESH_RELAY_MAX_CONNECTIONS_PER_IP: '1',
      // Players sign up over REST and create studios at once (mail has its own suites).
      BANDMESH_REQUIRE_VERIFIED: 'false',
    },
  });
  ca = readFileSync(stack.cert);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('one HTTPS origin', () => {
  it('serves the app with HSTS and a CSP that lets it reach the relay over wss on the same origin', async () => {
    const page = await call('/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<html');
    expect(page.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(page.headers['content-security-policy']).toContain(
      `connect-src 'self' wss://127.0.0.1:${httpsPort}`,
    );
    expect((await call('/api/health')).status).toBe(200);
  });

  it('is refused to a client that does not trust the certificate', async () => {
    await expect(
      new Promise((resolve, reject) => request(`${stack.url}/api/health`, resolve).on('error', reject).end()),
    ).rejects.toThrow(/self[- ]signed/i);
  });

  it('hands out tickets naming the wss relay on this origin and turns: servers, and the relay answers there', async () => {
    const owner = await signUp('Owner');
    const studio = await call('/api/collections/studios/records', {
      method: 'POST',
      token: owner.token,
      body: { name: 'Over TLS', slug: 'over-tls', owner: owner.id, visibility: 'public' },
    });
    expect(studio.status).toBe(200);
    const ticket = await call('/api/bandmesh/studios/over-tls/ticket', {
      method: 'POST',
      token: owner.token,
    });
    expect(ticket.status).toBe(200);
    expect(ticket.json.relayUrl).toBe(`wss://127.0.0.1:${httpsPort}/signal`);
    const urls = (ticket.json.iceServers as { urls: string[] }[]).flatMap((s) => s.urls);
    expect(urls.some((u) => /^turns:127\.0\.0\.1:\d+\?transport=tcp$/.test(u))).toBe(true);

    const { type, socket } = await firstRelayMessage({ from: '127.0.0.2' });
    expect(type).toBe('welcome');
    socket.close();
    await expect(firstRelayMessage({ origin: 'https://evil.example' })).rejects.toThrow(/HTTP 403/);
  });

  it('keeps relay connection caps per player behind the proxy', async () => {
    const first = await firstRelayMessage({ from: '127.0.0.4' });
    expect(first.type).toBe('welcome');
    const second = await firstRelayMessage({ from: '127.0.0.4' });
    expect(second).toMatchObject({ type: 'error', code: 'too-many-connections' });
    const other = await firstRelayMessage({ from: '127.0.0.5' });
    expect(other.type).toBe('welcome');
    for (const s of [first, second, other]) s.socket.close();
  });

  it('keeps PocketBase rate limits per player behind the proxy, whatever X-Forwarded-For a client sends', async () => {
    const join = (from: string, headers: Record<string, string> = {}) =>
      call('/api/bandmesh/studios/x/join', { method: 'POST', from, headers });
    expect((await join('127.0.0.6')).status).toBe(401);
    expect((await join('127.0.0.6')).status).toBe(401);
    expect((await join('127.0.0.6', { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
    expect((await join('127.0.0.7')).status).toBe(401);
  });
});

describe('TURN over TLS', () => {
  /** Sends one STUN message over TLS to the turns: port and resolves with the first whole reply. */
  function overTls(message: Buffer): Promise<Buffer> {
    const turns = stack.turnUrls.find((u: string) => u.startsWith('turns:'));
    const port = Number(/:(\d+)\?/.exec(turns ?? '')?.[1]);
    return new Promise<Buffer>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () =>
        socket.write(message),
      );
      let data = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        if (data.length >= 20 && data.length >= 20 + data.readUInt16BE(2)) {
          socket.end();
          resolve(data);
        }
      });
      socket.on('error', reject);
    });
  }

  const stun = (type: number, id: Buffer, attributes: Buffer = Buffer.alloc(0)): Buffer => {
    const header = Buffer.from([0, 0, 0, 0, 0x21, 0x12, 0xa4, 0x42]);
    header.writeUInt16BE(type, 0);
    header.writeUInt16BE(attributes.length, 2);
    return Buffer.concat([header, id, attributes]);
  };

  it('answers a STUN binding request on the turns: port, with the same certificate', async () => {
    const id = randomBytes(12);
    const reply = await overTls(stun(0x0001, id));
    expect(reply.readUInt16BE(0)).toBe(0x0101); // Binding success
    expect(reply.subarray(8, 20).equals(id)).toBe(true);
  });

  it('asks for credentials before it allocates over TLS (401), like on plain TURN', async () => {
    // REQUESTED-TRANSPORT (0x0019): UDP.
    const reply = await overTls(stun(0x0003, randomBytes(12), Buffer.from([0, 0x19, 0, 4, 17, 0, 0, 0])));
    expect(reply.readUInt16BE(0)).toBe(0x0113); // Allocate error response
    let code = 0;
    for (let at = 20; at + 4 <= reply.length;) {
      const type = reply.readUInt16BE(at);
      const length = reply.readUInt16BE(at + 2);
      if (type === 0x0009) code = (reply[at + 6]! & 7) * 100 + reply[at + 7]!; // ERROR-CODE
      at += 4 + Math.ceil(length / 4) * 4;
    }
    expect(code).toBe(401);
  });
});

describe('backups', () => {
  it('restores a backup taken through the HTTPS origin: the changed record is back as it was', async () => {
    const email = 'root@bandmesh.test';
    const password = 'superuser-password-123';
    const upsert = spawnSync(
      POCKETBASE_BINARY,
      ['superuser', 'upsert', email, password, `--dir=${dataDir}`],
      {
        encoding: 'utf8',
      },
    );
    expect(upsert.status, upsert.stderr).toBe(0);
    const login = async () =>
      (
        await call('/api/collections/_superusers/auth-with-password', {
          method: 'POST',
          body: { identity: email, password },
        })
      ).json.token as string;
    const su = await login();
    const owner = await signUp('Archivist');
    const created = await call('/api/collections/studios/records', {
      method: 'POST',
      token: owner.token,
      body: { name: 'Original name', slug: 'kept-safe', owner: owner.id },
    });
    const path = `/api/collections/studios/records/${created.json.id as string}`;

    expect(
      (await call('/api/backups', { method: 'POST', token: su, body: { name: 'before_change.zip' } })).status,
    ).toBe(204);
    const list = await call('/api/backups', { token: su });
    expect(JSON.parse(list.text)).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: 'before_change.zip' })]),
    );
    expect(
      (await call(path, { method: 'PATCH', token: owner.token, body: { name: 'Changed name' } })).json.name,
    ).toBe('Changed name');
    // A player cannot take or restore backups.
    expect(
      (await call('/api/backups/before_change.zip/restore', { method: 'POST', token: owner.token })).status,
    ).toBe(403);

    expect((await call('/api/backups/before_change.zip/restore', { method: 'POST', token: su })).status).toBe(
      204,
    );
    // PocketBase restarts itself in place (same process) on the restored data; wait until it serves again.
    const deadline = Date.now() + 30_000;
    let name: unknown;
    while (Date.now() < deadline) {
      const answer = await call(path, { token: owner.token }).catch(() => null);
      if (answer?.status === 200) {
        name = answer.json.name;
        if (name === 'Original name') break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(name).toBe('Original name');
  });
});
