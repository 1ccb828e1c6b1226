/**
 * Adaptive jitter buffer for one remote peer: packets in by sequence number, 128-sample render quanta
 * out, with loss concealment and drift-compensating resampling. Pure: the caller supplies the local
 * time (the AudioContext sample frame at the start of the current render quantum) with every call.
 *
 * Timeline. Each arriving packet has a transit offset o = localDrain − senderTime (samples; the unknown
 * clock offset cancels out in differences), where localDrain is the start frame of the render quantum
 * that drained it: the first quantum rendered after it arrived, whatever the render thread's bursts.
 * senderTime, not seq, is the media timeline: a sender that skips input (its encoder fell behind) sends
 * the next frame with a later senderTime and no seq gap, and playout conceals the gap. `floor` tracks
 * the fastest recent packets: it steps down by at most 0.25 ms per packet (so a few packets that only
 * look early, drained by quanta the render thread ran late, do not drag the timeline down) and leaks
 * upward at 2000 ppm (it follows a lasting rise in transit, e.g. one more frame queued in the sender's
 * encoder, within a second or two). Playout runs at a delay P = floor + D + LOOKAHEAD (local time −
 * sender time of the sample playing); a packet is on time iff o − floor ≤ D + ON_TIME_SLACK (see
 * there: the quantum that drains a packet may already play it). D is what the controller chooses;
 * LOOKAHEAD (render quantum + interpolator taps) is latency every block-based player pays.
 *
 * Depth control, after Jamulus's `CNetBufWithStats` (src/buffer.cpp): Jamulus runs simulation buffers of
 * 2…11 blocks beside the real one, tracks each one's error rate with exponential forgetting, picks the
 * smallest size whose rate is under a bound, then smooths the decision with an up/down IIR and a
 * hysteresis. Here the candidates are depths 0, 1.25, 2.5 … 58.75 ms evaluated on the real arrival
 * timeline; a run of consecutive late packets is one error event, so a single delay spike costs one
 * event, not forty. Each candidate's event rate is an EMA with a 30 s time constant; the bound is 1
 * event per minute (one event keeps a candidate out for ~21 s). The first 3 s of a stream are noisy:
 * at 3 s 90 % of their evidence is forgotten, so a startup spike does not hold the depth for 20 s. The
 * decision grows the target at once (an underrun is audible) and shrinks it one step per second of
 * continuous evidence, four steps per second while more than four steps too deep (more than one, after
 * the warm-up until it first meets the decision). Growth is realised by
 * inserting concealment (one insert per quantum), shrinking by resampling up to 0.5 % faster, so neither
 * is a jump in the audio. Only when the playout lags more than 20 ms behind where it should be (the
 * fastest packets got much faster: a startup backlog, the end of a long stall) would resampling take
 * seconds (0.5 % drains 5 ms per second): then the buffered frames in excess are dropped at once, the
 * next one crossfading in from a continuation of the last (`skips` counts the dropped frames).
 *
 * Per packet: late (its time has passed: counted, dropped; consecutive lates are one underrun),
 * duplicate (already stored or already played: counted, dropped), reordered (stored by seq, fine),
 * missing at playout (concealed). Stream restart (flag bit 0 with a new seq, a frame-size change, a seq
 * jump beyond the slot window, a senderTime more than the slot window off its seq's place, or 1 s of
 * silence from the peer) resynchronises: the buffer restarts at the current target depth.
 *
 * Gaps (issue 3: "no gap lasts longer than 20 ms"). A gap is a run of consecutive output the buffer did
 * not fill with received audio because the audio was missing: frames missing or late at playout, frames
 * the Worker synthesised for a frame that never arrived (`PacketFlag.Concealed`), and stretches the
 * sender skipped (`senderGaps`). Its length is the concealed samples of the run (stream samples; the
 * drift resampler plays them within 0.5 % of that). A gap ends when received audio plays; only then is
 * it counted (`gaps`, `gapsOver20ms`, `longestGapSamples`). Not gaps: the depth controller's growth
 * inserts (also those that refill the depth after a resync) neither add to nor end a run; the silence
 * before a stream starts is not concealment; and a run the stream never resumes from is its end, not a
 * gap: dropped when the peer goes idle (1 s without packets), restarts its stream (flag bit 0) or is
 * reset. So an outage longer than the 1 s idle timeout counts as the stream ending and starting again.
 *
 * Synthesised frames play like received ones but count as `concealed`, not `received`. They carry no
 * timing information (the Worker makes them when the frame after the loss arrives), so they do not feed
 * the depth statistics, and one that comes too late is dropped uncounted: the buffer has already
 * concealed that frame itself. Frames restored from a redundant copy (`PacketFlag.Recovered`) are
 * received audio, but they come with the next frame too: the same timing and lateness rules apply.
 */
