import { describe, expect, it } from 'vitest';
import { Reverb } from './reverb.js';
import { rms } from './test-signals.js';

const SR = 48000;

function impulseResponse(size: number, seconds: number, sr = SR) {
  const r = new Reverb(sr);
  r.set({ on: true, mix: 1, size });
  r.reset();
  const n = Math.round(sr * seconds);
  const l = new Float32Array(n);
  const rr = new Float32Array(n);
  const q = new Float32Array(128);
  const ol = new Float32Array(128);
  const or = new Float32Array(128);
  for (let s = 0; s < n; s += 128) {
    q.fill(0);
    if (s === 0) q[0] = 1;
    r.render(q, null, 128, ol, or);
    l.set(ol.subarray(0, Math.min(128, n - s)), s);
    rr.set(or.subarray(0, Math.min(128, n - s)), s);
  }
  return { l, r: rr, input: q };
}

describe('Reverb', () => {
  it('renders a decaying tail that starts after the shortest comb delay', () => {
    const { l, r } = impulseResponse(0.5, 2);
    const firstComb = Math.round((1116 * SR) / 44100);
    expect(rms(l, 0, firstComb - 1)).toBe(0);
    expect(rms(l, firstComb, SR / 4)).toBeGreaterThan(1e-4);
    expect(rms(l, SR, SR * 2)).toBeLessThan(rms(l, firstComb, SR / 4) / 10);
    // Left and right differ (stereo spread).
    expect(rms(l, 0, SR / 2)).not.toBe(rms(r, 0, SR / 2));
  });

  it('a larger room rings longer', () => {
    const small = impulseResponse(0.1, 2).l;
    const large = impulseResponse(0.9, 2).l;
    expect(rms(large, SR, 2 * SR)).toBeGreaterThan(rms(small, SR, 2 * SR) * 10);
  });

  it('decays to exact zero (no subnormal crawl) after silence', () => {
    const { l, r } = impulseResponse(0.5, 20);
    expect(rms(l, l.length - 128)).toBe(0);
    expect(rms(r, r.length - 128)).toBe(0);
  });

  it('never changes its input', () => {
    const rv = new Reverb(SR);
    rv.set({ on: true, mix: 0.5, size: 0.5 });
    const a = new Float32Array(128).fill(0.3);
    const ol = new Float32Array(128);
    const or = new Float32Array(128);
    rv.render(a, null, 128, ol, or);
    expect(a.every((v) => v === Math.fround(0.3))).toBe(true);
  });
});
