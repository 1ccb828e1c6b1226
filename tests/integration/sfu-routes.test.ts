/**
 * Room modes and admission on the real relay process with the SFU: `room-route` flips to the SFU past
 * the mesh limit and back with hysteresis, follows route requests and the `room-mode` control
 * message, source indexes are never reused at once, the room limit refuses with `room-full`, `/load`
 * and `/rooms/<id>` report counts, and a relay without the SFU keeps rooms on the mesh.
 * Needs `npm run build:relay`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { relayQueryHeaders } from '../../relay/src/control/query-auth';
import { ErrorCode } from '../../src/lib/protocol/errors';
import { signTicket, TEST_TICKET_SECRET } from '../support/tickets';
import { startRelay, studioSequence, TestClient, type RunningRelay } from '../support/relay';
import { relayQuery } from '../support/relay-query';
import { forceRoomMode, SfuPlayer } from '../support/sfu-player';

/** Mesh limit 2 (hysteresis 1: back to the mesh at 1 player), room limit 4. */
const ENV = { BANDMESH_MESH_LIMIT: '2', BANDMESH_ROOM_LIMIT: '4', BANDMESH_SFU_HOST: '127.0.0.1' };

let relay: RunningRelay;
const opened: { close(): Promise<unknown> }[] = [];
let STUDIO = '';
const nextStudio = studioSequence('sfuroute');
beforeEach(() => ({ studio: STUDIO } = nextStudio()));

async function player(wsUrl = relay.wsUrl, studio = STUDIO): Promise<SfuPlayer> {
  const p = await SfuPlayer.join({ wsUrl, studio });
  opened.push(p);
  return p;
}

/** A signed GET of the relay's `path` (`/load`, `/rooms/<id>`), expecting 200. */
async function getJson(path: string): Promise<Record<string, unknown>> {
  const response = await relayQuery(relay, path);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  relay = await startRelay({ env: ENV });
});
afterAll(async () => {
  await Promise.all(opened.map((p) => p.close()));
  expect(await relay?.stop()).toBe(0);
});

describe('room-route', () => {
  it('moves to the SFU past the mesh limit and back only below it by the hysteresis', async () => {
    const a = await player();
    expect(await a.routeWhere(() => true)).toMatchObject({ mode: 'mesh', sources: [{ peerId: a.peerId }] });
    const b = await player();
    await a.routeWhere((r) => r.sources.length === 2 && r.mode === 'mesh');
    const c = await player();
    for (const p of [a, b, c]) await p.routeWhere((r) => r.sources.length === 3 && r.mode === 'sfu');

    await c.close();
    const atTwo = await a.routeWhere((r) => r.sources.length === 2);
    expect(atTwo.mode).toBe('sfu');
    await b.close();
    expect(await a.routeWhere((r) => r.sources.length === 1)).toMatchObject({ mode: 'mesh' });

    const d = await player();
    expect(await d.routeWhere(() => true)).toMatchObject({ mode: 'mesh' });
    // Indexes of peers that left are not handed out again at once.
    expect(d.sourceIndex).toBe(3);
    expect(a.sourceIndex).toBe(0);
  });

  it('follows route-request: one unreachable player moves the room; it returns when that stands no more', async () => {
    const a = await player();
    const b = await player();
    await b.routeWhere((r) => r.sources.length === 2);
    a.routeRequest(true);
    await b.routeWhere((r) => r.mode === 'sfu');
    // Alone with its request standing, a stays on the SFU; withdrawn, the room is back on the mesh.
    await b.close();
    expect(await a.routeWhere((r) => r.sources.length === 1)).toMatchObject({ mode: 'sfu' });
    a.routeRequest(false);
    await a.routeWhere((r) => r.mode === 'mesh' && r.sources.length === 1);
  });

  it("forces a live room's mode with the signed room-mode control message", async () => {
    const a = await player();
    await a.routeWhere(() => true);
    const forced = await forceRoomMode(relay.httpUrl, TEST_TICKET_SECRET, STUDIO, 'sfu');
    expect(forced).toEqual({ status: 200, body: { ok: true, affected: 1 } });
    await a.routeWhere((r) => r.mode === 'sfu');
    // Forced to the mesh, even past the mesh limit.
    await forceRoomMode(relay.httpUrl, TEST_TICKET_SECRET, STUDIO, 'mesh');
    await a.routeWhere((r) => r.mode === 'mesh');
    await player();
    const c = await player();
    expect((await c.routeWhere((r) => r.sources.length === 3)).mode).toBe('mesh');
    await forceRoomMode(relay.httpUrl, TEST_TICKET_SECRET, STUDIO, 'auto');
    await c.routeWhere((r) => r.mode === 'sfu');

    // Not a live room: nothing to do. A bad signature changes nothing.
    expect((await forceRoomMode(relay.httpUrl, TEST_TICKET_SECRET, 'nosuchroom', 'sfu')).body).toEqual({
      ok: true,
      affected: 0,
    });
    expect((await forceRoomMode(relay.httpUrl, 'wrong-secret', STUDIO, 'mesh')).status).toBe(401);
  });

  it('refuses a player beyond the room limit with room-full', async () => {
    for (let i = 0; i < 4; i++) await player();
    const fifth = await TestClient.connect(relay.wsUrl);
    opened.push(fifth);
    const reply = await fifth.subscribe(
      `studio/${STUDIO}`,
      signTicket(TEST_TICKET_SECRET, { studio: STUDIO, maxPlayers: 6 }),
    );
    expect(reply).toMatchObject({
      type: 'error',
      code: ErrorCode.RoomFull,
      message: 'This studio is full (4 players). Try again when someone leaves.',
    });
  });

  it('answers SFU requests of a socket without a seat with not-subscribed', async () => {
    const a = await player();
    const stranger = await TestClient.connect(relay.wsUrl);
    opened.push(stranger);
    stranger.send({ type: 'route-request', topic: `studio/${STUDIO}`, unreachable: true });
    expect(await stranger.next((m) => m.type === 'error')).toMatchObject({ code: ErrorCode.NotSubscribed });
    await a.client.settled();
    expect(a.routes).toHaveLength(1);
  });
});

