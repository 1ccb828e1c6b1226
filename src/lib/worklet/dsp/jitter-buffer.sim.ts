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

/** A recorded arrival trace (`bench:trace`): what the receiving Worker saw, before the packet ring. */
export interface ArrivalTrace {
  frameSamples: number;
  /** µs after the first arrival (Worker clock). */
  arrivalsUs: number[];
  /** Relative sequence numbers. */
  seqs: number[];
  /** Sender sample index of each frame's first sample, relative, 48 kHz. */
  senderTimes: number[];
}

export interface Replay {
  trace: ArrivalTrace;
  /**
   * Device callback period, samples: every `burstSamples` of wall time the audio thread renders quanta
   * back to back until it is `burstSamples` ahead (Chromium's 10 ms callback = 480). 128: one quantum
   * at a time, just in time.
   */
  burstSamples?: number;
  /** Offset of the render schedule against the trace, ms (the phase of arrivals vs. callbacks). */
  phaseMs?: number;
  /**
   * Render-thread stalls: with this probability per callback the audio thread runs late by up to
   * `stallMaxMs` (uniform), then renders the quanta it owes back to back.
   */
  stallProbability?: number;
  stallMaxMs?: number;
  seed?: number;
  /** Plays the trace this many times back to back (a continuous stream; default 1). */
  loops?: number;
  options?: JitterBufferOptions;
  overrideMs?: number;
  /** Called once per second of trace time. */
  onSecond?: (second: number, jb: JitterBuffer) => void;
  /**
   * Called per render quantum with the playout delay vs. the sender clock, ms: when the quantum's first
   * sample plays (its frame) minus when the sender captured it, less the fastest transit in the trace
   * (so 0 = played the instant the fastest packet could have arrived). Not called while concealing.
   */
  onPlayout?: (delayMs: number, frame: number) => void;
}

/**
 * Replays a recorded trace through a JitterBuffer with a (bursty) render schedule, as the playback
 * worklet would see it: packets are drained by the first quantum rendered after they arrive. Each
 * packet carries its sender sample index as a ramp (value = index / 2²¹, exact in Float32 for the
 * trace's length), so `onPlayout` can read the playout position off the output.
 */
export function replay(r: Replay): JitterBuffer {
  const { trace } = r;
  const sr = 48000;
  const f = trace.frameSamples;
  const burst = r.burstSamples ?? 128;
  const jb = new JitterBuffer(r.options);
  jb.overrideMs = r.overrideMs ?? 0;
  const pcm = new Float32Array(2 * f);
  const out = [new Float32Array(128), new Float32Array(128)];
  // Arrival (samples of the trace clock), seq and senderTime of every packet, over all loops.
  const len = trace.arrivalsUs.length;
  const at: number[] = [];
  const seqs: number[] = [];
  const times: number[] = [];
  for (let l = 0; l < (r.loops ?? 1); l++) {
    const t0 = l * ((trace.arrivalsUs[len - 1]! * sr) / 1e6 + f);
    const s0 = l * (trace.senderTimes[len - 1]! + f);
    const q0 = l * (trace.seqs[len - 1]! + 1);
    for (let i = 0; i < len; i++) {
      at.push(t0 + (trace.arrivalsUs[i]! * sr) / 1e6);
      times.push(s0 + trace.senderTimes[i]!);
      seqs.push(q0 + trace.seqs[i]!);
    }
  }
  const n = at.length;
  let fastest = Infinity;
  for (let i = 0; i < n; i++) fastest = Math.min(fastest, at[i]! - times[i]!);
  const phase = ((r.phaseMs ?? 0) * sr) / 1000;
  const end = at[n - 1]!;
  let next = 0;
  let q = 0;
  let second = 0;
  const rand = prng(r.seed ?? 1);
  const stallMax = ((r.stallMaxMs ?? 0) * sr) / 1000;
  let stallEnd = -Infinity;
  for (let call = 0; call * burst < end; call++) {
    // Wall time of this callback, in samples of the trace clock.
    const wall = call * burst + phase;
    if (wall >= stallEnd && rand() < (r.stallProbability ?? 0)) stallEnd = wall + rand() * stallMax;
    if (wall < stallEnd) continue;
    for (; q * 128 < (call + 1) * burst; q++) {
      const now = q * 128;
      while (next < n && at[next]! <= wall) {
        const s = times[next]!;
        for (let i = 0; i < f; i++) pcm[i] = pcm[f + i] = (s + i) / 2 ** 21;
        jb.push(seqs[next]! >>> 0, s >>> 0, next === 0 ? 1 : 0, f, 2, pcm, now);
        next++;
      }
      jb.render(out, 128, now);
      if (r.onPlayout) {
        // Concealment and silence break the ramp; report only a clean ramp over the quantum.
        const l = out[0]!;
        const slope = (l[127]! - l[0]!) * 2 ** 21;
        // Frame `now` plays at wall time now + phase (+ the constant output latency).
        if (l[0]! > 0 && Math.abs(slope - 127 * jb.ratio) < 2) {
          r.onPlayout(((now + phase - l[0]! * 2 ** 21 - fastest) * 1000) / sr, now);
        }
      }
      if (now >= (second + 1) * sr) r.onSecond?.(++second, jb);
    }
  }
  return jb;
}
