import { describe, expect, it } from 'vitest';
import { Meter, dbToGain, gainToDb, panMono, panStereo, resolveAudible } from './mixer.js';

describe('mixer math', () => {
  it('converts dB and linear gain', () => {
    expect(dbToGain(0)).toBe(1);
    expect(dbToGain(-6)).toBeCloseTo(0.501, 3);
    expect(dbToGain(-200)).toBe(0);
    expect(gainToDb(0.5)).toBeCloseTo(-6.02, 2);
    expect(gainToDb(0)).toBe(-Infinity);
  });

  it('pans mono with equal power: −3 dB centre, hard sides, constant power', () => {
    const g = new Float32Array(2);
    panMono(0, g);
    expect(gainToDb(g[0]!)).toBeCloseTo(-3.01, 2);
    expect(g[1]).toBeCloseTo(g[0]!, 6);
    panMono(-1, g);
    expect(g[0]).toBeCloseTo(1, 6);
    expect(g[1]).toBeCloseTo(0, 6);
    panMono(1, g);
    expect(g[1]).toBeCloseTo(1, 6);
    for (let p = -1; p <= 1; p += 0.1) {
      panMono(p, g);
      expect(g[0]! ** 2 + g[1]! ** 2).toBeCloseTo(1, 5);
    }
  });

  it('balances stereo: unity at centre, near side unity', () => {
    const g = new Float32Array(2);
    panStereo(0, g);
    expect([g[0], g[1]]).toEqual([1, 1]);
    panStereo(0.5, g);
    expect(g[1]).toBe(1);
    expect(g[0]).toBeLessThan(1);
    panStereo(1, g);
    expect(g[0]).toBeCloseTo(0, 6);
  });

  it('applies the solo/mute truth table (mute wins, inactive slots ignored)', () => {
    const audible = new Float32Array(4);
    const run = (active: number[], mute: number[], solo: number[]) => {
      resolveAudible(active, mute, solo, 4, audible);
      return [...audible];
    };
    expect(run([1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0])).toEqual([1, 1, 1, 1]);
    expect(run([1, 1, 1, 1], [0, 1, 0, 0], [0, 0, 0, 0])).toEqual([1, 0, 1, 1]);
    expect(run([1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 1, 0])).toEqual([0, 0, 1, 0]);
    expect(run([1, 1, 1, 1], [0, 0, 1, 0], [0, 0, 1, 1])).toEqual([0, 0, 0, 1]);
    expect(run([1, 1, 1, 0], [0, 0, 0, 0], [0, 0, 0, 1])).toEqual([1, 1, 1, 0]);
  });

  it('meters peak and RMS and decays to exactly zero', () => {
    const m = new Meter(48000, 0.1, 0.05);
    const sine = new Float32Array(48000).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 48000));
    m.update(sine, sine.length);
    expect(m.peak).toBeCloseTo(0.5, 2);
    expect(m.rms).toBeCloseTo(0.5 / Math.SQRT2, 2);
    const silence = new Float32Array(48000);
    for (let k = 0; k < 10; k++) m.update(silence, silence.length);
    expect(m.peak).toBe(0);
    expect(m.rms).toBe(0);
  });
});
