/**
 * The relay's SFU against the real relay process, with Node players on node-datachannel: the
 * offer/answer over `sfu-signal`, frames forwarded to the others of the room in bundles stamped with
 * the relay's source index, pings answered, and nothing crossing into another room.
 * Needs `npm run build:relay`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRelay, studioSequence, type RunningRelay } from '../support/relay';
import { SfuPlayer, sealedFrame } from '../support/sfu-player';

let relay: RunningRelay;
const players: SfuPlayer[] = [];
let STUDIO = '';
const nextStudio = studioSequence('sfufwd');
beforeEach(() => ({ studio: STUDIO } = nextStudio()));

async function player(studio = STUDIO): Promise<SfuPlayer> {
  const p = await SfuPlayer.join({ wsUrl: relay.wsUrl, studio });
  players.push(p);
  return p;
}

beforeAll(async () => {
  relay = await startRelay({ env: { BANDMESH_SFU_HOST: '127.0.0.1' } });
});
afterAll(async () => {
  await Promise.all(players.map((p) => p.close()));
  expect(await relay?.stop()).toBe(0);
});

describe('SFU forwarding', () => {
  it('forwards a frame to the other player with the relay-assigned source index', async () => {
    const a = await player();
    const b = await player();
    await a.routeWhere((r) => r.sources.length === 2);
    await b.routeWhere((r) => r.sources.length === 2);
    await a.connectSfu();
    await b.connectSfu();
    const indexA = a.sourceIndex!;
    expect(b.route!.sources.find((s) => s.peerId === a.peerId)?.index).toBe(indexA);

    // The sender cannot choose its index: nothing in the frame says it, and the relay stamps its own.
    const frame = sealedFrame(7, 60, 0xabcdef);
    expect(a.sendRaw(frame)).toBe(true);
    await b.waitUntil(() => b.frames.length >= 1, 5_000, 'the forwarded frame');
    expect(b.frames[0]).toMatchObject({ sourceIndex: indexA, seq: 7, marker: 0xabcdef });
    expect(b.frames[0]!.bytes).toEqual(frame);
    // The sender does not hear itself.
    await new Promise((r) => setTimeout(r, 100));
    expect(a.frames).toHaveLength(0);
  });

  it('answers a link ping with a pong at once', async () => {
    const a = await player();
    await a.connectSfu();
    a.ping(42);
    await a.waitUntil(() => a.pongs === 1, 5_000, 'the pong');
  });
});
