/**
 * Packet-loss concealment for decoded PCM, for what reaches the worklet missing: PCM losses, frames
 * that come too late, and Opus gaps longer than the Worker conceals with libopus PLC. On a missing
 * frame the concealer repeats the last pitch period of good audio:
 *
 * - the period T is the lag (0.67–10 ms) that maximises the normalised autocorrelation of the most
 *   recent 160 samples, searched once per loss run; lags under 64 samples are multiplied up so the
 *   repeated cycle is long enough to crossfade;
 * - the cycle's last 32 samples are crossfaded into the samples that precede its start, so the loop seam
 *   is continuous; the first 32 concealed samples crossfade from a hold of the last good sample, so the
 *   loss start is continuous;
 * - the repeat fades linearly to silence over `fadeMs` (default 25 ms) of consecutive loss;
 * - when real audio resumes, its first 64 samples crossfade from the continuing concealment.
 *
 * Works on two planar channels (a mono stream is carried as two equal channels); the period is found on
 * channel 0 and used for both so the stereo image stays put. No allocation after construction.
 */
const HIST = 2048;
const MASK = HIST - 1;
const WINDOW = 160;
const MIN_LAG = 32;
const MAX_LAG = 480;
const MIN_CYCLE = 64;
const SEAM = 32;
const RESUME = 64;

export class Concealer {
  private readonly hist = [new Float32Array(HIST), new Float32Array(HIST)];
  private readonly cycle = [new Float32Array(MAX_LAG + MIN_CYCLE), new Float32Array(MAX_LAG + MIN_CYCLE)];
  private readonly resume = [new Float32Array(RESUME), new Float32Array(RESUME)];
  private readonly fadeSamples: number;
  private hpos = 0;
  private period = 0;
  private phase = 0;
  /** Samples concealed in the current loss run. */
  private run = 0;
  private lastGood = [0, 0];
  concealing = false;

  constructor(options: { sampleRate?: number; fadeMs?: number } = {}) {
    this.fadeSamples = Math.round(((options.fadeMs ?? 25) * (options.sampleRate ?? 48000)) / 1000);
  }

  reset(): void {
    this.hist[0]!.fill(0);
    this.hist[1]!.fill(0);
    this.concealing = false;
    this.run = 0;
    this.lastGood[0] = 0;
    this.lastGood[1] = 0;
  }

  /** Real audio about to be played. Crossfades in place out of a concealment, then records it. */
  good(planes: readonly Float32Array[], n: number): void {
    if (this.concealing) {
      const xf = Math.min(RESUME, n);
      this.generate(this.resume, xf);
      for (let c = 0; c < 2; c++) {
        const p = planes[c]!;
        const r = this.resume[c]!;
        for (let i = 0; i < xf; i++) {
          const w = (i + 1) / (xf + 1);
          p[i] = p[i]! * w + r[i]! * (1 - w);
        }
      }
      this.concealing = false;
      this.run = 0;
    }
    this.record(planes, n);
  }

  /**
   * The next good frame does not follow what played last (frames were dropped to catch up): crossfade
   * into it from a continuation of the last audio, as after a loss, without concealing anything now.
   */
  splice(): void {
    if (!this.concealing) this.start();
  }

  /** Writes `n` samples of concealment into `planes` (two channels). */
  conceal(planes: readonly Float32Array[], n: number): void {
    if (!this.concealing) this.start();
    this.generate(planes, n);
    this.record(planes, n);
  }

  private record(planes: readonly Float32Array[], n: number): void {
    for (let c = 0; c < 2; c++) {
      const h = this.hist[c]!;
      const p = planes[c]!;
      let w = this.hpos;
      for (let i = 0; i < n; i++) h[w++ & MASK] = p[i]!;
    }
    this.hpos = (this.hpos + n) & MASK;
  }

  private at(c: number, back: number): number {
    return this.hist[c]![(this.hpos - back) & MASK]!;
  }

  /** Loss run starts: find the period and build a seamless cycle from the good history. */
  private start(): void {
    this.concealing = true;
    this.run = 0;
    this.phase = 0;
    let best = MAX_LAG;
    let bestScore = -1;
    let e0 = 0;
    for (let i = 1; i <= WINDOW; i++) e0 += this.at(0, i) ** 2;
    for (let lag = MIN_LAG; lag <= MAX_LAG; lag++) {
      let xy = 0;
      let e1 = 0;
      for (let i = 1; i <= WINDOW; i++) {
        const y = this.at(0, i + lag);
        xy += this.at(0, i) * y;
        e1 += y * y;
      }
      const score = xy / Math.sqrt(e0 * e1 + 1e-12);
      // Prefer the shortest lag close to the best, so an octave error picks the fundamental.
      if (score > bestScore + 0.01) {
        bestScore = score;
        best = lag;
      }
    }
    let t = best;
    if (t < MIN_CYCLE) t *= Math.ceil(MIN_CYCLE / t);
    this.period = t;
    // cycle[i] = s[N − T + i], with its last SEAM samples blended into s[N − 2T + i] so cycle[T−1] leads
    // naturally into cycle[0] = s[N − T].
    for (let c = 0; c < 2; c++) {
      const cy = this.cycle[c]!;
      for (let i = 0; i < t; i++) {
        const a = this.at(c, t - i);
        const k = i - (t - SEAM);
        if (k >= 0) {
          const w = (k + 1) / (SEAM + 1);
          cy[i] = a * (1 - w) + this.at(c, 2 * t - i) * w;
        } else cy[i] = a;
      }
      this.lastGood[c] = this.at(c, 1);
    }
  }

  private generate(planes: readonly Float32Array[], n: number): void {
    const t = this.period;
    const fade = this.fadeSamples;
    for (let c = 0; c < 2; c++) {
      const p = planes[c]!;
      const cy = this.cycle[c]!;
      const hold = this.lastGood[c]!;
      let ph = this.phase;
      let run = this.run;
      for (let i = 0; i < n; i++) {
        let x = cy[ph]!;
        if (run < SEAM) {
          const w = (run + 1) / (SEAM + 1);
          x = x * w + hold * (1 - w);
        }
        const g = run >= fade ? 0 : 1 - run / fade;
        p[i] = x * g;
        if (++ph >= t) ph = 0;
        run++;
      }
    }
    this.phase = (this.phase + n) % t;
    this.run += n;
  }
}
