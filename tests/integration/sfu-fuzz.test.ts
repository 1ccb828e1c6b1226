/**
 * 10,000 hostile frames against the real relay's SFU while honest players talk: random bytes,
 * oversized frames, wrong versions, bundles sent upstream, cut-short frames, text, replays, stale
 * frames and a flood, all from one player of room A, while two honest players in room A and two in
 * room B send real frames. Honest frame counts arrive complete (loopback), nothing reaches the other
 * room, the relay keeps serving, and `/load` counts the drops by reason.
 * Needs `npm run build:relay`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEALED_FRAME_VERSION, SFU_BUNDLE_KIND, SFU_MAX_UPSTREAM_BYTES } from '../../src/lib/protocol/sfu';
import { startRelay, studioSequence, type RunningRelay } from '../support/relay';
import { relayQuery } from '../support/relay-query';
import { SfuPlayer, sealedFrame } from '../support/sfu-player';

const HONEST_FRAMES = 800;
const HOSTILE = 0x0bad;
/** Replay phase: per fresh hostile frame, this many duplicates and stale frames (under the rate limit). */
const REPLAY_ROUNDS = 100;
const DUPLICATES_PER_ROUND = 6;
const STALE_PER_ROUND = 3;
const FLOOD_FRAMES = 2_900;
const GARBAGE = 10_000 - REPLAY_ROUNDS * (1 + DUPLICATES_PER_ROUND + STALE_PER_ROUND) - FLOOD_FRAMES;

let relay: RunningRelay;
const players: SfuPlayer[] = [];
const nextStudio = studioSequence('sfufuzz');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function join(studio: string): Promise<SfuPlayer> {
  const p = await SfuPlayer.join({ wsUrl: relay.wsUrl, studio });
  players.push(p);
  await p.connectSfu();
  return p;
}

async function load(): Promise<{ forwarded: number; dropped: Record<string, number>; sfuPeers: number }> {
  const response = await relayQuery(relay, '/load');
  return (await response.json()) as { forwarded: number; dropped: Record<string, number>; sfuPeers: number };
}

/** Sends `count` frames paced at 4 per 10 ms (400 frames/s, 2.5 ms frames). */
async function sendHonest(player: SfuPlayer, marker: number, count = HONEST_FRAMES): Promise<void> {
  for (let seq = 1; seq <= count;) {
    for (let i = 0; i < 4 && seq <= count; i++, seq++) expect(player.sendFrame(seq, 48, marker)).toBe(true);
    await sleep(10);
  }
}

/** One hostile message that the relay must drop before any rate limit or replay check. */
function garbage(i: number): Uint8Array | string {
  switch (i % 8) {
    case 0: {
      // Random bytes, never starting like a sealed frame or a link ping of the right length.
      const bytes = randomBytes(randomInt(1, 300));
      if (bytes[0] === SEALED_FRAME_VERSION) bytes[0] = 0x42;
      return bytes;
    }
    case 1: {
      const frame = sealedFrame(i, randomInt(SFU_MAX_UPSTREAM_BYTES - 15, 1_600));
      return frame; // oversized
    }
    case 2: {
      const frame = sealedFrame(i, 40, HOSTILE);
      frame[0] = [1, 2, 4, 0xff][i % 4]!; // wrong version
      return frame;
    }
    case 3: {
      // A well-formed bundle sent upstream, claiming to be another player's frame.
      const inner = sealedFrame(i, 20, HOSTILE);
      const bundle = new Uint8Array(2 + 4 + inner.length);
      bundle.set([SFU_BUNDLE_KIND, 1, 1, 0, inner.length & 0xff, inner.length >> 8]);
      bundle.set(inner, 6);
      return bundle;
    }
    case 4:
      return sealedFrame(i).subarray(0, randomInt(1, 16)); // cut short
    case 5:
      return `{"type":"frame","seq":${i}}`; // text on a binary channel
    case 6:
      return new Uint8Array([0x80, 1, 2, 3]); // a link ping of the wrong length
    default: {
      const bundle = randomBytes(randomInt(2, 200));
      bundle[0] = SFU_BUNDLE_KIND; // a malformed bundle upstream
      return bundle;
    }
  }
}

