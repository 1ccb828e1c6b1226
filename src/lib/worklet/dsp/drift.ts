/**
 * Clock-drift compensation. Sender and receiver audio clocks differ by up to ±200 ppm, so a buffer fed
 * at the sender's rate and drained at ours creeps by up to 10 ms per 50 s. Three pieces:
 *
 * - {@link DriftEstimator}: exponentially weighted least-squares slope of each packet's transit offset
 *   (local arrival sample − senderTime) against local time. Jitter averages out over the window
 *   (default τ = 20 s): with ±2 ms jitter the estimate settles within a few ppm.
 * - {@link ratioFor}: the playback resampling ratio = 1 + drift (feed-forward) + Kp × depth error
 *   (feedback), clamped to ±0.5 % and slew-limited so pitch never steps audibly.
 * - {@link Resampler}: a per-channel FIFO of sender-rate samples read at a fractional step with 4-point
 *   Catmull-Rom interpolation (exact pass-through at ratio 1).
 */

export class DriftEstimator {
  private readonly tau: number;
  private t0 = NaN;
  private y0 = 0;
  private lastT = 0;
  private s0 = 0;
  private st = 0;
  private stt = 0;
  private sy = 0;
  private sty = 0;

  /** `tauSamples`: forgetting time constant in local samples. */
  constructor(tauSamples = 20 * 48000) {
    this.tau = tauSamples;
  }

  reset(): void {
    this.t0 = NaN;
    this.s0 = this.st = this.stt = this.sy = this.sty = 0;
  }

  /** One observation: local time `t` (samples) and transit offset `y` (samples). */
  update(t: number, y: number): void {
    if (this.t0 !== this.t0) {
      this.t0 = t;
      this.y0 = y;
      this.lastT = t;
    }
    const dt = t - this.lastT;
    this.lastT = t;
    if (dt > 0) {
      const decay = Math.exp(-dt / this.tau);
      this.s0 *= decay;
      this.st *= decay;
      this.stt *= decay;
      this.sy *= decay;
      this.sty *= decay;
    }
    const x = t - this.t0;
    const v = y - this.y0;
    this.s0 += 1;
    this.st += x;
    this.stt += x * x;
    this.sy += v;
    this.sty += x * v;
  }

  /** Seconds of data in the window (variance-based); the slope means little below ~2 s. */
  spanSamples(): number {
    if (this.s0 < 2) return 0;
    const mean = this.st / this.s0;
    return Math.sqrt(Math.max(0, this.stt / this.s0 - mean * mean)) * Math.sqrt(12);
  }

  /** Sender clock relative to ours in ppm (positive: sender fast); 0 until the window spans 2 s. */
  ppm(sampleRate = 48000): number {
    if (this.spanSamples() < 2 * sampleRate) return 0;
    const den = this.s0 * this.stt - this.st * this.st;
    if (den <= 0) return 0;
    const slope = (this.s0 * this.sty - this.st * this.sy) / den;
    return -slope * 1e6;
  }
}

export const MAX_RATIO_DEVIATION = 0.005;

/**
 * Next playback ratio. `errorSamples` = current depth − target depth (positive: too deep → play faster).
 * `kp` per sample of error; `maxStep` limits the change per call (per render quantum). Positional
 * arguments rather than an options object: this runs every quantum for every peer and must not allocate.
 */
export function ratioFor(
  previous: number,
  driftPpm: number,
  errorSamples: number,
  kp = 1 / 96000,
  maxStep = 2e-5,
): number {
  let want = 1 + driftPpm * 1e-6 + kp * errorSamples;
  if (want > 1 + MAX_RATIO_DEVIATION) want = 1 + MAX_RATIO_DEVIATION;
  if (want < 1 - MAX_RATIO_DEVIATION) want = 1 - MAX_RATIO_DEVIATION;
  const d = want - previous;
  return previous + (d > maxStep ? maxStep : d < -maxStep ? -maxStep : d);
}

const CAP = 4096;
const MASK = CAP - 1;

/** Two-channel FIFO read at a fractional rate with Catmull-Rom interpolation. No allocation. */
export class Resampler {
  private readonly ring = [new Float32Array(CAP), new Float32Array(CAP)];
  private w = 0;
  private r = 0;

  constructor() {
    this.reset();
  }

  /** Empties the FIFO; one zero sample stays behind the read position for the interpolator. */
  reset(): void {
    this.ring[0]!.fill(0);
    this.ring[1]!.fill(0);
    this.w = 1;
    this.r = 1;
  }

  /** Input samples between the read position and the write end (fractional). */
  get buffered(): number {
    return this.w - this.r;
  }

  /** Room left for writing. */
  get space(): number {
    return CAP - 4 - (this.w - Math.floor(this.r));
  }

  /** Input samples still missing to produce `n` outputs at `ratio` (≤ 0: enough). */
  needed(n: number, ratio: number): number {
    return Math.floor(this.r + (n - 1) * ratio) + 3 - this.w;
  }

  write(planes: readonly Float32Array[], n: number): void {
    for (let c = 0; c < 2; c++) {
      const ring = this.ring[c]!;
      const src = planes[c]!;
      let w = this.w;
      for (let i = 0; i < n; i++) ring[w++ & MASK] = src[i]!;
    }
    this.w += n;
  }

  writeSilence(n: number): void {
    for (let c = 0; c < 2; c++) {
      const ring = this.ring[c]!;
      let w = this.w;
      for (let i = 0; i < n; i++) ring[w++ & MASK] = 0;
    }
    this.w += n;
  }

  /** Produces `n` samples per channel at `ratio` input samples per output sample. Caller ensures `needed ≤ 0`. */
  read(out: readonly Float32Array[], n: number, ratio: number): void {
    const r0 = this.r;
    for (let c = 0; c < 2; c++) {
      const ring = this.ring[c]!;
      const o = out[c]!;
      let pos = r0;
      for (let i = 0; i < n; i++) {
        const ip = Math.floor(pos);
        const t = pos - ip;
        const x0 = ring[ip & MASK]!;
        if (t === 0) o[i] = x0;
        else {
          const xm1 = ring[(ip - 1) & MASK]!;
          const x1 = ring[(ip + 1) & MASK]!;
          const x2 = ring[(ip + 2) & MASK]!;
          o[i] =
            x0 + 0.5 * t * (x1 - xm1 + t * (2 * xm1 - 5 * x0 + 4 * x1 - x2 + t * (3 * (x0 - x1) + x2 - xm1)));
        }
        pos += ratio;
      }
    }
    this.r = r0 + n * ratio;
    // Keep positions small; shifting both by a multiple of CAP leaves the masked indices unchanged.
    if (this.w > 1 << 24) {
      const shift = (this.w - 2 * CAP) & ~MASK;
      this.w -= shift;
      this.r -= shift;
    }
  }
}
