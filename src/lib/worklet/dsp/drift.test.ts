import { describe, expect, it } from 'vitest';
import { DriftEstimator, MAX_RATIO_DEVIATION, Resampler, ratioFor } from './drift.js';
import { prng } from './jitter-buffer.sim.js';

describe('DriftEstimator', () => {
  it.each([150, -200, 0])('recovers %i ppm from jittery transit offsets', (ppm) => {
    const rand = prng(3);
    const est = new DriftEstimator();
    for (let k = 0; k < 400 * 60; k++) {
      const t = k * 120;
      est.update(t, -ppm * 1e-6 * t + (rand() - 0.5) * 192 + 5000);
    }
    expect(Math.abs(est.ppm() - ppm)).toBeLessThan(3);
  });

  it('says 0 until it has 2 s of data', () => {
    const est = new DriftEstimator();
    for (let k = 0; k < 100; k++) est.update(k * 120, -0.001 * k * 120);
    expect(est.ppm()).toBe(0);
  });
});

describe('ratioFor', () => {
  it('clamps to ±0.5 % and slews gradually', () => {
    let r = 1;
    r = ratioFor(r, 0, 1e6);
    expect(r).toBeCloseTo(1 + 2e-5, 10);
    for (let i = 0; i < 1000; i++) r = ratioFor(r, 0, 1e6);
    expect(r).toBe(1 + MAX_RATIO_DEVIATION);
    for (let i = 0; i < 1000; i++) r = ratioFor(r, -100, 0);
    expect(r).toBeCloseTo(1 - 100e-6, 9);
  });
});

describe('Resampler', () => {
  it('passes samples through exactly at ratio 1', () => {
    const rs = new Resampler();
    const src = [new Float32Array(120), new Float32Array(120)];
    const out = [new Float32Array(128), new Float32Array(128)];
    let n = 0;
    let expected = 0;
    let bad = 0;
    for (let b = 0; b < 100; b++) {
      while (rs.needed(128, 1) > 0) {
        for (let i = 0; i < 120; i++) src[0]![i] = src[1]![i] = n++;
        rs.write(src, 120);
      }
      rs.read(out, 128, 1);
      for (let i = 0; i < 128; i++) if (out[0]![i] !== expected++) bad++;
    }
    expect(bad).toBe(0);
  });

  it('resamples a sine at +0.5 % smoothly and consumes input at the ratio', () => {
    const rs = new Resampler();
    const src = [new Float32Array(120), new Float32Array(120)];
    const out = [new Float32Array(128), new Float32Array(128)];
    let n = 0;
    let prev = 0;
    let worst = 0;
    const ratio = 1.005;
    for (let b = 0; b < 2000; b++) {
      while (rs.needed(128, ratio) > 0) {
        for (let i = 0; i < 120; i++) src[0]![i] = src[1]![i] = Math.sin(n++ * 0.05);
        rs.write(src, 120);
      }
      rs.read(out, 128, ratio);
      for (let i = 0; i < 128; i++) {
        if (b > 0) worst = Math.max(worst, Math.abs(out[0]![i]! - prev));
        prev = out[0]![i]!;
      }
    }
    expect(worst).toBeLessThan(0.05 * ratio + 1e-3);
    expect(n / (2000 * 128)).toBeCloseTo(ratio, 3);
  });
});
