import { describe, expect, it } from 'vitest';
import { simulate, type Scenario } from './jitter-buffer.sim.js';

/** Runs a scenario, sampling target and depth (ms) once per simulated second. */
function run(s: Scenario) {
  const targets: number[] = [];
  const depths: number[] = [];
  const jb = simulate({
    ...s,
    onSecond: (_sec, j) => {
      targets.push(j.targetMs);
      depths.push(j.depthMs);
    },
  });
  return { jb, targets, depths, minutes: s.seconds / 60 };
}

const max = (a: number[]) => Math.max(...a);
const min = (a: number[]) => Math.min(...a);
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

// Pure arithmetic: ~5 s in all unloaded (30 simulated minutes take ~3 s); generous timeouts for busy CI.
describe('JitterBuffer on simulated networks', { timeout: 60_000 }, () => {
  it('clean network, 2.5 ms frames: shrinks to the floor and never underruns', () => {
    const { jb, targets } = run({ seconds: 60 });
    expect(jb.underruns).toBe(0);
    expect(jb.concealed).toBe(0);
    // Measured 5.33 ms: 2 steps (2.5 ms) + 2.83 ms look-ahead. The 120-vs-128 drain phase (up to
    // 2.67 ms) is mostly covered by the on-time slack: the quantum that drains a packet can play it.
    expect(max(targets.slice(10))).toBeLessThanOrEqual(5.4);
  });

  it('±2 ms jitter (σ 0.67 ms) and 1 % loss: small target, ≤ 1 underrun per minute, no clicks', () => {
    let natural = 0;
    let worst = 0;
    let prev = 0;
    const sine = (i: number) => 0.5 * Math.sin((2 * Math.PI * 220 * i) / 48000);
    for (let i = 1; i < 1000; i++) natural = Math.max(natural, Math.abs(sine(i) - sine(i - 1)));
    const { jb, targets, minutes } = run({
      seconds: 300,
      jitterMs: 0.67,
      loss: 0.01,
      signal: sine,
      onBlock: (l, b) => {
        if (b < 375 * 5) return;
        if (b === 375 * 5) prev = l[0]!;
        for (let i = 0; i < 128; i++) {
          worst = Math.max(worst, Math.abs(l[i]! - prev));
          prev = l[i]!;
        }
      },
    });
    const settled = targets.slice(30);
    // Measured: 7.83 ms throughout (was 9.08 while the look-ahead was counted twice: in the drain
    // frame and again in the on-time test). Jitter range 4 ms + drain phase 2.67 ms, − 1.2 ms slack.
    expect(max(settled)).toBeLessThanOrEqual(7.9);
    expect(min(settled)).toBeGreaterThanOrEqual(6.5);
    expect(jb.underruns / minutes).toBeLessThanOrEqual(1);
    // 1 % of 120 000 frames lost ≈ 1 200 concealed.
    expect(jb.concealed).toBeGreaterThan(900);
    expect(jb.concealed).toBeLessThan(1500);
    // Measured 1.9× the sine's own largest step at the concealment seams; a click would be ~35×.
    expect(worst).toBeLessThan(natural * 2.5);
  });

  it('loss bursts, reordering and duplicates: counted, concealed, and the target does not grow', () => {
    const { jb, targets } = run({
      seconds: 120,
      jitterMs: 0.67,
      loss: 0.01,
      burstEverySeconds: 10,
      burstFrames: 20,
      reorder: 0.02,
      duplicate: 0.02,
    });
    expect(jb.duplicates).toBeGreaterThan(800);
    expect(jb.duplicates).toBeLessThan(1200);
    expect(jb.concealed).toBeGreaterThan(11 * 20 + 400);
    // Measured 9.08 ms (was 10.3–11.6): the 2 % of packets held back one extra frame (2.5 ms) need
    // one more step than the jitter alone; the bursts are losses, not delays, so they add nothing.
    expect(max(targets.slice(30))).toBeLessThanOrEqual(9.1);
    expect(jb.underruns / 2).toBeLessThanOrEqual(1);
  });

  it.each([100, -100])('stays at a stable depth over 30 minutes of %i ppm drift', (ppm) => {
    const { jb, depths, targets, minutes } = run({ seconds: 1800, jitterMs: 0.67, driftPpm: ppm, seed: 7 });
    expect(Math.abs(jb.driftPpm - ppm)).toBeLessThan(10);
    const early = depths.slice(300, 600);
    const late = depths.slice(1500, 1800);
    // No monotonic growth: the last 5 minutes sit where minutes 5–10 sat.
    expect(Math.abs(mean(late) - mean(early))).toBeLessThan(1);
    expect(max(depths.slice(60)) - min(depths.slice(60))).toBeLessThan(4);
    // Measured 7.83 ms throughout (was 9.1, now and then 10.3).
    expect(max(targets.slice(60))).toBeLessThanOrEqual(7.9);
    expect(jb.underruns / minutes).toBeLessThanOrEqual(1);
  });

  it('grows fast on a 60 ms network stall and shrinks back within 45 s', () => {
    const { jb, targets } = run({ seconds: 150, jitterMs: 0.67, stall: { atSeconds: 60, ms: 60 } });
    const before = max(targets.slice(30, 59));
    expect(max(targets.slice(60, 65))).toBeGreaterThan(before + 20);
    expect(jb.underruns).toBeGreaterThanOrEqual(1);
    // The spike ages out of the statistics after ~21 s (30 s τ, bound 1/min), then 4 steps/s.
    expect(max(targets.slice(105))).toBeLessThanOrEqual(before + 1.25);
  });

  it('holds a manual override depth', () => {
    const { depths } = run({ seconds: 30, jitterMs: 0.3, overrideMs: 20 });
    expect(Math.abs(mean(depths.slice(10)) - 20)).toBeLessThan(1);
  });

  it('resynchronises on a sender restart and keeps playing without a click', () => {
    const sine = (i: number) => 0.5 * Math.sin((2 * Math.PI * 220 * i) / 48000);
    let prev = 0;
    let worst = 0;
    const { jb } = run({
      seconds: 40,
      jitterMs: 0.3,
      restartAtSeconds: 20,
      signal: sine,
      onBlock: (l, b) => {
        if (b < 375) prev = l[127]!;
        else
          for (let i = 0; i < 128; i++) {
            worst = Math.max(worst, Math.abs(l[i]! - prev));
            prev = l[i]!;
          }
      },
    });
    expect(jb.resyncs).toBe(1);
    expect(jb.active).toBe(true);
    expect(jb.late).toBe(0);
    // The sine's own largest step is 0.0144; a click would be ~0.5.
    expect(worst).toBeLessThan(0.04);
  });

  it('works with 10 ms frames', () => {
    const { jb, targets, minutes } = run({ seconds: 120, frameSamples: 480, jitterMs: 0.67, loss: 0.01 });
    // Measured 6.58 ms (was 9.1): 480-sample frames drain in phase with the 128-sample quanta.
    expect(max(targets.slice(30))).toBeLessThanOrEqual(6.6);
    expect(jb.underruns / minutes).toBeLessThanOrEqual(1);
  });
});
