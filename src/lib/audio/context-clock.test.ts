import { describe, expect, it } from 'vitest';
import { ContextClock } from './context-clock';

/** A seeded generator, so a failure repeats. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ORIGIN = 1_796_000_000_000;
const QUANTUM_MS = (128 / 48_000) * 1000;

/** Readings every `everyMs` of a context whose time reaches the speaker at ORIGIN + t·(1 + ppm) ms. */
function feed(
  clock: ContextClock,
  {
    from,
    to,
    everyMs,
    ppm = 0,
    jitter,
  }: { from: number; to: number; everyMs: number; ppm?: number; jitter: () => number },
): void {
  for (let t = from; t <= to; t += everyMs) clock.add(t / 1000, ORIGIN + t * (1 + ppm * 1e-6) + jitter(), 5);
}

describe('ContextClock', () => {
  it('has no mapping before its first reading', () => {
    expect(new ContextClock().toEpochMs(1, false)).toBeNaN();
  });

  it('maps through quantum-late readings and rare stalls to within 0.6 ms, steady from reading to reading', () => {
    const rand = random(7);
    const clock = new ContextClock();
    // Each reading lands up to a quantum late; one in twenty is a 30 ms stall.
    const jitter = () => (rand() < 0.05 ? 30 : rand() * QUANTUM_MS);
    let previous: number | null = null;
    let largestStep = 0;
    for (let t = 250; t <= 180_000; t += 250) {
      feed(clock, { from: t, to: t, everyMs: 250, jitter });
      if (t < 30_000) continue;
      const mapped = clock.toEpochMs(60, false);
      if (previous !== null) largestStep = Math.max(largestStep, Math.abs(mapped - previous));
      previous = mapped;
      // The readings' typical lateness (half a quantum) is part of every reading, so it is the reference.
      expect(Math.abs(clock.toEpochMs(t / 1000, false) - (ORIGIN + t + QUANTUM_MS / 2))).toBeLessThan(0.6);
    }
    expect(largestStep).toBeLessThan(0.3);
  });

  it('follows a 100 ppm drift between the sound card and the system clock within 0.6 ms', () => {
    const rand = random(3);
    const clock = new ContextClock();
    feed(clock, { from: 250, to: 60_000, everyMs: 250, ppm: 100, jitter: () => rand() * 0.5 });
    const t = 60_000;
    expect(Math.abs(clock.toEpochMs(t / 1000, false) - (ORIGIN + t * (1 + 1e-4) + 0.25))).toBeLessThan(0.6);
  });

  it('reads steps as steps, not as a drift between them', () => {
    const clock = new ContextClock();
    // The context loses 8 ms every 20 s (device stalls); read just after the third step has settled.
    feed(clock, { from: 250, to: 63_000, everyMs: 250, jitter: () => 0 });
    for (let t = 250; t <= 63_000; t += 250) clock.add(t / 1000, ORIGIN + t + 8 * Math.floor(t / 20_000), 5);
    expect(clock.toEpochMs(63, false)).toBeCloseTo(ORIGIN + 63_000 + 24, 2);
  });

  it('subtracts the output latency for captured frames', () => {
    const clock = new ContextClock();
    feed(clock, { from: 1000, to: 5000, everyMs: 1000, jitter: () => 0 });
    expect(clock.toEpochMs(3, false) - clock.toEpochMs(3, true)).toBeCloseTo(5, 6);
  });

  it('starts a new line when the clock moves for good (a device stall, a suspended context)', () => {
    const clock = new ContextClock();
    feed(clock, { from: 1000, to: 30_000, everyMs: 1000, jitter: () => 0 });
    // The device stalled for 10 ms: context time stood still while the epoch went on.
    feed(clock, { from: 31_000, to: 32_000, everyMs: 1000, jitter: () => 10 });
    expect(clock.toEpochMs(32, false)).toBeCloseTo(ORIGIN + 32_000, 2); // two readings are a stall
    feed(clock, { from: 33_000, to: 34_000, everyMs: 1000, jitter: () => 10 });
    expect(clock.toEpochMs(34, false)).toBeCloseTo(ORIGIN + 34_000 + 10, 2);
  });
});
