/**
 * RBJ "Audio EQ Cookbook" biquads (low shelf, peaking, high shelf), transposed direct form II, for up to
 * two channels. Coefficients are computed in place (no allocation) and may change every block: TDF-II
 * keeps its state meaningful across small coefficient steps, and the caller smooths the parameters.
 */
import { flush } from './smoothing.js';

export const BiquadKind = { LowShelf: 0, Peaking: 1, HighShelf: 2 } as const;
export type BiquadKind = (typeof BiquadKind)[keyof typeof BiquadKind];

export class Biquad {
  b0 = 1;
  b1 = 0;
  b2 = 0;
  a1 = 0;
  a2 = 0;
  /** TDF-II state, two per channel. */
  private readonly z = new Float64Array(4);

  /** Shelves use slope S = 1; `q` is the peaking filter's Q. */
  set(kind: BiquadKind, hz: number, gainDb: number, q: number, sampleRate: number): void {
    const A = Math.pow(10, gainDb / 40);
    const w0 = (2 * Math.PI * Math.min(hz, sampleRate * 0.49)) / sampleRate;
    const cos = Math.cos(w0);
    const sin = Math.sin(w0);
    let b0: number, b1: number, b2: number, a0: number, a1: number, a2: number;
    if (kind === BiquadKind.Peaking) {
      const alpha = sin / (2 * q);
      b0 = 1 + alpha * A;
      b1 = -2 * cos;
      b2 = 1 - alpha * A;
      a0 = 1 + alpha / A;
      a1 = -2 * cos;
      a2 = 1 - alpha / A;
    } else {
      // Shelf slope S = 1: alpha = sin/2 · √2.
      const alpha = (sin / 2) * Math.SQRT2;
      const k = 2 * Math.sqrt(A) * alpha;
      if (kind === BiquadKind.LowShelf) {
        b0 = A * (A + 1 - (A - 1) * cos + k);
        b1 = 2 * A * (A - 1 - (A + 1) * cos);
        b2 = A * (A + 1 - (A - 1) * cos - k);
        a0 = A + 1 + (A - 1) * cos + k;
        a1 = -2 * (A - 1 + (A + 1) * cos);
        a2 = A + 1 + (A - 1) * cos - k;
      } else {
        b0 = A * (A + 1 + (A - 1) * cos + k);
        b1 = -2 * A * (A - 1 + (A + 1) * cos);
        b2 = A * (A + 1 + (A - 1) * cos - k);
        a0 = A + 1 - (A - 1) * cos + k;
        a1 = 2 * (A - 1 - (A + 1) * cos);
        a2 = A + 1 - (A - 1) * cos - k;
      }
    }
    this.b0 = b0 / a0;
    this.b1 = b1 / a0;
    this.b2 = b2 / a0;
    this.a1 = a1 / a0;
    this.a2 = a2 / a0;
  }

  /** Filters `x[0…n)` of channel `ch` (0 or 1) in place. */
  process(x: Float32Array, n: number, ch: number): void {
    const { b0, b1, b2, a1, a2, z } = this;
    const i1 = ch * 2;
    let s1 = z[i1]!;
    let s2 = z[i1 + 1]!;
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      const y = b0 * v + s1;
      s1 = b1 * v - a1 * y + s2;
      s2 = b2 * v - a2 * y;
      x[i] = y;
    }
    z[i1] = flush(s1);
    z[i1 + 1] = flush(s2);
  }

  reset(): void {
    this.z.fill(0);
  }
}
