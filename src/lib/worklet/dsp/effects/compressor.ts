/**
 * Feed-forward peak compressor with a soft knee (Giannoulis, Massberg & Reiss 2012, "smooth decoupled"
 * detector): the static curve works on the instantaneous peak level in dB, and the gain reduction is
 * smoothed with attack/release, so threshold or ratio changes glide instead of stepping. Makeup gain
 * glides per sample. Stereo is linked (max of both channels).
 */
import type { CompressorSettings } from '../../../protocol/effects.js';
import { dbToLinear, flush, timeCoeff } from './smoothing.js';

const MAKEUP_GLIDE_MS = 10;

/** Output level (dB) of the static curve for an input level `x` dB. */
export function compressorCurve(x: number, threshold: number, ratio: number, knee: number): number {
  const over = x - threshold;
  if (2 * over < -knee) return x;
  if (knee > 0 && 2 * Math.abs(over) <= knee) {
    const t = over + knee / 2;
    return x + ((1 / ratio - 1) * t * t) / (2 * knee);
  }
  return threshold + over / ratio;
}

export class Compressor {
  private readonly sr: number;
  private threshold = -18;
  private ratio = 3;
  private knee = 6;
  private attack = 0;
  private release = 0;
  private makeupTarget = 1;
  private makeup = 1;
  private readonly makeupK: number;
  /** Smoothed gain reduction in dB (≤ 0). */
  private reduction = 0;

  constructor(sampleRate: number) {
    this.sr = sampleRate;
    this.makeupK = 1 - timeCoeff(MAKEUP_GLIDE_MS, sampleRate);
  }

  set(s: CompressorSettings): void {
    this.threshold = s.thresholdDb;
    this.ratio = s.ratio;
    this.knee = s.kneeDb;
    this.attack = timeCoeff(s.attackMs, this.sr);
    this.release = timeCoeff(s.releaseMs, this.sr);
    this.makeupTarget = dbToLinear(s.makeupDb);
  }

  /** Current gain reduction in dB (≤ 0). */
  get reductionDb(): number {
    return this.reduction;
  }

  reset(): void {
    this.reduction = 0;
    this.makeup = this.makeupTarget;
  }

  process(a: Float32Array, b: Float32Array | null, n: number): void {
    const { threshold, ratio, knee, attack, release, makeupTarget, makeupK } = this;
    let { reduction, makeup } = this;
    // Below this level the curve is the identity: skip the logarithm for quiet samples.
    const kneeStart = dbToLinear(threshold - knee / 2);
    for (let i = 0; i < n; i++) {
      const xa = a[i]!;
      let peak = xa < 0 ? -xa : xa;
      if (b) {
        const xb = b[i]!;
        const pb = xb < 0 ? -xb : xb;
        if (pb > peak) peak = pb;
      }
      let wanted = 0;
      if (peak > kneeStart) {
        const x = 20 * Math.log10(peak);
        wanted = compressorCurve(x, threshold, ratio, knee) - x;
      }
      // More reduction wanted: attack; less: release.
      reduction =
        wanted < reduction ? wanted + (reduction - wanted) * attack : wanted + (reduction - wanted) * release;
      makeup += (makeupTarget - makeup) * makeupK;
      const g = (reduction > -1e-6 ? 1 : Math.pow(10, reduction / 20)) * makeup;
      a[i] = xa * g;
      if (b) b[i] = b[i]! * g;
    }
    this.reduction = flush(reduction);
    this.makeup = makeup;
  }
}
