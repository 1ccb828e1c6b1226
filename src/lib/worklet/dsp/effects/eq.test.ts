import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EFFECTS,
  EQ_HIGH_SHELF_HZ,
  EQ_LOW_SHELF_HZ,
  type EqSettings,
} from '../../../protocol/effects.js';
import { ThreeBandEq } from './eq.js';
import { db, inQuanta, maxStep, rms, sine } from './test-signals.js';

const SR = 48000;

/** Steady-state gain (dB) of the EQ at `hz`, measured on a 0.5 s sine after 0.25 s settling. */
function gainAt(s: Partial<EqSettings>, hz: number, sr = SR): number {
  const eq = new ThreeBandEq(sr);
  eq.set({ ...DEFAULT_EFFECTS.eq, on: true, ...s });
  eq.reset();
  const x = sine(hz, 0.25, Math.round(sr * 0.75), sr);
  inQuanta(x, (q, n) => eq.process(q, null, n));
  const from = Math.round(sr * 0.25);
  return db(rms(x, from) / rms(sine(hz, 0.25, Math.round(sr * 0.75), sr), from));
}

describe('ThreeBandEq', () => {
  it.each([
    [6, 1000],
    [-9, 3000],
    [12, 250],
  ])('peaking mid: %f dB at its centre %i Hz within 0.5 dB', (g, hz) => {
    expect(Math.abs(gainAt({ midDb: g, midHz: hz }, hz) - g)).toBeLessThan(0.5);
  });

  it('shelves: the full gain well inside the shelf, about half at the corner, ~0 dB far away', () => {
    expect(Math.abs(gainAt({ lowDb: 9 }, 30) - 9)).toBeLessThan(0.5);
    expect(Math.abs(gainAt({ lowDb: 9 }, EQ_LOW_SHELF_HZ) - 4.5)).toBeLessThan(0.5);
    expect(Math.abs(gainAt({ lowDb: 9 }, 5000))).toBeLessThan(0.5);
    expect(Math.abs(gainAt({ highDb: -6 }, 18000) - -6)).toBeLessThan(0.5);
    expect(Math.abs(gainAt({ highDb: -6 }, EQ_HIGH_SHELF_HZ) - -3)).toBeLessThan(0.5);
    expect(Math.abs(gainAt({ highDb: -6 }, 200))).toBeLessThan(0.5);
  });

  it('is sample-rate aware: the same centre gain at 44.1 kHz', () => {
    expect(Math.abs(gainAt({ midDb: 6, midHz: 1000 }, 1000, 44100) - 6)).toBeLessThan(0.5);
  });

  it('flat settings pass a sine unchanged (within 0.01 dB)', () => {
    expect(Math.abs(gainAt({}, 1000))).toBeLessThan(0.01);
  });

  it('a 15 dB jump of the mid gain glides: no step larger than the louder sine’s own', () => {
    const eq = new ThreeBandEq(SR);
    eq.set({ ...DEFAULT_EFFECTS.eq, on: true });
    eq.reset();
    const x = sine(1000, 0.1, SR);
    inQuanta(x, (q, n) => {
      eq.process(q, null, n);
    });
    // Restart with the change half-way.
    const eq2 = new ThreeBandEq(SR);
    eq2.set({ ...DEFAULT_EFFECTS.eq, on: true });
    eq2.reset();
    const y = sine(1000, 0.1, SR);
    let s = 0;
    inQuanta(y, (q, n) => {
      if (s === 24064) eq2.set({ ...DEFAULT_EFFECTS.eq, on: true, midDb: 15, midHz: 1000 });
      s += n;
      eq2.process(q, null, n);
    });
    const ownStep = maxStep(sine(1000, 0.1 * 10 ** (15 / 20), SR));
    expect(maxStep(y, 24064 - 1, 24064 + 4800)).toBeLessThan(ownStep * 1.05);
    // It gets there: +15 dB after the glide.
    expect(Math.abs(db(rms(y, 40000) / rms(x, 40000)) - 15)).toBeLessThan(0.5);
  });
});
