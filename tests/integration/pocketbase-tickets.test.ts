import { createHmac, timingSafeEqual } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStudioTicket } from '../../src/lib/pb/client';
import {
  ROOM_MAX_PLAYERS,
  TICKET_AUDIENCE,
  TICKET_MAX_TTL_SECONDS,
  TICKET_VERSION,
  type TicketClaims,
} from '../../src/lib/protocol/ticket';
import {
  runPocketBaseToExit,
  signUp,
  startPocketBase,
  type RunningPocketBase,
  type TestUser,
} from '../support/pocketbase';

/** Verifies a compact HS256 JWT the way the relay must, independently of PocketBase's code. */
function verifyHs256(token: string, secret: string): { header: unknown; claims: TicketClaims } {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) throw new Error('not a compact JWT');
  const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${header}.${payload}`).digest();
  const actual = Buffer.from(signature, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
    throw new Error('bad signature');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')),
    claims: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TicketClaims,
  };
}

// Public: the studio keeps the readable slug these tests ask for (unlisted/private get a random ending).
async function ownerWithStudio(url: string, slug: string): Promise<{ owner: TestUser; studioId: string }> {
  const owner = await signUp(url, 'Owner');
  const studio = await owner.pb
    .collection('studios')
    .create({ name: 'Tickets', slug, owner: owner.id, visibility: 'public' });
  return { owner, studioId: studio.id };
}

describe('tickets with the generated data-dir secret', () => {
  let server: RunningPocketBase;

  beforeAll(async () => {
    server = await startPocketBase({ relayUrl: 'wss://relay.bandmesh.test/signal' });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('writes a 32-byte hex secret file readable only by its owner', () => {
    expect(server.ticketSecret).toMatch(/^[0-9a-f]{64}$/);
    const mode = statSync(join(server.dataDir, 'bandmesh-ticket.secret')).mode & 0o777;
    expect(mode).toBe(0o600);
  });

  it('signs HS256 tickets with exactly the protocol claims', async () => {
    const { owner, studioId } = await ownerWithStudio(server.url, 'ticket-claims');
    const before = Math.floor(Date.now() / 1000);
    const response = await fetchStudioTicket(owner.pb, 'ticket-claims');

    expect(Object.keys(response).sort()).toEqual(
      ['expiresAt', 'iceServers', 'maxPlayers', 'rec', 'relayUrl', 'role', 'studioId', 'ticket'].sort(),
    );
    expect(response.relayUrl).toBe('wss://relay.bandmesh.test/signal');
    expect(response.iceServers).toEqual([]);

    const { header, claims } = verifyHs256(response.ticket, server.ticketSecret);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(Object.keys(claims)).toEqual([
      'v',
      'aud',
      'sub',
      'studio',
      'slug',
      'role',
      'jti',
      'name',
      'instrument',
      'maxPlayers',
      // A new studio lets everyone record: the owner's ticket says so.
      'rec',
      'iat',
      'exp',
    ]);
    expect(claims).toMatchObject({
      v: TICKET_VERSION,
      aud: TICKET_AUDIENCE,
      sub: owner.id,
      studio: studioId,
      slug: 'ticket-claims',
      role: 'owner',
      name: 'Owner',
      instrument: '',
      maxPlayers: ROOM_MAX_PLAYERS,
      rec: true,
    });
    expect(response.rec).toBe(true);
    expect(TICKET_VERSION).toBe(2);
    expect(Buffer.from(claims.jti, 'base64url')).toHaveLength(16);
    expect(claims.iat).toBeGreaterThanOrEqual(before - 1);
    expect(claims.exp - claims.iat).toBe(300);
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(TICKET_MAX_TTL_SECONDS);
    expect(response.expiresAt).toBe(claims.exp);
    expect(response.studioId).toBe(studioId);
    expect(response.maxPlayers).toBe(claims.maxPlayers);

    expect(() => verifyHs256(response.ticket, 'x'.repeat(64))).toThrow('bad signature');
  });

  it('is not cached', async () => {
    const { owner } = await ownerWithStudio(server.url, 'ticket-cache');
    const response = await fetch(`${server.url}/api/bandmesh/studios/ticket-cache/ticket`, {
      method: 'POST',
      headers: { authorization: owner.pb.authStore.token },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });
});

describe('tickets with an env secret and TURN', () => {
  const secret = 'env-secret-for-tickets-0123456789abcdef';
  let server: RunningPocketBase;

  beforeAll(async () => {
    server = await startPocketBase({
      env: {
        BANDMESH_TICKET_SECRET: secret,
        BANDMESH_TURN_URLS: 'turn:turn.bandmesh.test:3478?transport=udp,turns:turn.bandmesh.test:5349',
        BANDMESH_TURN_SECRET: 'coturn-static-auth-secret',
        BANDMESH_TURN_TTL_SECONDS: '600',
      },
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('signs with BANDMESH_TICKET_SECRET and hands out TURN REST credentials', async () => {
    expect(server.ticketSecret).toBe(secret);
    const { owner } = await ownerWithStudio(server.url, 'ticket-turn');
    const now = Math.floor(Date.now() / 1000);
    const response = await fetchStudioTicket(owner.pb, 'ticket-turn');
    expect(verifyHs256(response.ticket, secret).claims.sub).toBe(owner.id);

    expect(response.iceServers).toHaveLength(1);
    const [server0] = response.iceServers;
    expect(server0?.urls).toEqual([
      'turn:turn.bandmesh.test:3478?transport=udp',
      'turns:turn.bandmesh.test:5349',
    ]);
    const [expiry, user] = (server0?.username ?? '').split(':');
    expect(user).toBe(owner.id);
    expect(Number(expiry) - now).toBeGreaterThanOrEqual(599);
    expect(Number(expiry) - now).toBeLessThanOrEqual(601);
    const expected = createHmac('sha1', 'coturn-static-auth-secret')
      .update(server0?.username ?? '')
      .digest('base64');
    expect(server0?.credential).toBe(expected);
  });
});

describe('configuration errors', () => {
  it('refuses to start with only half of the TURN settings', () => {
    const urlsOnly = runPocketBaseToExit(['serve', '--http=127.0.0.1:0', '--dir=/nonexistent-bandmesh'], {
      BANDMESH_TURN_URLS: 'turn:turn.bandmesh.test:3478',
    });
    expect(urlsOnly.code).not.toBe(0);
    expect(urlsOnly.output).toContain('BANDMESH_TURN_SECRET');

    const secretOnly = runPocketBaseToExit(['serve', '--http=127.0.0.1:0', '--dir=/nonexistent-bandmesh'], {
      BANDMESH_TURN_SECRET: 'x',
    });
    expect(secretOnly.code).not.toBe(0);
    expect(secretOnly.output).toContain('BANDMESH_TURN_URLS');
  });

  it('refuses a relay control URL that is not http(s), naming the variable', () => {
    const result = runPocketBaseToExit(['serve', '--http=127.0.0.1:0', '--dir=/nonexistent-bandmesh'], {
      BANDMESH_RELAY_CONTROL_URL: 'ws://127.0.0.1:8091/control',
    });
    expect(result.code).toBe(2);
    expect(result.output).toContain('BANDMESH_RELAY_CONTROL_URL="ws://127.0.0.1:8091/control"');
    expect(result.output).toContain('must start with http:// or https://');
  });

  it('refuses a short ticket secret', async () => {
    await expect(startPocketBase({ env: { BANDMESH_TICKET_SECRET: 'too-short' } })).rejects.toThrow(
      /at least 32/,
    );
  });
});
