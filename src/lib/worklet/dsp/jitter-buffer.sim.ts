/**
 * Test-only network simulator for the jitter buffer: a sender at a drifting clock, a lossy, jittery,
 * reordering, duplicating network, and a receiver that drains packets at render-quantum boundaries,
 * exactly as the playback worklet does. Pure arithmetic, so 30 simulated minutes run in seconds.
 */
import { JitterBuffer, type JitterBufferOptions } from './jitter-buffer.js';

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Scenario {
  seed?: number;
  seconds: number;
  frameSamples?: number;
  /** Gaussian jitter σ, ms, clipped to ±jitterClipMs. */
  jitterMs?: number;
  jitterClipMs?: number;
  /** Independent loss probability. */
  loss?: number;
  /** Every `burstEverySeconds`, lose `burstFrames` consecutive frames. */
  burstEverySeconds?: number;
  burstFrames?: number;
  /** Probability a packet is held back one extra frame (reordering). */
  reorder?: number;
  /** Probability a packet is delivered twice. */
  duplicate?: number;
  /** Sender clock relative to the receiver's (positive: sender fast). */
  driftPpm?: number;
  /** Network stall: packets sent in [atSeconds, atSeconds + ms) all arrive at its end. */
  stall?: { atSeconds: number; ms: number };
  /** Sender restarts (new seq and senderTime, flag bit 0) at this time. */
  restartAtSeconds?: number;
  options?: JitterBufferOptions;
  /** Manual depth override, ms. */
  overrideMs?: number;
  /** Called once per second of simulated time. */
  onSecond?: (second: number, jb: JitterBuffer) => void;
  /** Called per render quantum with the output (for audio checks). */
  onBlock?: (left: Float32Array, block: number) => void;
  /** Sample value of sender sample index i (default: silence). */
  signal?: (i: number) => number;
}

interface Pending {
  at: number;
  seq: number;
  senderTime: number;
  index: number;
  flags: number;
}

export function simulate(s: Scenario): JitterBuffer {
  const rand = prng(s.seed ?? 1);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const sr = 48000;
  const f = s.frameSamples ?? 120;
  const jitter = ((s.jitterMs ?? 0) * sr) / 1000;
  const clip = ((s.jitterClipMs ?? 2) * sr) / 1000;
  const base = 0.005 * sr + clip;
  const rate = 1 + (s.driftPpm ?? 0) * 1e-6;
  const jb = new JitterBuffer(s.options);
  jb.overrideMs = s.overrideMs ?? 0;
  const pcm = new Float32Array(2 * f);
  const out = [new Float32Array(128), new Float32Array(128)];
  const pending: Pending[] = [];
  const blocks = Math.floor((s.seconds * sr) / 128);
  let k = 0;
  let seq0 = 0xffffff00;
  let time0 = 0xfffff000;
  let kRestart = -1;
  let burstLeft = 0;
  let nextBurst = s.burstEverySeconds ? s.burstEverySeconds * sr : Infinity;
  for (let b = 0; b < blocks; b++) {
    const now = b * 128;
    // Frame k is complete on the sender at local time (k + 1)·f / rate.
    for (let t = ((k + 1) * f) / rate; t <= now; t = ((k + 1) * f) / rate) {
      if (s.restartAtSeconds !== undefined && kRestart < 0 && t >= s.restartAtSeconds * sr) {
        kRestart = k;
        seq0 = 12345 - k;
        time0 = 999_999 - k * f;
      }
      const frame = {
        seq: (seq0 + k) >>> 0,
        senderTime: (time0 + k * f) >>> 0,
        index: k,
        flags: k === 0 || k === kRestart ? 1 : 0,
      };
      k++;
      if (t >= nextBurst) {
        burstLeft = s.burstFrames ?? 0;
        nextBurst += (s.burstEverySeconds ?? Infinity) * sr;
      }
      if (burstLeft > 0) {
        burstLeft--;
        continue;
      }
      if (rand() < (s.loss ?? 0)) continue;
      let delay = base + Math.max(-clip, Math.min(clip, gauss() * jitter));
      if (rand() < (s.reorder ?? 0)) delay += f;
      let at = t + delay;
      if (s.stall && t >= s.stall.atSeconds * sr && t < (s.stall.atSeconds + s.stall.ms / 1000) * sr) {
        at = Math.max(at, (s.stall.atSeconds + s.stall.ms / 1000) * sr + base);
      }
      pending.push({ at, ...frame });
      if (rand() < (s.duplicate ?? 0)) pending.push({ at: at + rand() * 0.005 * sr, ...frame });
    }
    pending.sort((x, y) => x.at - y.at);
    let n = 0;
    while (n < pending.length && pending[n]!.at <= now) {
      const p = pending[n++]!;
      if (s.signal) {
        for (let i = 0; i < f; i++) pcm[i] = pcm[f + i] = s.signal(p.index * f + i);
      }
      jb.push(p.seq, p.senderTime, p.flags, f, 2, pcm, now);
    }
    pending.splice(0, n);
    jb.render(out, 128, now);
    s.onBlock?.(out[0]!, b);
    if ((b + 1) % 375 === 0) s.onSecond?.((b + 1) / 375, jb);
  }
  return jb;
}
