import { describe, expect, it } from 'vitest';
import { DEFAULT_EFFECTS, type CompressorSettings } from '../../../protocol/effects.js';
import { Compressor, compressorCurve } from './compressor.js';
import { db, inQuanta, maxStep, rms, sine } from './test-signals.js';

const SR = 48000;
const hard: CompressorSettings = {
  ...DEFAULT_EFFECTS.compressor,
  on: true,
  thresholdDb: -20,
  ratio: 4,
  kneeDb: 0,
  attackMs: 1,
  releaseMs: 50,
  makeupDb: 0,
};

/** Steady output level (dB) for a constant input at `levelDb` (dB re full scale). */
function measureStatic(s: CompressorSettings, levelDb: number): number {
  const c = new Compressor(SR);
  c.set(s);
  c.reset();
  const x = new Float32Array(SR / 2).fill(10 ** (levelDb / 20));
  inQuanta(x, (q, n) => c.process(q, null, n));
  return db(x[x.length - 1]!);
}

describe('Compressor', () => {
  it.each([-40, -20, -12, -6, 0])('hard knee 4:1 at −20 dB: static curve at %i dB within 0.1 dB', (level) => {
    const expected = level <= -20 ? level : -20 + (level + 20) / 4;
    expect(Math.abs(measureStatic(hard, level) - expected)).toBeLessThan(0.1);
  });

  it('soft knee: follows the curve, never above the identity or the ratio line', () => {
    const s = { ...hard, kneeDb: 12 };
    for (const x of [-26, -23, -20, -17, -14]) {
      const y = measureStatic(s, x);
      expect(Math.abs(y - compressorCurve(x, -20, 4, 12))).toBeLessThan(0.1);
      expect(y).toBeLessThanOrEqual(Math.min(x, -20 + (x + 20) / 4) + 1e-6);
      // Softer than the hard knee's corner: within the knee it reduces less than W/8·(1 − 1/R) dB there.
      if (x === -20) expect(y).toBeGreaterThan(-20 - (12 / 8) * (1 - 1 / 4) - 0.1);
    }
    // The curve meets both lines at the knee's edges.
    expect(compressorCurve(-26, -20, 4, 12)).toBeCloseTo(-26, 9);
    expect(compressorCurve(-14, -20, 4, 12)).toBeCloseTo(-20 + 6 / 4, 9);
  });

  it('makeup gain adds its dB', () => {
    expect(Math.abs(measureStatic({ ...hard, makeupDb: 6 }, -6) - (-20 + 14 / 4 + 6))).toBeLessThan(0.1);
  });

  it('a sine 12 dB over threshold comes out ~9 dB quieter (4:1), measured on RMS', () => {
    const c = new Compressor(SR);
    c.set({ ...hard, releaseMs: 300 });
    c.reset();
    const x = sine(440, 10 ** (-8 / 20), SR);
    const ref = rms(x, SR / 2);
    inQuanta(x, (q, n) => c.process(q, null, n));
    expect(Math.abs(db(rms(x, SR / 2) / ref) - -9)).toBeLessThan(0.5);
  });

  it('attack and release smooth the gain: a level jump gives no step beyond the signal’s own', () => {
    const c = new Compressor(SR);
    c.set({ ...hard, attackMs: 5, releaseMs: 100 });
    c.reset();
    const quiet = sine(440, 0.05, SR / 2);
    const loud = sine(440, 0.9, SR / 2, SR, (2 * Math.PI * 440 * (SR / 2)) / SR);
    const x = new Float32Array(SR);
    x.set(quiet);
    x.set(loud, SR / 2);
    inQuanta(x, (q, n) => c.process(q, null, n));
    expect(maxStep(x)).toBeLessThanOrEqual(maxStep(loud) + 1e-6);
  });

  it('changing the threshold mid-note glides (attack/release), no click', () => {
    const c = new Compressor(SR);
    c.set({ ...hard, thresholdDb: 0, attackMs: 10 });
    c.reset();
    const x = sine(440, 0.5, SR);
    let s = 0;
    inQuanta(x, (q, n) => {
      if (s === 24064) c.set({ ...hard, thresholdDb: -40, attackMs: 10 });
      s += n;
      c.process(q, null, n);
    });
    expect(maxStep(x)).toBeLessThanOrEqual(maxStep(sine(440, 0.5, SR)) + 1e-6);
  });
});
