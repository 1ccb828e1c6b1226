import { describe, expect, it } from 'vitest';
import { PacketFlag } from '../../protocol/audio-layout.js';
import { JitterBuffer } from './jitter-buffer.js';
import { prng, simulate, type Scenario } from './jitter-buffer.sim.js';

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

// Pure arithmetic: measured ~8 s in all (30 simulated minutes take ~3 s); generous timeouts for busy CI.
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
    // Issue 3's "no gap longer than 20 ms": measured 1183 gaps, the longest 5 ms (two losses in a row).
    expect(jb.gapsOver20ms).toBe(0);
    expect(jb.longestGapSamples).toBeLessThanOrEqual(360);
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
    // Each 20-frame (50 ms) burst is one gap over 20 ms; nothing else is.
    expect(jb.gapsOver20ms).toBe(11);
    expect(jb.longestGapSamples).toBeGreaterThanOrEqual(20 * 120);
    expect(jb.longestGapSamples).toBeLessThanOrEqual(22 * 120);
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
    // The stall is one gap: the frames that came too late to play (measured 23, 57.5 ms).
    expect(jb.gapsOver20ms).toBe(1);
    expect(jb.longestGapSamples).toBe(jb.concealed * 120);
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

interface Sent {
  seq: number;
  senderTime: number;
  flags?: number;
  /** Extra transit, samples. */
  delay?: number;
  /** Sample value of the whole frame. */
  value?: number;
}

/**
 * A deterministic trace: frame k (120 samples) is complete at local time (k + 1) · 120 and arrives 5 ms
 * later (+ its `delay`); `frame(k)` says what is sent for it (null: lost). Packets are drained by the
 * first quantum at or after their arrival, in arrival order (ties: send order, as the Worker writes a
 * synthesised frame just before the frame that revealed the loss).
 */
function drive(
  seconds: number,
  frame: (k: number) => Sent | null,
  onBlock?: (b: number, jb: JitterBuffer) => void,
) {
  const f = 120;
  const jb = new JitterBuffer();
  const pcm = new Float32Array(2 * f);
  const out = [new Float32Array(128), new Float32Array(128)];
  const pending: Array<{ at: number; p: Sent }> = [];
  const outputs: number[] = [];
  let k = 0;
  for (let b = 0; b < seconds * 375; b++) {
    const now = b * 128;
    for (; (k + 1) * f <= now; k++) {
      const p = frame(k);
      if (p) pending.push({ at: (k + 1) * f + 240 + (p.delay ?? 0), p });
    }
    pending.sort((x, y) => x.at - y.at);
    while (pending.length > 0 && pending[0]!.at <= now) {
      const { p } = pending.shift()!;
      pcm.fill(p.value ?? 0.1);
      jb.push(p.seq >>> 0, p.senderTime >>> 0, p.flags ?? 0, f, 2, pcm, now);
    }
    onBlock?.(b, jb);
    jb.render(out, 128, now);
    for (let i = 0; i < 128; i++) if (out[0]![i] !== 0.1) outputs.push(out[0]![i]!);
  }
  return { jb, outputs };
}

const plain = (k: number): Sent => ({ seq: k, senderTime: k * 120, flags: k === 0 ? 1 : 0 });
const losing =
  (lost: (k: number) => boolean) =>
  (k: number): Sent | null =>
    lost(k) ? null : plain(k);

describe('JitterBuffer catch-up', () => {
  it('drops buffered frames at once when the playout lags far behind (a startup backlog clears)', () => {
    // The first second arrives 80 ms late (a backlog while the path warms up), then on time.
    const depth: number[] = [];
    const { jb } = drive(
      6,
      (k) => ({ ...plain(k), delay: k < 400 ? 3840 : 0 }),
      (b, j) => b % 375 === 0 && depth.push(j.depthMs - j.targetMs),
    );
    // Resampling 0.5 % faster would need ~16 s to play the 80 ms away; dropping frames takes < 1 s.
    expect(jb.skips).toBeGreaterThan(20);
    expect(Math.max(...depth.slice(3))).toBeLessThan(3);
    expect(jb.underruns).toBeLessThanOrEqual(1);
  });

  it('never drops frames on a steady stream with ±2 ms jitter', () => {
    const jitter = prng(7);
    const { jb } = drive(10, (k) => ({ ...plain(k), delay: Math.round(jitter() * 192) }));
    expect(jb.skips).toBe(0);
  });
});

