import { describe, expect, it } from 'vitest';
import { CLOCK_SAMPLES, ClockOffset } from './clock-offset';

/** A seeded generator (mulberry32), so the simulated networks are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Ping/pong exchanges every 500 ms between us and a remote whose clock reads `offset(t)` ms ahead of
 * ours at our time t; one-way delays are `base` plus a jitter drawn by `up`/`down` (ms).
 */
function exchange(
  clock: ClockOffset,
  options: {
    count: number;
    offset: (t: number) => number;
    base: number;
    up: () => number;
    down: () => number;
    start?: number;
  },
): number {
  let t = options.start ?? 1_000_000;
  for (let k = 0; k < options.count; k++, t += 500) {
    const there = t + options.base + options.up();
    const back = there + options.base + options.down();
    clock.add(t, there + options.offset(there), back);
  }
  return t;
}

describe('ClockOffset', () => {
  it('finds the offset exactly over symmetric delays, with half the round trip as its uncertainty', () => {
    const clock = new ClockOffset();
    expect(clock.estimate()).toBeNull();
    exchange(clock, { count: 10, offset: () => 123.4, base: 7, up: () => 0, down: () => 0 });
    const estimate = clock.estimate()!;
    expect(estimate.offsetMs).toBeCloseTo(123.4, 9);
    // Half the round trip, and a little for the drift since the samples used.
    expect(estimate.uncertaintyMs).toBeGreaterThanOrEqual(7);
    expect(estimate.uncertaintyMs).toBeLessThan(7.1);
  });

  it('stays within a fraction of a millisecond under heavy, asymmetric jitter (where a mean is off by ms)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rnd = random(seed);
      // Upstream: bursts of queueing up to 30 ms (exponential, mean 6 ms); downstream nearly clean.
      const up = () => -6 * Math.log(1 - rnd());
      const down = () => 0.2 * rnd();
      const clock = new ClockOffset();
      const samples: number[] = [];
      let t = 2_000_000;
      for (let k = 0; k < 60; k++, t += 500) {
        const there = t + 3 + up();
        const back = there + 3 + down();
        clock.add(t, there + 123.4, back);
        samples.push(there + 123.4 - (t + back) / 2);
      }
      const mean = samples.slice(-CLOCK_SAMPLES).reduce((a, b) => a + b, 0) / CLOCK_SAMPLES;
      expect(Math.abs(mean - 123.4)).toBeGreaterThan(1.5);
      const estimate = clock.estimate()!;
      expect(Math.abs(estimate.offsetMs - 123.4)).toBeLessThan(0.5);
      expect(estimate.uncertaintyMs).toBeLessThan(5);
    }
  });

  it('follows two clocks drifting apart (50 ppm), preferring fresh samples to old ones', () => {
    const rnd = random(9);
    const clock = new ClockOffset();
    const offset = (t: number) => 40 + 50e-6 * (t - 1_000_000);
    const t = exchange(clock, {
      count: 120,
      offset,
      base: 2,
      up: () => 0.5 * rnd(),
      down: () => 0.5 * rnd(),
    });
    // A plain median of the window would be ~8 s × 50 ppm = 0.4 ms behind.
    expect(Math.abs(clock.estimate()!.offsetMs - offset(t))).toBeLessThan(0.25);
  });

  it('forgets samples older than its window, and ignores nonsense', () => {
    const clock = new ClockOffset();
    const t = exchange(clock, { count: 40, offset: () => 10, base: 1, up: () => 0, down: () => 0 });
    exchange(clock, {
      count: CLOCK_SAMPLES,
      offset: () => 20,
      base: 2,
      up: () => 0,
      down: () => 0,
      start: t,
    });
    expect(clock.size).toBe(CLOCK_SAMPLES);
    expect(clock.estimate()!.offsetMs).toBeCloseTo(20, 9);
    expect(clock.add(100, 50, 90)).toBe(false); // received before sent
    expect(clock.add(100, Number.NaN, 110)).toBe(false);
    expect(clock.add(100, 50, 100 + 60_000)).toBe(false);
    expect(clock.estimate()!.offsetMs).toBeCloseTo(20, 9);
    clock.reset();
    expect(clock.estimate()).toBeNull();
  });
});
