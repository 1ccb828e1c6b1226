import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  MAX_PEERS,
  PacketRing,
  PeerStatusInt,
  StatusBlock,
  StatusFloat,
  StatusInt,
} from '../protocol/audio-layout.js';
import { ROOM_MAX_PLAYERS } from '../protocol/ticket.js';
import type { WorkletEvent } from '../protocol/audio-worklet.js';
import { sharedPlaybackEngine } from './worklet-harness.sim.js';

/**
 * The playback `process()` runs 375 times a second on the audio thread and must allocate nothing, with
 * every slot of a full room in use. JavaScript cannot count allocations, so this watches the
 * typed-array methods that make a view or a copy, as capture-no-alloc.test.ts does.
 */
const TypedArrayProto = Object.getPrototypeOf(Float32Array.prototype) as Float32Array;

afterEach(() => vi.restoreAllMocks());

describe('PlaybackEngine.process with a full room, the metronome and a backing track', () => {
  it('has a slot for every other player of the largest room', () => {
    expect(MAX_PEERS).toBeGreaterThanOrEqual(ROOM_MAX_PLAYERS - 1);
  });

  it('mixes all MAX_PEERS slots, the click and the backing track (and its stem output) without subarray or slice', () => {
    const posted: WorkletEvent[] = [];
    const { engine, buffers, status } = sharedPlaybackEngine((e) => void posted.push(e));
    const rings = Array.from({ length: MAX_PEERS }, (_, p) => PacketRing.forPeer(buffers.packets, p));
    for (let slot = 0; slot < MAX_PEERS; slot++)
      engine.handle({ type: 'add-peer', slot, peerKey: `p${slot}` });
    // The metronome clicks too (four onsets in the run).
    engine.handle({
      type: 'metronome',
      running: true,
      beatZeroFrame: 1000.5,
      framesPerBeat: 12_000,
      beatsPerBar: 4,
      firstBeat: -4,
      gain: 1,
    });
    // A stereo backing track that starts inside block 100 and runs past the end of the run.
    const track = [new Float32Array(60_000).fill(0.25), new Float32Array(60_000).fill(-0.25)];
    engine.handle({ type: 'set-benchmark', enabled: true });
    engine.handle({ type: 'backing-load', id: 7, channels: track });
    engine.handle({
      type: 'backing-play',
      id: 7,
      playing: true,
      startFrame: 100 * 128 + 5,
      fromFrame: 0,
      gain: 0.5,
    });
    const pcm = new Float32Array(120);
    // Output 0 the mix, output 1 the backing track alone (the recording's stem).
    const output = [
      [new Float32Array(128), new Float32Array(128)],
      [new Float32Array(128), new Float32Array(128)],
    ];
    const subarray = vi.spyOn(TypedArrayProto, 'subarray');
    const slice = vi.spyOn(TypedArrayProto, 'slice');
    let viewsInProcess = 0;
    let written = 0;
    for (let block = 0; block < 400; block++) {
      const now = block * 128;
      // The Worker's side (same thread here) writes each slot's frames as they fall due: not watched.
      for (let k = Math.floor((now - 128) / 120); (k + 1) * 120 <= now; k++) {
        if (k < 0) continue;
        for (let i = 0; i < 120; i++) pcm[i] = 0.01 * Math.sin((2 * Math.PI * 440 * (k * 120 + i)) / 48_000);
        for (const ring of rings) {
          const meta = {
            seq: k,
            senderTime: k * 120,
            arrivalTime: 0,
            frameSamples: 120,
            channels: 1,
            flags: k ? 0 : 1,
          };
          if (ring.write(meta, [pcm])) written++;
        }
      }
      subarray.mockClear();
      slice.mockClear();
      engine.process(output, now);
      viewsInProcess += subarray.mock.calls.length + slice.mock.calls.length;
    }
    expect(viewsInProcess).toBe(0);
    expect(written).toBe(MAX_PEERS * Math.floor((399 * 128) / 120)); // every frame fit its ring
    expect(status.ints[StatusInt.PlaybackBlocks]).toBe(400);
    // Every slot played its frames: the last one as much as the first.
    const received = (slot: number) => status.ints[StatusBlock.peerInt(slot, PeerStatusInt.FramesReceived)]!;
    expect(received(MAX_PEERS - 1)).toBe(received(0));
    expect(received(0)).toBeGreaterThan(400);
    expect(Math.max(...output[0]![0]!.map(Math.abs))).toBeGreaterThan(0);
    // The track was heard from its start frame, and metered.
    expect(posted).toContainEqual({
      type: 'backing-started',
      id: 7,
      fromFrame: 0,
      contextFrame: 100 * 128 + 5,
    });
    expect(status.floats[StatusFloat.BackingPeak]).toBeGreaterThan(0.1);
    // The stem output holds the track at unity, whatever this player's level for it (0.5 here).
    expect(output[1]![0]!.every((v) => v === 0.25)).toBe(true);
    expect(output[1]![1]!.every((v) => v === -0.25)).toBe(true);
  });
});