import { AudioFrameFlag, isFrameSamples, seqDiff } from '../../protocol/audio-frame.js';
import { PacketFlag } from '../../protocol/audio-layout.js';
import { Concealer } from './conceal.js';
import { DriftEstimator, Resampler, ratioFor } from './drift.js';

const SLOTS = 64;
const MAX_FRAME = 480;
export const JB_CANDIDATES = 48;
export const JB_STEP_SAMPLES = 60;
/** Render quantum (128) + interpolator look-ahead (3) + margin. */
export const JB_LOOKAHEAD_SAMPLES = 136;
/** Depth error (samples) below which growth is left to the resampler rather than an insert. */
const INSERT_MIN = 48;
/** Excess delay (samples) above which buffered frames are dropped rather than resampled away (20 ms). */
const SKIP_MIN = 960;
/**
 * How far past the depth a packet may come and still play. A packet drained at quantum N (o = N − its
 * senderTime) is first read by the quantum that needs sample senderTime, i.e. by N itself when
 * o ≤ P − 2 (a quantum reads up to 129 samples ahead of its start: 127 + 2 interpolator taps). With
 * P = floor + D + LOOKAHEAD that is o − floor ≤ D + 134. Less: the playout may sit up to INSERT_MIN
 * shallow, and 30 samples (0.6 ms) of margin for its wobble around the target, which on the recorded
 * traces takes PCM from ~1.5 to ≤ 1 underrun per minute.
 */
const ON_TIME_SLACK = JB_LOOKAHEAD_SAMPLES - 2 - INSERT_MIN - 30;
/** Seq distance behind playout treated as a sender restart rather than a late packet. */
const RESTART_BEHIND = 1000;

export interface JitterBufferOptions {
  sampleRate?: number;
  /** Candidate error-event bound, events per minute. */
  errorsPerMinute?: number;
  /** Forgetting time constant of the candidates' error rates. */
  statsTauSeconds?: number;
  /** Depth a fresh stream starts at. */
  initialDepthMs?: number;
  /** Evidence needed before shrinking by one step. */
  shrinkHoldSeconds?: number;
  /** Upward leak of the floor (it follows a persistent increase in transit time at this rate). */
  floorLeakPpm?: number;
  /** The floor moves down at most this far per early packet (Infinity: straight to the minimum). */
  floorStepSamples?: number;
  /** At this age of a stream, 90 % of the statistics gathered so far are forgotten (0: never). */
  warmupSeconds?: number;
}

export class JitterBuffer {
  // ---- counters (read by the processor into the status block) ----
  received = 0;
  late = 0;
  underruns = 0;
  concealed = 0;
  duplicates = 0;
  dropped = 0;
  resyncs = 0;
  inserts = 0;
  /** Buffered frames dropped to catch up with a playout far too deep (see the top comment). */
  skips = 0;
  /** Concealed stretches where the sender skipped frames (senderTime jumped, seq did not). */
  senderGaps = 0;
  /** Gaps (see the top comment) that ended, i.e. received audio resumed after them. */
  gaps = 0;
  /** Gaps longer than 20 ms (a run of exactly 20 ms is not). */
  gapsOver20ms = 0;
  /** Longest gap, samples, since construction or `clearStats()` (the processor's per-peer value). */
  longestGapSamples = 0;
  /**
   * The last completed second of the local clock (`floor(now / sampleRate) − 1`) and the longest gap
   * that ended during it, samples. A reader that looks at least once a second sees every second's
   * longest gap, so it can take the longest over any window of whole seconds (the benchmark does).
   */
  gapSecond = -1;
  lastSecondLongestGapSamples = 0;
  /** Current playback ratio (sender samples per output sample). */
  ratio = 1;
  /** Channels of the latest packet (1 = mono source). */
  channels = 1;
  /** Fixed depth in ms (the same measure as `targetMs`); 0 = automatic. */
  overrideMs = 0;