describe('GET /load and /rooms/<id>', () => {
  it('counts rooms, peers and SFU peers, and says where a room is live', async () => {
    const a = await player();
    const b = await player();
    await a.connectSfu();
    await b.connectSfu();
    const load = await getJson('/load');
    expect(load).toMatchObject({ ok: true, relayId: 'relay-1', forwarded: expect.any(Number) });
    expect(load.sfuPeers).toBeGreaterThanOrEqual(2);
    expect(load.peers).toBeGreaterThanOrEqual(2);
    expect(load.elu).toBeGreaterThanOrEqual(0);
    expect(load.elu).toBeLessThanOrEqual(1);
    expect(Object.keys(load.dropped as object)).toContain('replayed');
    expect(await getJson(`/rooms/${STUDIO}`)).toEqual({ live: true, peers: 2 });
    expect(await getJson('/rooms/nosuchstudio')).toEqual({ live: false, peers: 0 });
    expect((await fetch(`${relay.httpUrl}/rooms/NOT_AN_ID`)).status).toBe(404);

    // A player that leaves takes its SFU connection with it.
    const before = load.sfuPeers as number;
    await b.close();
    await a.waitUntil(() => a.route?.sources.length === 1, 5_000, 'b to leave');
    await expect.poll(async () => (await getJson('/load')).sfuPeers, { timeout: 5_000 }).toBe(before - 1);
  });

  it('answers only signed queries: unsigned or badly signed get 401, /healthz stays public', async () => {
    for (const path of ['/load', `/rooms/${STUDIO}`]) {
      const unsigned = await fetch(`${relay.httpUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
      expect(unsigned.status).toBe(401);
      expect(await unsigned.json()).toEqual({
        ok: false,
        error: 'bad-signature',
        message: expect.any(String),
      });
      const wrongKey = await relayQuery(relay, path, 'not-the-ticket-secret-0123456789abcdef');
      expect(wrongKey.status).toBe(401);
      expect(await wrongKey.json()).toMatchObject({ ok: false, error: 'bad-signature' });
    }
    // Signed for /load, sent to /rooms/<id>: the path is part of the signature.
    const borrowed = await fetch(`${relay.httpUrl}/rooms/${STUDIO}`, {
      headers: relayQueryHeaders(TEST_TICKET_SECRET, 'GET', '/load'),
      signal: AbortSignal.timeout(5_000),
    });
    expect(borrowed.status).toBe(401);
    const health = await fetch(`${relay.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true });
  });
});

describe('a relay without the SFU', () => {
  let plain: RunningRelay;
  beforeAll(async () => {
    plain = await startRelay({ env: { ...ENV, BANDMESH_SFU: 'off' } });
  });
  afterAll(async () => {
    expect(await plain?.stop()).toBe(0);
  });

  it('caps rooms at the mesh limit, stays on the mesh and answers SFU requests with sfu-unavailable', async () => {
    const a = await player(plain.wsUrl);
    const b = await player(plain.wsUrl);
    expect((await b.routeWhere(() => true)).mode).toBe('mesh');
    const third = await TestClient.connect(plain.wsUrl);
    opened.push(third);
    const reply = await third.subscribe(
      `studio/${STUDIO}`,
      signTicket(TEST_TICKET_SECRET, { studio: STUDIO }),
    );
    expect(reply).toMatchObject({ type: 'error', code: ErrorCode.RoomFull });

    a.routeRequest(true);
    a.sendSignal({ kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } });
    await a.waitUntil(() => a.errors.length >= 2, 5_000, 'two errors');
    expect(a.errors.map((e) => e.code)).toEqual([ErrorCode.SfuUnavailable, ErrorCode.SfuUnavailable]);
    expect(a.route?.mode).toBe('mesh');
  });
});
