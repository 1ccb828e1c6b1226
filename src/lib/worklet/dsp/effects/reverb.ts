/**
 * A small Freeverb (Jezar's public-domain design: 8 parallel damped combs into 4 series allpasses per
 * side, the right side's delays 23 samples longer for width), delays scaled from 44.1 kHz to the
 * context rate. It renders only the wet signal into caller buffers: the capture engine adds it to the
 * local monitor, never to what is sent. All delay lines are allocated in the constructor.
 */
import type { ReverbSettings } from '../../../protocol/effects.js';
import { flush, timeCoeff } from './smoothing.js';

const COMBS = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617];
const ALLPASSES = [556, 441, 341, 225];
const STEREO_SPREAD = 23;
const INPUT_GAIN = 0.015;
const DAMP = 0.3;
const GLIDE_MS = 20;

class Comb {
  private readonly buf: Float32Array;
  private i = 0;
  private store = 0;
  constructor(length: number) {
    this.buf = new Float32Array(length);
  }
  tick(x: number, feedback: number, damp: number): number {
    const y = this.buf[this.i]!;
    this.store = flush(y * (1 - damp) + this.store * damp);
    this.buf[this.i] = x + this.store * feedback;
    if (++this.i >= this.buf.length) this.i = 0;
    return y;
  }
  reset(): void {
    this.buf.fill(0);
    this.store = 0;
  }
}

class Allpass {
  private readonly buf: Float32Array;
  private i = 0;
  constructor(length: number) {
    this.buf = new Float32Array(length);
  }
  tick(x: number): number {
    const b = this.buf[this.i]!;
    this.buf[this.i] = flush(x + b * 0.5);
    if (++this.i >= this.buf.length) this.i = 0;
    return b - x;
  }
  reset(): void {
    this.buf.fill(0);
  }
}

export class Reverb {
  private readonly combsL: Comb[];
  private readonly combsR: Comb[];
  private readonly apL: Allpass[];
  private readonly apR: Allpass[];
  private readonly glide: number;
  private mixTarget = 0.25;
  private mix = 0.25;
  private feedbackTarget = 0.84;
  private feedback = 0.84;

  constructor(sampleRate: number) {
    const scale = sampleRate / 44100;
    const len = (n: number) => Math.max(1, Math.round(n * scale));
    this.combsL = COMBS.map((n) => new Comb(len(n)));
    this.combsR = COMBS.map((n) => new Comb(len(n + STEREO_SPREAD)));
    this.apL = ALLPASSES.map((n) => new Allpass(len(n)));
    this.apR = ALLPASSES.map((n) => new Allpass(len(n + STEREO_SPREAD)));
    this.glide = 1 - timeCoeff(GLIDE_MS, sampleRate);
  }

  set(s: ReverbSettings): void {
    this.mixTarget = s.mix;
    // Freeverb's room size maps 0…1 to feedback 0.7…0.98.
    this.feedbackTarget = 0.7 + 0.28 * s.size;
  }

  reset(): void {
    for (const c of this.combsL) c.reset();
    for (const c of this.combsR) c.reset();
    for (const a of this.apL) a.reset();
    for (const a of this.apR) a.reset();
    this.mix = this.mixTarget;
    this.feedback = this.feedbackTarget;
  }

  /**
   * Wet signal of `a` (and `b`, summed to mono) into `outL`/`outR`, scaled by the mix level. Overwrites
   * the outputs; the inputs are not changed.
   */
  render(a: Float32Array, b: Float32Array | null, n: number, outL: Float32Array, outR: Float32Array): void {
    const { combsL, combsR, apL, apR, glide, mixTarget, feedbackTarget } = this;
    let { mix, feedback } = this;
    const inGain = b ? INPUT_GAIN * 0.5 : INPUT_GAIN;
    for (let i = 0; i < n; i++) {
      mix += (mixTarget - mix) * glide;
      feedback += (feedbackTarget - feedback) * glide;
      const x = (b ? a[i]! + b[i]! : a[i]!) * inGain;
      let l = 0;
      let r = 0;
      for (let c = 0; c < combsL.length; c++) {
        l += combsL[c]!.tick(x, feedback, DAMP);
        r += combsR[c]!.tick(x, feedback, DAMP);
      }
      for (let c = 0; c < apL.length; c++) {
        l = apL[c]!.tick(l);
        r = apR[c]!.tick(r);
      }
      outL[i] = l * mix;
      outR[i] = r * mix;
    }
    this.mix = mix;
    this.feedback = feedback;
  }
}