  private readonly sr: number;
  private readonly errorsPerMinute: number;
  private readonly tau: number;
  private readonly initialK: number;
  private readonly shrinkHold: number;
  private readonly leak: number;
  private readonly warmup: number;
  private readonly floorStep: number;

  private readonly pcm = new Float32Array(SLOTS * 2 * MAX_FRAME);
  private readonly slotPlanes: Float32Array[][] = [];
  private readonly slotSeq = new Float64Array(SLOTS);
  private readonly slotTime = new Uint32Array(SLOTS);
  private readonly slotValid = new Uint8Array(SLOTS);
  /** The slot holds a frame the Worker synthesised (`PacketFlag.Concealed`). */
  private readonly slotSynth = new Uint8Array(SLOTS);
  private readonly playedSeq = new Float64Array(SLOTS).fill(-1);
  private readonly tmp = [new Float32Array(2 * MAX_FRAME), new Float32Array(2 * MAX_FRAME)];
  private readonly concealer: Concealer;
  private readonly resampler = new Resampler();
  private readonly drift: DriftEstimator;
  private readonly rate = new Float64Array(JB_CANDIDATES);
  private readonly inLate = new Uint8Array(JB_CANDIDATES);

  private started = false;
  private frame = 120;
  private startSeq = 0;
  private nextSeq = 0;
  private highestSeq = 0;
  private nextRel = 0;
  private senderBase = 0;
  private localBase = 0;
  private floor = 0;
  private lastArrival = 0;
  private lastLateSeq = -2;
  private targetK = 0;
  private shrinkTimer = 0;
  private lastErr = 0;
  private warming = false;
  private settling = false;
  /** Concealed samples of the gap in progress (0: none). */
  private gapRun = 0;
  private readonly gapOver: number;
  private secondLongest = 0;

  constructor(options: JitterBufferOptions = {}) {
    this.sr = options.sampleRate ?? 48000;
    this.errorsPerMinute = options.errorsPerMinute ?? 1;
    this.tau = (options.statsTauSeconds ?? 30) * this.sr;
    this.initialK = Math.round(((options.initialDepthMs ?? 5) * this.sr) / 1000 / JB_STEP_SAMPLES);
    this.shrinkHold = (options.shrinkHoldSeconds ?? 1) * this.sr;
    this.leak = (options.floorLeakPpm ?? 2000) * 1e-6;
    this.floorStep = options.floorStepSamples ?? 12;
    this.warmup = (options.warmupSeconds ?? 3) * this.sr;
    this.gapOver = Math.round(0.02 * this.sr);
    this.concealer = new Concealer({ sampleRate: this.sr });
    this.drift = new DriftEstimator(20 * this.sr);
    for (let s = 0; s < SLOTS; s++) {
      const o = s * 2 * MAX_FRAME;
      this.slotPlanes.push([
        this.pcm.subarray(o, o + MAX_FRAME),
        this.pcm.subarray(o + MAX_FRAME, o + 2 * MAX_FRAME),
      ]);
    }
    this.targetK = this.initialK;
  }

  get active(): boolean {
    return this.started;
  }

  /** Depth the controller steers to, ms (includes the look-ahead: comparable to `depthMs`). */
  get targetMs(): number {
    return ((this.depthSamples() + JB_LOOKAHEAD_SAMPLES) * 1000) / this.sr;
  }

  /** Playout delay above the fastest recent packet, ms. */
  get depthMs(): number {
    return ((this.lastErr + this.depthSamples() + JB_LOOKAHEAD_SAMPLES) * 1000) / this.sr;
  }

  /** Received audio not yet played, ms. */
  get bufferedMs(): number {
    if (!this.started) return 0;
    const ahead = Math.max(0, seqDiff(this.highestSeq, this.nextSeq) + 1) * this.frame;
    return ((ahead + this.resampler.buffered) * 1000) / this.sr;
  }

  get driftPpm(): number {
    return this.drift.ppm(this.sr);
  }

