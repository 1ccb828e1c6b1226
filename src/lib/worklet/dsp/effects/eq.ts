/**
 * Three-band EQ: low shelf (150 Hz), peaking mid (200 Hz–5 kHz, Q 1), high shelf (5 kHz). The gains and
 * the mid frequency glide toward their targets once per block (τ ≈ 15 ms) and the coefficients follow,
 * so moving a control never steps the output.
 */
import type { EqSettings } from '../../../protocol/effects.js';
import { EQ_HIGH_SHELF_HZ, EQ_LOW_SHELF_HZ, EQ_MID_Q } from '../../../protocol/effects.js';
import { Biquad, BiquadKind } from './biquad.js';

const GLIDE_MS = 15;

export class ThreeBandEq {
  private readonly low = new Biquad();
  private readonly mid = new Biquad();
  private readonly high = new Biquad();
  private readonly sr: number;
  private readonly target = { lowDb: 0, midDb: 0, midHz: 1000, highDb: 0 };
  private readonly now = { lowDb: 0, midDb: 0, midHz: 1000, highDb: 0 };
  private dirty = true;

  constructor(sampleRate: number) {
    this.sr = sampleRate;
  }

  set(s: EqSettings): void {
    this.target.lowDb = s.lowDb;
    this.target.midDb = s.midDb;
    this.target.midHz = s.midHz;
    this.target.highDb = s.highDb;
    this.dirty = true;
  }

  /** Jumps to the targets (on (re)enable, when there is nothing to glide from). */
  reset(): void {
    const { now, target } = this;
    now.lowDb = target.lowDb;
    now.midDb = target.midDb;
    now.midHz = target.midHz;
    now.highDb = target.highDb;
    this.low.reset();
    this.mid.reset();
    this.high.reset();
    this.update();
  }

  process(a: Float32Array, b: Float32Array | null, n: number): void {
    if (this.dirty) this.glide(n);
    // Three explicit calls: an array literal here would allocate every quantum.
    this.low.process(a, n, 0);
    this.mid.process(a, n, 0);
    this.high.process(a, n, 0);
    if (b) {
      this.low.process(b, n, 1);
      this.mid.process(b, n, 1);
      this.high.process(b, n, 1);
    }
  }

  private glide(n: number): void {
    const { now, target } = this;
    const k = 1 - Math.exp((-1000 * n) / (GLIDE_MS * this.sr));
    now.lowDb += (target.lowDb - now.lowDb) * k;
    now.midDb += (target.midDb - now.midDb) * k;
    // The frequency glides on a log scale, as it is heard.
    now.midHz *= Math.pow(target.midHz / now.midHz, k);
    now.highDb += (target.highDb - now.highDb) * k;
    const done =
      Math.abs(target.lowDb - now.lowDb) < 1e-3 &&
      Math.abs(target.midDb - now.midDb) < 1e-3 &&
      Math.abs(target.highDb - now.highDb) < 1e-3 &&
      Math.abs(target.midHz / now.midHz - 1) < 1e-5;
    if (done) {
      now.lowDb = target.lowDb;
      now.midDb = target.midDb;
      now.midHz = target.midHz;
      now.highDb = target.highDb;
      this.dirty = false;
    }
    this.update();
  }

  private update(): void {
    const { now, sr } = this;
    this.low.set(BiquadKind.LowShelf, EQ_LOW_SHELF_HZ, now.lowDb, 0, sr);
    this.mid.set(BiquadKind.Peaking, now.midHz, now.midDb, EQ_MID_Q, sr);
    this.high.set(BiquadKind.HighShelf, EQ_HIGH_SHELF_HZ, now.highDb, 0, sr);
  }
}
