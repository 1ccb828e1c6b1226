/**
 * The relay's SFU against the real relay process, with Node players on node-datachannel: the
 * offer/answer over `sfu-signal`, frames forwarded to the others of the room in bundles stamped with
 * the relay's source index, pings answered, and nothing crossing into another room.
 * Needs `npm run build:relay`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRelay, studioSequence, type RunningRelay } from '../support/relay';
import { relayQuery } from '../support/relay-query';
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

  it('forwards each frame of three players to the two others, under each sender index', async () => {
    const [a, b, c] = [await player(), await player(), await player()];
    for (const p of [a, b, c]) await p.routeWhere((r) => r.sources.length === 3);
    await Promise.all([a, b, c].map((p) => p.connectSfu()));
    const senders = [a, b, c];
    for (let seq = 1; seq <= 50; seq++) {
      senders.forEach((p, i) => p.sendFrame(seq, 40, 0x100 + i));
      if (seq % 10 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    for (const receiver of senders) {
      await receiver.waitUntil(() => receiver.frames.length >= 100, 5_000, 'frames from both others');
      for (const [i, sender] of senders.entries()) {
        const frames = receiver.frames.filter((f) => f.marker === 0x100 + i);
        expect(frames).toHaveLength(receiver === sender ? 0 : 50);
        if (receiver !== sender)
          expect(new Set(frames.map((f) => f.sourceIndex))).toEqual(new Set([sender.sourceIndex]));
      }
    }
  });

  it('replaces the SFU connection when the player offers again from a new connection', async () => {
    const a = await player();
    const b = await player();
    await a.connectSfu();
    await b.connectSfu();
    b.closeSfu();
    await b.connectSfu();
    a.sendFrame(1, 40, 0xfeed);
    await b.waitUntil(
      () => b.frames.some((f) => f.marker === 0xfeed),
      5_000,
      'a frame on the new connection',
    );
    const load = (await (await relayQuery(relay, '/load')).json()) as { sfuPeers: number };
    expect(load.sfuPeers).toBeGreaterThanOrEqual(2);
  });

  it('answers a link ping with a pong at once', async () => {
    const a = await player();
    await a.connectSfu();
    const pongs = a.pongs; // connectSfu already had one
    a.ping(42);
    await a.waitUntil(() => a.pongs === pongs + 1, 5_000, 'the pong');
  });
});