  /** Forgets the stream (peer removed). Counters are kept: `clearStats()` zeroes them. */
  reset(): void {
    this.started = false;
    this.slotValid.fill(0);
    this.playedSeq.fill(-1);
    this.resampler.reset();
    this.concealer.reset();
    this.drift.reset();
    this.rate.fill(0);
    this.inLate.fill(0);
    this.targetK = this.initialK;
    this.ratio = 1;
    this.lastErr = 0;
    this.gapRun = 0;
  }

  /** Zeroes every counter (a new peer in the slot); the stream itself is untouched. */
  clearStats(): void {
    this.received = this.late = this.underruns = this.concealed = this.duplicates = this.dropped = 0;
    this.resyncs = this.inserts = this.skips = this.senderGaps = 0;
    this.gaps = 0;
    this.gapsOver20ms = 0;
    this.longestGapSamples = 0;
    this.lastSecondLongestGapSamples = 0;
    this.secondLongest = 0;
  }

  /**
   * One decoded packet. `pcm` is planar (channel c at [c × frameSamples, …)); `now` is the local sample
   * time of the render quantum during which it was drained. Never throws: bad shapes are counted.
   */
  push(
    seq: number,
    senderTime: number,
    flags: number,
    frameSamples: number,
    channels: number,
    pcm: Float32Array,
    now: number,
  ): void {
    // A frame the Worker synthesised is concealment, not received audio (see the top comment).
    const synth = (flags & PacketFlag.Concealed) !== 0;
    // Synthesised and recovered frames reach us with the frame after them: no timing evidence.
    const untimed = (flags & (PacketFlag.Concealed | PacketFlag.Recovered)) !== 0;
    if (!synth) this.received++;
    if (
      !isFrameSamples(frameSamples) ||
      (channels !== 1 && channels !== 2) ||
      pcm.length < frameSamples * channels
    ) {
      this.dropped++;
      return;
    }
    seq = seq >>> 0;
    let d = this.started ? seqDiff(seq, this.nextSeq) : 0;
    const restart = this.started && (flags & AudioFrameFlag.StreamStart) !== 0 && seq !== this.startSeq;
    if (
      !this.started ||
      restart ||
      frameSamples !== this.frame ||
      d >= SLOTS ||
      d < -RESTART_BEHIND ||
      // A senderTime far off the seq's expected position is a new timeline, not skipped frames.
      Math.abs(seqDiff(senderTime >>> 0, this.senderBase) - this.nextRel - d * this.frame) >
        SLOTS * this.frame
    ) {
      // The sender restarted: a run being concealed was the old stream's end, not a gap.
      if (restart) this.gapRun = 0;
      this.resync(seq, senderTime, frameSamples, now);
      d = 0;
    }
    const slot = seq & (SLOTS - 1);
    if (d < 0) {
      if (this.playedSeq[slot] === seq) {
        this.duplicates++;
        return;
      }
      // Already concealed here: a late synthesised or recovered frame stands for a lost one, not a late one.
      if (untimed) return;
      this.observe(senderTime, now);
      this.late++;
      if (seq !== (this.lastLateSeq + 1) >>> 0) this.underruns++;
      this.lastLateSeq = seq;
      return;
    }
    if (this.slotValid[slot] && this.slotSeq[slot] === seq) {
      this.duplicates++;
      return;
    }
    if (!untimed) this.observe(senderTime, now);
    this.channels = channels;
    const planes = this.slotPlanes[slot]!;
    const l = planes[0]!;
    const r = planes[1]!;
    const second = channels === 2 ? frameSamples : 0;
    for (let i = 0; i < frameSamples; i++) {
      l[i] = pcm[i]!;
      r[i] = pcm[second + i]!;
    }
    this.slotValid[slot] = 1;
    this.slotSynth[slot] = synth ? 1 : 0;
    this.slotSeq[slot] = seq;
    this.slotTime[slot] = senderTime >>> 0;
    if (seqDiff(seq, this.highestSeq) > 0) this.highestSeq = seq;
  }