describe('JitterBuffer gap measure', () => {
  it('a clean stream has no gaps', () => {
    const { jb } = drive(10, plain);
    expect(jb.concealed).toBe(0);
    expect(jb.gaps).toBe(0);
    expect(jb.longestGapSamples).toBe(0);
  });

  it.each([1, 4, 8, 9, 40])('a burst of %i lost packets is one gap of that many frames', (n) => {
    const { jb } = drive(
      10,
      losing((k) => k >= 2000 && k < 2000 + n),
    );
    expect(jb.concealed).toBe(n);
    expect(jb.gaps).toBe(1);
    expect(jb.longestGapSamples).toBe(n * 120);
    // 8 frames are exactly 20 ms: not longer than 20 ms.
    expect(jb.gapsOver20ms).toBe(n > 8 ? 1 : 0);
  });

  it('separate losses are separate gaps', () => {
    const { jb } = drive(
      10,
      losing((k) => k === 2000 || k === 2002 || (k >= 3000 && k < 3003)),
    );
    expect(jb.gaps).toBe(3);
    expect(jb.longestGapSamples).toBe(360);
  });

  it('frames the Worker synthesised (PacketFlag.Concealed) play but count as concealed', () => {
    // A deep buffer, so the synthesised frame (sent with the next one, as the Worker does) is on time.
    const synth = (k: number): Sent | null =>
      k === 2000 ? { ...plain(k), flags: PacketFlag.Concealed, delay: 120, value: 0.25 } : plain(k);
    const { jb, outputs } = drive(10, synth, (b, j) => (j.overrideMs = 20));
    expect(outputs.some((x) => Math.abs(x - 0.25) < 1e-4)).toBe(true); // it was played
    expect(jb.late).toBe(0);
    expect(jb.concealed).toBe(1);
    expect(jb.received).toBe(drive(10, plain).jb.received - 1);
    expect(jb.gaps).toBe(1);
    expect(jb.longestGapSamples).toBe(120);
  });

  it('a synthesised frame next to a lost one extends the same gap', () => {
    const { jb } = drive(
      10,
      (k) =>
        k === 2000 ? null : k === 2001 ? { ...plain(k), flags: PacketFlag.Concealed, delay: 120 } : plain(k),
      (b, j) => (j.overrideMs = 20),
    );
    expect(jb.gaps).toBe(1);
    expect(jb.longestGapSamples).toBe(240);
  });

  it('a synthesised frame that comes too late is a loss, not a late packet', () => {
    const { jb } = drive(10, (k) =>
      k === 2000 ? { ...plain(k), flags: PacketFlag.Concealed, delay: 2400 } : plain(k),
    );
    expect(jb.late).toBe(0);
    expect(jb.underruns).toBe(0);
    expect(jb.concealed).toBe(1);
    expect(jb.gaps).toBe(1);
    expect(jb.longestGapSamples).toBe(120);
  });

  it('synthesised frames do not feed the depth statistics', () => {
    // Every 50th frame lost and synthesised by the Worker when the next one arrives (one frame "late").
    const { jb: clean } = drive(30, plain);
    const { jb } = drive(30, (k) =>
      k % 50 === 25 ? { ...plain(k), flags: PacketFlag.Concealed, delay: 120 } : plain(k),
    );
    expect(jb.targetMs).toBe(clean.targetMs);
    expect(jb.underruns).toBe(0);
    expect(jb.gaps).toBe(Math.floor((30 * 48000) / 120 / 50));
    expect(jb.longestGapSamples).toBe(120);
  });

  it('frames restored from a redundant copy (PacketFlag.Recovered) are received audio without timing', () => {
    // Every 50th frame lost and restored from the next frame's copy: it arrives one frame "late".
    const recovered = (k: number): Sent | null =>
      k % 50 === 25 ? { ...plain(k), flags: PacketFlag.Recovered, delay: 120 } : plain(k);
    const { jb: clean } = drive(30, plain);
    const { jb } = drive(30, recovered);
    expect(jb.targetMs).toBe(clean.targetMs);
    expect(jb.received).toBe(clean.received);
    expect(jb.concealed).toBe(clean.concealed);
    expect(jb.gaps).toBe(0);
    // Too late to play: a loss the buffer already concealed, not a late packet.
    const { jb: tooLate } = drive(10, (k) =>
      k === 2000 ? { ...plain(k), flags: PacketFlag.Recovered, delay: 2400 } : plain(k),
    );
    expect(tooLate.late).toBe(0);
    expect(tooLate.underruns).toBe(0);
  });

  it('a frame the sender skipped (senderTime jumps, seq does not) is a gap', () => {
    const { jb } = drive(10, (k) => ({ ...plain(k), senderTime: k * 120 + (k >= 2000 ? 240 : 0) }));
    expect(jb.senderGaps).toBe(1);
    expect(jb.gaps).toBe(1);
    expect(jb.longestGapSamples).toBe(240);
  });

  it('growth inserts of the depth controller are not gaps', () => {
    const { jb } = drive(10, plain, (b, j) => (j.overrideMs = b >= 5 * 375 ? 30 : 0));
    expect(jb.inserts).toBeGreaterThan(0);
    expect(jb.gaps).toBe(0);
  });

  it('a delay spike is one gap of the frames it concealed; the growth inserts around it add nothing', () => {
    // Frames sent in 40 ms from 5 s on all arrive at its end (a network stall).
    const { jb } = drive(10, (k) => ({ ...plain(k), delay: k >= 2000 && k < 2016 ? (2016 - k) * 120 : 0 }));
    expect(jb.underruns).toBe(1);
    expect(jb.inserts).toBeGreaterThan(0);
    expect(jb.concealed).toBeGreaterThan(0);
    expect(jb.gaps).toBe(1);
    expect(jb.longestGapSamples).toBe(jb.concealed * 120);
  });

  it('the end of a stream is not a gap', () => {
    const { jb } = drive(8, (k) => (k < 2000 ? plain(k) : null));
    expect(jb.active).toBe(false);
    expect(jb.concealed).toBeGreaterThan(300); // the fade-out, until the peer counts as idle
    expect(jb.gaps).toBe(0);
    expect(jb.longestGapSamples).toBe(0);
  });

  it('a sender restart after a pause is not a gap', () => {
    // 200 ms without packets, then a new stream (new seq and senderTime, flag bit 0).
    const { jb } = drive(10, (k) =>
      k < 2000
        ? plain(k)
        : k < 2080
          ? null
          : { seq: 70000 + k, senderTime: 5e6 + k * 120, flags: k === 2080 ? 1 : 0 },
    );
    expect(jb.resyncs).toBe(1);
    expect(jb.concealed).toBeGreaterThan(70);
    expect(jb.gaps).toBe(0);
  });

  it('an outage beyond the 1 s idle timeout counts as the stream ending, not as a gap', () => {
    const { jb } = drive(
      10,
      losing((k) => k >= 2000 && k < 2500),
    );
    expect(jb.concealed).toBeGreaterThan(300);
    expect(jb.gaps).toBe(0);
  });

  it('reports the longest gap of each completed second, and clears on request', () => {
    const seconds = new Map<number, number>();
    const { jb } = drive(
      10,
      losing((k) => (k >= 2200 && k < 2203) || k === 2900 || k === 2950),
      (b, j) => seconds.set(j.gapSecond, j.lastSecondLongestGapSamples),
    );
    expect([...seconds.keys()]).toEqual([-1, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...seconds.values()]).toEqual([0, 0, 0, 0, 0, 0, 360, 0, 120, 0]);
    expect(jb.gaps).toBe(3);
    jb.clearStats();
    expect([jb.gaps, jb.gapsOver20ms, jb.longestGapSamples, jb.lastSecondLongestGapSamples]).toEqual([
      0, 0, 0, 0,
    ]);
    expect([jb.received, jb.concealed, jb.underruns]).toEqual([0, 0, 0]);
  });
});
