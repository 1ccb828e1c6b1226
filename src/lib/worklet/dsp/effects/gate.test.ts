import { describe, expect, it } from 'vitest';
import { DEFAULT_EFFECTS } from '../../../protocol/effects.js';
import { GATE_HYSTERESIS_DB, NoiseGate } from './gate.js';
import { db, inQuanta, maxStep, rms, sine } from './test-signals.js';

const SR = 48000;
const settings = {
  ...DEFAULT_EFFECTS.gate,
  on: true,
  thresholdDb: -40,
  attackMs: 1,
  holdMs: 50,
  releaseMs: 50,
};

function gate(sr = SR) {
  const g = new NoiseGate(sr);
  g.set(settings);
  g.reset();
  return g;
}

describe('NoiseGate', () => {
  it('passes a note above the threshold (within 0.1 dB once open)', () => {
    const g = gate();
    const x = sine(220, 0.1, SR / 2); // −20 dB peak
    const ref = rms(x, 4800);
    inQuanta(x, (q, n) => g.process(q, null, n));
    expect(Math.abs(db(rms(x, 4800) / ref))).toBeLessThan(0.1);
  });

  it('closes below the threshold: noise at −50 dB comes out more than 60 dB down', () => {
    const g = gate();
    const x = sine(220, 10 ** (-50 / 20), SR);
    const ref = rms(x, SR / 2);
    inQuanta(x, (q, n) => g.process(q, null, n));
    expect(rms(x, SR / 2)).toBeLessThan(ref * 10 ** (-60 / 20));
  });

  it('hysteresis: a tail that falls just under the threshold (but not 6 dB under) stays open', () => {
    const g = gate();
    const loud = sine(220, 10 ** (-30 / 20), SR / 4);
    inQuanta(loud, (q, n) => g.process(q, null, n));
    // −43 dB: under the −40 dB opening threshold, above the −46 dB closing one.
    expect(GATE_HYSTERESIS_DB).toBe(6);
    const tail = sine(220, 10 ** (-43 / 20), SR / 2);
    const ref = rms(tail);
    inQuanta(tail, (q, n) => g.process(q, null, n));
    expect(Math.abs(db(rms(tail) / ref))).toBeLessThan(0.1);
    // The same level from a closed gate never opens it.
    const g2 = gate();
    const cold = sine(220, 10 ** (-43 / 20), SR / 2);
    inQuanta(cold, (q, n) => g2.process(q, null, n));
    expect(rms(cold)).toBeLessThan(ref * 1e-3);
  });

  it('holds for its hold time, then releases without a click', () => {
    const g = gate();
    const x = new Float32Array(SR);
    x.set(sine(220, 0.1, SR / 4));
    // After the note stops the gain stays 1 through the hold (50 ms), then falls.
    const tone = sine(220, 0.1, SR);
    for (let i = SR / 4; i < x.length; i++) x[i] = tone[i]! * 0.001; // −80 dB tail
    const levels: number[] = [];
    inQuanta(x, (q, n) => {
      g.process(q, null, n);
      levels.push(g.level);
    });
    const quantumAt = (ms: number) => Math.floor((SR / 4 + (ms * SR) / 1000) / 128);
    expect(levels[quantumAt(30)]).toBeGreaterThan(0.999); // inside detector release + hold
    // Closing starts after the detector falls 6 dB under (~30 ms) and the hold (50 ms); τ 50 ms.
    expect(levels[quantumAt(70)]).toBeGreaterThan(0.999);
    expect(levels[quantumAt(400)]).toBeLessThan(0.01);
    expect(maxStep(x, SR / 4 + 10)).toBeLessThan(maxStep(tone));
  });

  it('opens without a click: the attack ramps the gain', () => {
    const g = new NoiseGate(SR);
    g.set({ ...settings, attackMs: 5 });
    const x = sine(1000, 0.5, SR / 10, SR, Math.PI / 2); // starts at its peak
    inQuanta(x, (q, n) => g.process(q, null, n));
    expect(Math.abs(x[0]!)).toBeLessThan(0.01);
  });
});
