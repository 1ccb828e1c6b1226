import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  SAMPLE_RING_HEADER_BYTES,
  SampleRing,
  SampleRingHeader,
  allocateAudioMemory,
} from './audio-layout.js';

/**
 * SampleRing.writeFrame pinned against a model of what it must do (sample i of a frame written at
 * free-running index w lands at w + i modulo the capacity), and shown to allocate nothing: it runs in the
 * capture worklet's process().
 */
const TypedArrayProto = Object.getPrototypeOf(Float32Array.prototype) as Float32Array;

function ringOf(capacity: number) {
  const mem = allocateAudioMemory(SAMPLE_RING_HEADER_BYTES + capacity * 4, false);
  const ring = new SampleRing(mem, 0, capacity);
  return { ring, data: new Float32Array(mem, SAMPLE_RING_HEADER_BYTES, capacity) };
}

/** Seeded LCG, so a failure replays. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

afterEach(() => vi.restoreAllMocks());

describe('SampleRing.writeFrame', () => {
  it('matches the model over random frames, reads and wraps, including frames that straddle the end', () => {
    const next = random(7);
    for (const capacity of [16, 64, 8192]) {
      const { ring, data } = ringOf(capacity);
      const model = new Float32Array(capacity);
      let w = 0;
      let frames = 0;
      let overflows = 0;
      let value = 1;
      let straddled = 0;
      for (let step = 0; step < 2000; step++) {
        const count = 1 + Math.floor(next() * Math.min(capacity, 960));
        const src = new Float32Array(count).map(() => value++);
        const fits = count <= ring.availableWrite();
        expect(ring.writeFrame(src, count)).toBe(fits);
        if (fits) {
          if ((w & (capacity - 1)) + count > capacity) straddled++;
          for (let i = 0; i < count; i++) model[(w + i) & (capacity - 1)] = src[i]!;
          w += count;
          frames++;
        } else overflows++;
        let differ = 0;
        for (let i = 0; i < capacity; i++) if (data[i] !== model[i]) differ++;
        expect(differ).toBe(0);
        expect(ring.header[SampleRingHeader.Write]).toBe(w | 0);
        expect(ring.header[SampleRingHeader.Frames]).toBe(frames);
        expect(ring.header[SampleRingHeader.Overflows]).toBe(overflows);
        // Now and then the reader drains a random share, so the ring both wraps and fills up.
        const drain = next() < 0.8 ? 0 : Math.floor(next() * next() * ring.availableRead());
        ring.read(new Float32Array(drain), drain);
      }
      expect(straddled).toBeGreaterThan(10);
      expect(overflows).toBeGreaterThan(0);
    }
  });

  it('reads back exactly what it wrote across the wrap', () => {
    const { ring } = ringOf(16);
    ring.writeFrame(new Float32Array(12), 12);
    ring.read(new Float32Array(12), 12);
    expect(ring.writeFrame(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 8)).toBe(true);
    const out = new Float32Array(8);
    expect(ring.read(out, 8)).toBe(8);
    expect([...out]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('drops a frame that does not fit whole, leaving the samples and the write index untouched', () => {
    const { ring, data } = ringOf(16);
    ring.writeFrame(
      Float32Array.from({ length: 10 }, (_, i) => i + 1),
      10,
    );
    const before = [...data];
    expect(ring.writeFrame(new Float32Array(7).fill(99), 7)).toBe(false);
    expect([...data]).toEqual(before);
    expect(ring.header[SampleRingHeader.Write]).toBe(10);
    expect(ring.header[SampleRingHeader.Frames]).toBe(1);
    expect(ring.header[SampleRingHeader.Overflows]).toBe(1);
  });

  it('copies at most src.length samples but advances by count (as the set(subarray()) version did)', () => {
    const { ring, data } = ringOf(16);
    data.fill(-1);
    expect(ring.writeFrame(Float32Array.from([1, 2, 3]), 5)).toBe(true);
    expect([...data.slice(0, 6)]).toEqual([1, 2, 3, -1, -1, -1]);
    expect(ring.header[SampleRingHeader.Write]).toBe(5);
  });

  it('allocates no views: no subarray or slice per frame, wrapping or not', () => {
    const { ring } = ringOf(16);
    const src = Float32Array.from({ length: 6 }, (_, i) => i);
    const subarray = vi.spyOn(TypedArrayProto, 'subarray');
    const slice = vi.spyOn(TypedArrayProto, 'slice');
    for (let k = 0; k < 10; k++) {
      ring.writeFrame(src, 6);
      ring.header[SampleRingHeader.Read] = ring.header[SampleRingHeader.Write]!;
    }
    expect(subarray).not.toHaveBeenCalled();
    expect(slice).not.toHaveBeenCalled();
  });
});