beforeAll(async () => {
  relay = await startRelay({ env: { BANDMESH_SFU_HOST: '127.0.0.1' } });
});
afterAll(async () => {
  await Promise.all(players.map((p) => p.close()));
  expect(await relay?.stop()).toBe(0);
});

describe('SFU under hostile input', () => {
  it('drops and counts 10,000 hostile frames while honest players in two rooms hear each other completely', async () => {
    const roomA = nextStudio().studio;
    const roomB = nextStudio().studio;
    const a1 = await join(roomA);
    const a2 = await join(roomA);
    const hostile = await join(roomA);
    const b1 = await join(roomB);
    const b2 = await join(roomB);
    await a1.waitUntil(() => a1.route?.sources.length === 3, 5_000, 'room A complete');
    await b1.waitUntil(() => b1.route?.sources.length === 2, 5_000, 'room B complete');
    const index = (p: SfuPlayer, of: SfuPlayer) =>
      p.route!.sources.find((s) => s.peerId === of.peerId)!.index;
    const before = await load();

    const hostileRun = (async () => {
      for (let i = 0; i < GARBAGE; i++) {
        hostile.sendRaw(garbage(i));
        if (i % 200 === 199) await sleep(5);
      }
      // Replays: fresh frames from 100,000 on, each followed by duplicates of earlier fresh ones and
      // frames older than the replay window, paced under the flood limit.
      const base = 100_000;
      for (let r = 0; r < REPLAY_ROUNDS; r++) {
        hostile.sendFrame(base + r, 40, HOSTILE);
        for (let d = 0; d < DUPLICATES_PER_ROUND; d++)
          hostile.sendFrame(base + randomInt(0, r + 1), 40, HOSTILE);
        for (let s = 0; s < STALE_PER_ROUND; s++) hostile.sendFrame(randomInt(0, 50_000), 40, HOSTILE);
        await sleep(20);
      }
      await sleep(300); // the flood budget refills
      // A flood of fresh frames, far above 1,000 frames/s.
      for (let i = 0; i < FLOOD_FRAMES; i++) hostile.sendFrame(200_000 + i, 40, HOSTILE);
    })();
    await Promise.all([
      hostileRun,
      sendHonest(a1, 0xa1),
      sendHonest(a2, 0xa2),
      sendHonest(b1, 0xb1),
      sendHonest(b2, 0xb2),
    ]);

    // Honest frames arrive complete, once each, under the relay's index of their sender.
    const complete = (receiver: SfuPlayer, sender: SfuPlayer, marker: number) =>
      receiver.waitUntil(
        () => receiver.frames.filter((f) => f.marker === marker).length >= HONEST_FRAMES,
        10_000,
        `all frames of ${marker.toString(16)}`,
      );
    await complete(a1, a2, 0xa2);
    await complete(a2, a1, 0xa1);
    await complete(b1, b2, 0xb2);
    await complete(b2, b1, 0xb1);
    await sleep(200);
    for (const [receiver, sender, marker] of [
      [a1, a2, 0xa2],
      [a2, a1, 0xa1],
      [b1, b2, 0xb2],
      [b2, b1, 0xb1],
    ] as const) {
      const frames = receiver.frames.filter((f) => f.marker === marker);
      expect(frames).toHaveLength(HONEST_FRAMES);
      expect(new Set(frames.map((f) => f.seq)).size).toBe(HONEST_FRAMES);
      expect(new Set(frames.map((f) => f.sourceIndex))).toEqual(new Set([index(receiver, sender)]));
      expect(receiver.badBundles).toBe(0);
    }

    // Nothing crosses rooms: room B hears only room B.
    expect(b1.frames.every((f) => f.marker === 0xb2)).toBe(true);
    expect(b2.frames.every((f) => f.marker === 0xb1)).toBe(true);
    expect(b1.frames).toHaveLength(HONEST_FRAMES);
    expect(b2.frames).toHaveLength(HONEST_FRAMES);
    // In room A, the hostile player's forwarded frames carry its index, are fresh sealed frames,
    // and are only those the replay window and the flood limit let through.
    const fromHostile = a1.frames.filter((f) => f.marker === HOSTILE);
    expect(new Set(fromHostile.map((f) => f.sourceIndex))).toEqual(new Set([index(a1, hostile)]));
    expect(new Set(fromHostile.map((f) => f.seq)).size).toBe(fromHostile.length);
    expect(fromHostile.every((f) => f.bytes[0] === SEALED_FRAME_VERSION)).toBe(true);
    expect(fromHostile.length).toBeLessThan(REPLAY_ROUNDS + FLOOD_FRAMES / 2);
    expect(a1.frames.filter((f) => f.marker !== HOSTILE && f.marker !== 0xa2)).toEqual([]);

    // /load counts the drops by reason.
    const after = await load();
    const delta = (reason: string) => (after.dropped[reason] ?? 0) - (before.dropped[reason] ?? 0);
    const perReason = Object.fromEntries(Object.keys(after.dropped).map((r) => [r, delta(r)]));
    expect(perReason).toMatchObject({
      malformed: expect.any(Number),
      oversized: expect.any(Number),
      'wrong-version': expect.any(Number),
    });
    for (const reason of ['malformed', 'oversized', 'wrong-version', 'replayed', 'stale', 'flood']) {
      expect(delta(reason), reason).toBeGreaterThan(0);
    }
    const hostileSent = 10_000;
    const totalDropped = Object.values(perReason).reduce((s, n) => s + n, 0) - delta('receiver-backlog');
    // Every hostile message was dropped except the fresh frames forwarded. The hostile player's
    // channel is lossy like any (unordered, no retransmits): on a loaded machine a datagram or two
    // can be lost on loopback, so its own accounting allows 0.2 %.
    const tolerance = (n: number) => Math.ceil(n * 0.002);
    expect(totalDropped + fromHostile.length).toBeLessThanOrEqual(hostileSent);
    expect(totalDropped + fromHostile.length).toBeGreaterThanOrEqual(hostileSent - tolerance(hostileSent));
    const duplicates = REPLAY_ROUNDS * DUPLICATES_PER_ROUND;
    const stale = REPLAY_ROUNDS * STALE_PER_ROUND;
    expect(delta('replayed')).toBeLessThanOrEqual(duplicates);
    expect(delta('replayed')).toBeGreaterThanOrEqual(duplicates - tolerance(duplicates) - 1);
    expect(delta('stale')).toBeLessThanOrEqual(stale);
    expect(delta('stale')).toBeGreaterThanOrEqual(stale - tolerance(stale) - 1);
    expect(delta('flood')).toBeGreaterThan(FLOOD_FRAMES / 2);
    // Room A: a1 and a2 each to two others, the hostile player's frames to a1 and a2; room B: 2 copies.
    const forwarded = after.forwarded - before.forwarded;
    expect(forwarded).toBeGreaterThanOrEqual(6 * HONEST_FRAMES + 2 * fromHostile.length);
    expect(forwarded).toBeLessThanOrEqual(6 * HONEST_FRAMES + 2 * fromHostile.length + 20);

    // The relay keeps serving: a newcomer to room B hears b1 at once.
    const b3 = await join(roomB);
    await b3.waitUntil(() => b3.route?.sources.length === 3, 5_000, 'b3 in room B');
    b1.sendFrame(HONEST_FRAMES + 1, 48, 0xb1);
    await b3.waitUntil(() => b3.frames.some((f) => f.marker === 0xb1), 5_000, 'a frame after the fuzz');
    expect((await fetch(`${relay.httpUrl}/healthz`)).status).toBe(200);
  }, 120_000);
});