  /** Renders `n` (≤ 128) samples into `out[0]`, `out[1]` for the quantum starting at local time `now`. */
  render(out: readonly Float32Array[], n: number, now: number): void {
    const completed = Math.floor(now / this.sr) - 1;
    if (completed !== this.gapSecond) {
      this.lastSecondLongestGapSamples = completed === this.gapSecond + 1 ? this.secondLongest : 0;
      this.gapSecond = completed;
      this.secondLongest = 0;
    }
    if (this.started && now - this.lastArrival > this.sr) {
      // The peer stopped: what was concealed since was the stream's fade-out, not a gap.
      this.started = false;
      this.gapRun = 0;
    }
    if (!this.started) {
      out[0]!.fill(0, 0, n);
      out[1]!.fill(0, 0, n);
      return;
    }
    this.updateTarget(n);
    const d = this.depthSamples();
    let err = this.playDelay(now) - (this.floor + d + JB_LOOKAHEAD_SAMPLES);
    if (err < -INSERT_MIN) {
      const insert = Math.min(-err, 2 * MAX_FRAME, this.resampler.space - 2 * MAX_FRAME);
      if (insert > 0) {
        const k = Math.round(insert);
        this.concealer.conceal(this.tmp, k);
        this.resampler.write(this.tmp, k);
        err += k;
        this.inserts++;
      }
    } else if (err > SKIP_MIN) {
      err -= this.skip(err);
    }
    this.lastErr = err;
    this.ratio = ratioFor(this.ratio, this.drift.ppm(this.sr), err);
    while (this.resampler.needed(n, this.ratio) > 0) this.popFrame();
    this.resampler.read(out, n, this.ratio);
  }

  /**
   * Drops buffered frames (consecutive, present, on the media timeline) from the front so that about one
   * frame of the `err` excess is left for the resampler. Returns the samples dropped.
   */
  private skip(err: number): number {
    const f = this.frame;
    const want = Math.floor((err - f) / f);
    let dropped = 0;
    for (; dropped < want; dropped++) {
      const slot = this.nextSeq & (SLOTS - 1);
      if (!this.slotValid[slot] || this.slotSeq[slot] !== this.nextSeq) break;
      if (seqDiff(this.slotTime[slot]!, this.senderBase) !== this.nextRel) break; // popFrame conceals it
      if (dropped === 0) this.concealer.splice();
      this.slotValid[slot] = 0;
      this.playedSeq[slot] = this.nextSeq;
      this.advance();
    }
    this.skips += dropped;
    return dropped * f;
  }

  /** local time − sender time of the next output sample, in the o-units of `observe`. */
  private playDelay(now: number): number {
    return now - this.localBase - (this.nextRel - this.resampler.buffered);
  }

  private depthSamples(): number {
    if (this.overrideMs > 0) {
      return Math.max(0, Math.round((this.overrideMs * this.sr) / 1000) - JB_LOOKAHEAD_SAMPLES);
    }
    return this.targetK * JB_STEP_SAMPLES;
  }

  /** Timing statistics of one first-time arrival: floor, candidate error events, drift. */
  private observe(senderTime: number, now: number): void {
    const o = now - this.localBase - seqDiff(senderTime >>> 0, this.senderBase);
    const leaked = this.floor + this.leak * (now - this.lastArrival);
    // Down by at most floorStep per packet: packets that only look early (drained by quanta the render
    // thread ran late, or a one-off fast path) must not pull the whole timeline down with them.
    this.floor = o < leaked ? Math.max(o, leaked - this.floorStep) : leaked;
    this.lastArrival = now;
    if (this.warming && now - this.localBase >= this.warmup) {
      // A stream's first seconds are noisy (encoder, decoder and path warming up): keep a tenth of
      // that evidence, so one early event no longer counts but a steady early pattern still does, and
      // shrink fast down to what remains (`settling`).
      this.warming = false;
      this.settling = true;
      for (let k = 0; k < JB_CANDIDATES; k++) this.rate[k] = this.rate[k]! * 0.1;
      this.inLate.fill(0);
    }
    const x = o - this.floor;
    const alpha = this.frame / this.tau;
    for (let k = 0; k < JB_CANDIDATES; k++) {
      const late = x > k * JB_STEP_SAMPLES + ON_TIME_SLACK ? 1 : 0;
      const event = late && !this.inLate[k] ? 1 : 0;
      this.rate[k] = this.rate[k]! + alpha * (event - this.rate[k]!);
      this.inLate[k] = late;
    }
    this.drift.update(now, o);
  }

