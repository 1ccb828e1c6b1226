import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createQueryVerifier, relayQueryHeaders } from '../control/query-auth.js';
import { createHttpHandler } from './http-health.js';

const SECRET = 'query-secret-0123456789abcdef0123456789';
const NOW = 1_800_000_000;

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function start(): Promise<string> {
  const handler = createHttpHandler({
    stats: () => ({ connections: 3, topics: 1 }),
    load: () => ({
      relayId: 'r1',
      rooms: 1,
      peers: 3,
      sfuPeers: 0,
      elu: 0,
      forwarded: 0,
      bundles: 0,
      dropped: {},
    }),
    roomPeers: (studio) => (studio === 'band1' ? 3 : null),
    allRooms: () => ({ band1: 3 }),
    verify: createQueryVerifier(SECRET, () => NOW),
  });
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the relay HTTP surface', () => {
  it('answers /load and /rooms/<id> to a signed request', async () => {
    const base = await start();
    const load = await get(`${base}/load`, relayQueryHeaders(SECRET, 'GET', '/load', NOW));
    expect(load).toMatchObject({ status: 200, body: { ok: true, relayId: 'r1', peers: 3 } });
    const room = await get(`${base}/rooms/band1`, relayQueryHeaders(SECRET, 'GET', '/rooms/band1', NOW));
    expect(room).toEqual({ status: 200, body: { live: true, peers: 3 } });
    const all = await get(`${base}/rooms`, relayQueryHeaders(SECRET, 'GET', '/rooms', NOW));
    expect(all).toEqual({ status: 200, body: { ok: true, rooms: { band1: 3 } } });
    // The query string is not part of what is signed, and changes nothing.
    const query = await get(`${base}/load?x=1`, relayQueryHeaders(SECRET, 'GET', '/load', NOW - 59));
    expect(query.status).toBe(200);
  });

  it('refuses unsigned, badly signed, re-targeted and stale queries with 401', async () => {
    const base = await start();
    const refused = async (path: string, headers: Record<string, string>, error: string) => {
      const answer = await get(`${base}${path}`, headers);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ ok: false, error });
      expect(answer.body).not.toHaveProperty('live');
      expect(answer.body).not.toHaveProperty('peers');
    };
    await refused('/rooms/band1', {}, 'bad-signature');
    await refused('/rooms', {}, 'bad-signature');
    await refused('/rooms', relayQueryHeaders(SECRET, 'GET', '/load', NOW), 'bad-signature');
    await refused('/load', {}, 'bad-signature');
    await refused(
      '/rooms/band1',
      relayQueryHeaders('another-secret-0123456789abcdef', 'GET', '/rooms/band1', NOW),
      'bad-signature',
    );
    // A signature for one path does not open another.
    await refused('/rooms/band1', relayQueryHeaders(SECRET, 'GET', '/rooms/other', NOW), 'bad-signature');
    await refused('/rooms/band1', relayQueryHeaders(SECRET, 'GET', '/load', NOW), 'bad-signature');
    // The time is signed: changing it breaks the signature.
    const headers = relayQueryHeaders(SECRET, 'GET', '/load', NOW);
    await refused('/load', { ...headers, 'x-bandmesh-time': String(NOW + 1) }, 'bad-signature');
    await refused('/load', { ...headers, authorization: 'Bandmesh-HMAC zz' }, 'bad-signature');
    await refused('/load', { authorization: headers.authorization! }, 'bad-signature');
    // Correctly signed but older (or newer) than 60 s.
    await refused('/load', relayQueryHeaders(SECRET, 'GET', '/load', NOW - 61), 'stale');
    await refused('/load', relayQueryHeaders(SECRET, 'GET', '/load', NOW + 61), 'stale');
  });

  it('signs as PocketBase does (the vector of placement_test.go)', () => {
    expect(relayQueryHeaders(SECRET, 'GET', '/rooms/band1', NOW)).toEqual({
      'x-bandmesh-time': '1800000000',
      authorization: 'Bandmesh-HMAC af0a34f1186e0a647d378e51cf787a9a010eb62f14ddefe970b9ef956f9a387d',
    });
  });

  it('keeps /healthz public and 404s the rest', async () => {
    const base = await start();
    expect(await get(`${base}/healthz`)).toMatchObject({
      status: 200,
      body: { ok: true, connections: 3, topics: 1 },
    });
    expect((await get(`${base}/nope`)).status).toBe(404);
  });
});
