/**
 * Mixer math for the playback worklet: gain and pan laws, solo/mute logic, one-pole parameter
 * smoothing and meters. Pure functions and small classes over numbers and typed arrays; no allocation
 * after construction.
 */

/** dB → linear; −Infinity (or below −120 dB) → 0. */
export function dbToGain(db: number): number {
  return db <= -120 ? 0 : Math.pow(10, db / 20);
}

/** linear → dB; 0 → −Infinity. */
export function gainToDb(gain: number): number {
  return gain <= 0 ? -Infinity : 20 * Math.log10(gain);
}

/**
 * Equal-power pan of a mono source (−3 dB at centre): writes [left, right] gains into `out`.
 * `pan` in [−1, 1]; left² + right² = 1 everywhere.
 */
export function panMono(pan: number, out: Float32Array): void {
  const p = pan < -1 ? -1 : pan > 1 ? 1 : pan;
  const theta = ((p + 1) * Math.PI) / 4;
  out[0] = Math.cos(theta);
  out[1] = Math.sin(theta);
}

/**
 * Balance of a stereo source: unity at centre, the far side follows the same equal-power curve
 * (scaled so it is 1 at centre), the near side stays at unity.
 */
export function panStereo(pan: number, out: Float32Array): void {
  panMono(pan, out);
  out[0] = Math.min(1, out[0]! * Math.SQRT2);
  out[1] = Math.min(1, out[1]! * Math.SQRT2);
}

/**
 * Solo/mute truth table: if any active peer is soloed only soloed peers are heard; mute always wins.
 * Writes 1/0 into `audible[p]` for p < count.
 */
export function resolveAudible(
  active: ArrayLike<number>,
  mute: ArrayLike<number>,
  solo: ArrayLike<number>,
  count: number,
  audible: Float32Array,
): void {
  let anySolo = false;
  for (let p = 0; p < count; p++) if (active[p] && solo[p]) anySolo = true;
  for (let p = 0; p < count; p++) {
    audible[p] = active[p] && !mute[p] && (!anySolo || solo[p]) ? 1 : 0;
  }
}

/** Per-sample coefficient of a one-pole smoother with time constant `tauSeconds`. */
export function onePoleCoeff(tauSeconds: number, sampleRate: number): number {
  return 1 - Math.exp(-1 / (tauSeconds * sampleRate));
}

/** Peak (instant attack, exponential release) and RMS (exponential window) meter. */
export class Meter {
  peak = 0;
  private meanSquare = 0;
  private readonly peakRelease: number;
  private readonly rmsCoeff: number;

  constructor(sampleRate: number, peakReleaseSeconds = 0.3, rmsWindowSeconds = 0.3) {
    this.peakRelease = Math.exp(-1 / (peakReleaseSeconds * sampleRate));
    this.rmsCoeff = onePoleCoeff(rmsWindowSeconds, sampleRate);
  }

  get rms(): number {
    return Math.sqrt(this.meanSquare);
  }

  /** Feeds `n` samples of `a` (and `b`, if given, as a second channel). */
  update(a: Float32Array, n: number, b?: Float32Array): void {
    let peak = this.peak;
    let ms = this.meanSquare;
    const rel = this.peakRelease;
    const k = this.rmsCoeff;
    for (let i = 0; i < n; i++) {
      let x = a[i]!;
      if (b) {
        const y = b[i]!;
        x = Math.abs(x) > Math.abs(y) ? x : y;
      }
      const ax = x < 0 ? -x : x;
      peak = ax > peak ? ax : peak * rel;
      ms += (x * x - ms) * k;
    }
    // Flush denormals: a silent meter must reach exactly 0.
    this.peak = peak < 1e-9 ? 0 : peak;
    this.meanSquare = ms < 1e-18 ? 0 : ms;
  }

  reset(): void {
    this.peak = 0;
    this.meanSquare = 0;
  }
}
