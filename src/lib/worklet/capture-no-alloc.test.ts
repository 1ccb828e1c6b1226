import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  PARAM_BYTES,
  SAMPLE_RING_BYTES,
  SAMPLE_RING_CAPACITY,
  STATUS_BYTES,
  SampleRing,
} from '../protocol/audio-layout.js';
import { AUDIO_WORKLET_VERSION, type WorkletEvent } from '../protocol/audio-worklet.js';
import { CaptureEngine } from './capture-processor.js';

/**
 * The capture `process()` runs 375 times a second on the audio thread and must allocate nothing (no GC
 * pauses there). JavaScript cannot count allocations, so this watches the typed-array methods that
 * allocate a view or a copy, which are the ones a frame copy would reach for.
 */
const TypedArrayProto = Object.getPrototypeOf(Float32Array.prototype) as Float32Array;

afterEach(() => vi.restoreAllMocks());

describe('CaptureEngine.process', () => {
  it.each([1, 2])('frames %i channel(s) into the shared ring without subarray or slice', (channels) => {
    const posted: WorkletEvent[] = [];
    const engine = new CaptureEngine({ sampleRate: 48000, post: (e) => void posted.push(e) });
    const buffers = {
      capture: new SharedArrayBuffer(SAMPLE_RING_BYTES),
      status: new SharedArrayBuffer(STATUS_BYTES),
      params: new SharedArrayBuffer(PARAM_BYTES),
    };
    engine.handle({
      type: 'init',
      version: AUDIO_WORKLET_VERSION,
      fallback: false,
      buffers,
      frameSamples: 120,
      channels,
    });
    const ring = new SampleRing(buffers.capture);
    const input = [new Float32Array(128).fill(0.25), new Float32Array(128).fill(-0.25)].slice(0, channels);
    const output = [[new Float32Array(128), new Float32Array(128)]];
    const drain = new Float32Array(SAMPLE_RING_CAPACITY);

    const subarray = vi.spyOn(TypedArrayProto, 'subarray');
    const slice = vi.spyOn(TypedArrayProto, 'slice');
    let viewsInProcess = 0;
    let written = 0;
    for (let block = 0; block < 300; block++) {
      engine.process([input], output, block * 128);
      viewsInProcess += subarray.mock.calls.length + slice.mock.calls.length;
      // The Worker's side (here, in the same thread) may make views: only process() is watched.
      written += ring.read(drain, ring.availableRead());
      subarray.mockClear();
      slice.mockClear();
    }
    expect(viewsInProcess).toBe(0);
    expect(written).toBe(Math.floor((300 * 128) / 120) * 120 * channels);
    expect(posted.map((e) => e.type)).toEqual(['ready', 'capture-origin']);
    // The first quantum after init was context frame 0: the framer's sample 0.
    expect(posted[1]).toEqual({ type: 'capture-origin', contextFrame: 0 });
  });
});
