import { describe, expect, it } from 'vitest';
import { Concealer } from './conceal.js';

/** Plays `signal` frame by frame, concealing the frames in `lost`; returns the output. */
function play(signal: (i: number) => number, frames: number, size: number, lost: Set<number>): Float32Array {
  const c = new Concealer();
  const out = new Float32Array(frames * size);
  const planes = [new Float32Array(size), new Float32Array(size)];
  for (let f = 0; f < frames; f++) {
    if (lost.has(f)) c.conceal(planes, size);
    else {
      for (let i = 0; i < size; i++) planes[0]![i] = planes[1]![i] = signal(f * size + i);
      c.good(planes, size);
    }
    out.set(planes[0]!, f * size);
  }
  return out;
}

function maxStep(x: Float32Array, from = 1): number {
  let m = 0;
  for (let i = Math.max(1, from); i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - x[i - 1]!));
  return m;
}

const voice = (i: number) =>
  0.5 * Math.sin((2 * Math.PI * 220 * i) / 48000) + 0.25 * Math.sin((2 * Math.PI * 660 * i) / 48000 + 1);

describe('Concealer', () => {
  it('conceals single losses of a harmonic signal without clicks', () => {
    const clean = play(voice, 200, 120, new Set());
    const natural = maxStep(clean);
    const lost = new Set([20, 21, 50, 90, 91, 92, 150]);
    const out = play(voice, 200, 120, lost);
    // A click would be a step of the order of the amplitude (0.75); the crossfades keep every step
    // within 1.5× the signal's own largest step.
    expect(maxStep(out)).toBeLessThan(natural * 1.5);
    // The repeat is close to the true waveform during a single 2.5 ms loss.
    let err = 0;
    for (let i = 20 * 120; i < 21 * 120; i++) err = Math.max(err, Math.abs(out[i]! - clean[i]!));
    expect(err).toBeLessThan(0.15);
  });

  it('fades to silence over a long burst and fades back in without a click', () => {
    const lost = new Set<number>();
    for (let f = 40; f < 60; f++) lost.add(f); // 50 ms
    const out = play(voice, 100, 120, lost);
    let tail = 0;
    for (let i = 55 * 120; i < 60 * 120; i++) tail = Math.max(tail, Math.abs(out[i]!));
    expect(tail).toBe(0);
    expect(maxStep(out)).toBeLessThan(maxStep(play(voice, 100, 120, new Set())) * 1.5);
  });

  it('bounds the loss-start step on noise-like audio', () => {
    let s = 1;
    const noise = new Float32Array(100 * 120).map(() => {
      s = (s * 16807) % 2147483647;
      return (s / 2147483647 - 0.5) * 0.2;
    });
    const out = play((i) => noise[i]!, 100, 120, new Set([30, 31, 70]));
    // Noise itself steps up to 0.2; concealment must not add a larger discontinuity.
    expect(maxStep(out)).toBeLessThanOrEqual(0.2 + 1e-6);
  });
});
