import { describe, expect, it } from 'vitest';
import { ImpulseDetector } from './impulse.js';

describe('ImpulseDetector', () => {
  it('finds each click onset once, across block boundaries, and ignores its tail', () => {
    const det = new ImpulseDetector({ threshold: 0.3, holdoffSamples: 2400 });
    const signal = new Float32Array(48000);
    const clicks = [1000, 13000, 25_127, 37_000];
    for (const c of clicks)
      for (let i = 0; i < 200; i++) signal[c + i] = (i % 2 ? -0.9 : 0.9) * Math.exp(-i / 50);
    for (let i = 0; i < signal.length; i++) signal[i] = signal[i]! + 0.05 * Math.sin(i);
    const found: number[] = [];
    for (let b = 0; b < signal.length; b += 128) {
      const idx = det.process(signal.subarray(b, b + 128), 128);
      if (idx >= 0) found.push(b + idx);
    }
    expect(found).toEqual(clicks);
  });
});
