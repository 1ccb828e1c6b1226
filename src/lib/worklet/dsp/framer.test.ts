import { describe, expect, it } from 'vitest';
import { Framer } from './framer.js';

describe('Framer', () => {
  it.each([120, 240, 480])('keeps exact sample continuity into %i-sample stereo frames', (size) => {
    const framer = new Framer({ frameSamples: size, channels: 2 });
    const l = new Float32Array(128);
    const r = new Float32Array(128);
    const frame = new Float32Array(960);
    let produced = 0;
    let expected = 0;
    let errors = 0;
    let frames = 0;
    for (let q = 0; q < 1000; q++) {
      for (let i = 0; i < 128; i++) {
        l[i] = produced;
        r[i] = -produced;
        produced++;
      }
      framer.push([l, r], 128);
      while (framer.pop(frame)) {
        expect(framer.frameStart).toBe(((frames + 1) * size) >>> 0);
        frames++;
        for (let i = 0; i < size; i++) {
          if (frame[2 * i] !== expected || frame[2 * i + 1] !== -expected) errors++;
          expected++;
        }
      }
    }
    expect(errors).toBe(0);
    expect(frames).toBe(Math.floor((1000 * 128) / size));
    expect(framer.buffered).toBe(1000 * 128 - frames * size);
  });

  it('duplicates mono input into a stereo frame, treats a missing input as silence, and survives size changes', () => {
    const framer = new Framer({ frameSamples: 120, channels: 2 });
    const mono = new Float32Array(128).map((_, i) => i);
    framer.push([mono], 128);
    const out = new Float32Array(960);
    expect(framer.pop(out)).toBe(true);
    expect(out[2 * 119]).toBe(119);
    expect(out[2 * 119 + 1]).toBe(119);
    framer.setFrameSamples(240);
    framer.push([], 128);
    expect(framer.pop(out)).toBe(false);
    framer.push([mono], 128);
    expect(framer.pop(out)).toBe(true);
    expect(out[0]).toBe(120);
    expect(out[2 * 8]).toBe(0);
  });
});