  private updateTarget(n: number): void {
    const bound = (this.errorsPerMinute * this.frame) / (60 * this.sr);
    let decision = JB_CANDIDATES - 1;
    for (let k = 0; k < JB_CANDIDATES; k++) {
      if (this.rate[k]! <= bound) {
        decision = k;
        break;
      }
    }
    if (decision > this.targetK) {
      this.targetK = decision;
      this.shrinkTimer = 0;
      this.settling = false;
    } else if (decision < this.targetK) {
      // Far above what the statistics ask for (after a delay spike has aged out): shrink 4× faster.
      this.shrinkTimer += decision < this.targetK - (this.settling ? 1 : 4) ? 4 * n : n;
      if (this.shrinkTimer >= this.shrinkHold) {
        this.targetK--;
        this.shrinkTimer = 0;
      }
    } else {
      this.shrinkTimer = 0;
      this.settling = false;
    }
  }

  private popFrame(): void {
    const f = this.frame;
    const slot = this.nextSeq & (SLOTS - 1);
    if (this.slotValid[slot] && this.slotSeq[slot] === this.nextSeq) {
      // senderTime is the media timeline: a sender that skipped input (its encoder fell behind) sends
      // the next frame with a later senderTime and no seq gap. Conceal the gap; the frame plays next.
      const gap = seqDiff(this.slotTime[slot]!, this.senderBase) - this.nextRel;
      if (gap > 0) {
        const k = Math.min(gap, 2 * MAX_FRAME);
        this.concealer.conceal(this.tmp, k);
        this.resampler.write(this.tmp, k);
        this.nextRel += k;
        this.senderGaps++;
        this.gapRun += k;
        return;
      }
      if (this.slotSynth[slot]) {
        this.concealed++;
        this.gapRun += f;
      } else if (this.gapRun > 0) {
        this.endGap();
      }
      const planes = this.slotPlanes[slot]!;
      this.concealer.good(planes, f);
      this.resampler.write(planes, f);
      this.slotValid[slot] = 0;
      this.playedSeq[slot] = this.nextSeq;
    } else {
      this.concealer.conceal(this.tmp, f);
      this.resampler.write(this.tmp, f);
      this.concealed++;
      this.gapRun += f;
      this.slotValid[slot] = 0;
      this.playedSeq[slot] = -1;
    }
    this.advance();
  }

  /** Moves playout past the frame at `nextSeq`. */
  private advance(): void {
    this.nextSeq = (this.nextSeq + 1) >>> 0;
    this.nextRel += this.frame;
    if (this.nextRel > 2 ** 30) {
      // Keep sender-relative times far from the i32 wrap of seqDiff; o is unchanged by the shift.
      this.senderBase = (this.senderBase + 2 ** 30) >>> 0;
      this.localBase += 2 ** 30;
      this.nextRel -= 2 ** 30;
    }
  }

  /** Received audio plays after a concealed run: that run was a gap. */
  private endGap(): void {
    const g = this.gapRun;
    this.gapRun = 0;
    this.gaps++;
    if (g > this.gapOver) this.gapsOver20ms++;
    if (g > this.longestGapSamples) this.longestGapSamples = g;
    if (g > this.secondLongest) this.secondLongest = g;
  }

  /**
   * (Re)starts the stream at `seq`. A fresh stream starts with `target` of silence; a running one keeps
   * its not-yet-played audio and concealment state, so the old tail plays out and the render loop
   * inserts concealment up to the target: a restart is a crossfade, not a click.
   */
  private resync(seq: number, senderTime: number, frameSamples: number, now: number): void {
    const wasStarted = this.started;
    if (wasStarted) {
      this.resyncs++;
      this.slotValid.fill(0);
      this.playedSeq.fill(-1);
      this.rate.fill(0);
      this.inLate.fill(0);
    } else {
      const keepK = this.targetK;
      this.reset();
      this.targetK = keepK;
    }
    // The sender's timeline moved: its clock offset (and our regression's intercept) starts over.
    this.drift.reset();
    this.started = true;
    this.frame = frameSamples;
    this.startSeq = seq;
    this.nextSeq = seq;
    this.highestSeq = seq;
    this.senderBase = senderTime >>> 0;
    this.localBase = now;
    this.nextRel = 0;
    this.floor = 0;
    this.lastArrival = now;
    this.lastLateSeq = -2;
    this.warming = this.warmup > 0;
    if (!wasStarted) this.resampler.writeSilence(this.depthSamples() + JB_LOOKAHEAD_SAMPLES);
  }
}
