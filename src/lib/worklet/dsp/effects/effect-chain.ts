/**
 * The capture side's effects: gate → EQ → compressor on the signal that is sent, and the reverb on the
 * monitor only. Each effect is bypassable; switching one crossfades over 10 ms between its input and its
 * output (no click), and once fully bypassed it is skipped entirely, so bypass is bit-exact. All buffers
 * are allocated in the constructor for up to `maxFrames` samples per call.
 */
import type { EffectSettings } from '../../../protocol/effects.js';
import { Compressor } from './compressor.js';
import { ThreeBandEq } from './eq.js';
import { NoiseGate } from './gate.js';
import { Reverb } from './reverb.js';

const FADE_MS = 10;

interface InPlaceEffect {
  process(a: Float32Array, b: Float32Array | null, n: number): void;
  reset(): void;
}

/** One bypassable stage: runs the effect on a copy and crossfades while its switch moves. */
class Stage {
  /** 0 bypassed … 1 fully on. */
  private wet = 0;
  private target = 0;
  private readonly step: number;
  private readonly dryA: Float32Array;
  private readonly dryB: Float32Array;

  constructor(
    readonly effect: InPlaceEffect,
    sampleRate: number,
    maxFrames: number,
  ) {
    this.step = 1000 / (FADE_MS * sampleRate);
    this.dryA = new Float32Array(maxFrames);
    this.dryB = new Float32Array(maxFrames);
  }

  setOn(on: boolean): void {
    const t = on ? 1 : 0;
    // Switching on from fully off: start from a clean state, not from where it was left.
    if (t === 1 && this.target === 0 && this.wet === 0) this.effect.reset();
    this.target = t;
  }

  get active(): boolean {
    return this.wet > 0 || this.target > 0;
  }

  process(a: Float32Array, b: Float32Array | null, n: number): void {
    if (this.wet === 0 && this.target === 0) return; // bypassed: untouched, bit-exact
    if (this.wet === 1 && this.target === 1) return this.effect.process(a, b, n);
    const { dryA, dryB, step, target } = this;
    for (let i = 0; i < n; i++) dryA[i] = a[i]!;
    if (b) for (let i = 0; i < n; i++) dryB[i] = b[i]!;
    this.effect.process(a, b, n);
    let w = this.wet;
    for (let i = 0; i < n; i++) {
      w = target > w ? Math.min(target, w + step) : Math.max(target, w - step);
      a[i] = dryA[i]! + (a[i]! - dryA[i]!) * w;
      if (b) b[i] = dryB[i]! + (b[i]! - dryB[i]!) * w;
    }
    this.wet = w;
  }
}

export class EffectChain {
  readonly gate: NoiseGate;
  readonly eq: ThreeBandEq;
  readonly compressor: Compressor;
  readonly reverb: Reverb;
  private readonly stages: Stage[];
  private reverbOn = false;
  private reverbFade = 0;
  private readonly reverbStep: number;

  constructor(sampleRate: number, maxFrames = 128) {
    this.gate = new NoiseGate(sampleRate);
    this.eq = new ThreeBandEq(sampleRate);
    this.compressor = new Compressor(sampleRate);
    this.reverb = new Reverb(sampleRate);
    this.stages = [
      new Stage(this.gate, sampleRate, maxFrames),
      new Stage(this.eq, sampleRate, maxFrames),
      new Stage(this.compressor, sampleRate, maxFrames),
    ];
    this.reverbStep = 1000 / (FADE_MS * sampleRate);
  }

  set(s: EffectSettings): void {
    this.gate.set(s.gate);
    this.eq.set(s.eq);
    this.compressor.set(s.compressor);
    this.reverb.set(s.reverb);
    this.stages[0]!.setOn(s.gate.on);
    this.stages[1]!.setOn(s.eq.on);
    this.stages[2]!.setOn(s.compressor.on);
    if (s.reverb.on && !this.reverbOn && this.reverbFade === 0) this.reverb.reset();
    this.reverbOn = s.reverb.on;
  }

  /** Gate → EQ → compressor, in place, on what will be sent (and monitored). */
  processSend(a: Float32Array, b: Float32Array | null, n: number): void {
    const s = this.stages;
    s[0]!.process(a, b, n);
    s[1]!.process(a, b, n);
    s[2]!.process(a, b, n);
  }

  /**
   * Whether the reverb adds anything this quantum (on, or still fading out). When false the monitor
   * is the sent signal alone.
   */
  get reverbActive(): boolean {
    return this.reverbOn || this.reverbFade > 0;
  }

  /** The reverb's wet signal for the monitor, faded in/out over 10 ms when it is switched. */
  renderMonitorReverb(
    a: Float32Array,
    b: Float32Array | null,
    n: number,
    outL: Float32Array,
    outR: Float32Array,
  ): void {
    this.reverb.render(a, b, n, outL, outR);
    const target = this.reverbOn ? 1 : 0;
    let f = this.reverbFade;
    const step = this.reverbStep;
    for (let i = 0; i < n; i++) {
      f = target > f ? Math.min(1, f + step) : Math.max(0, f - step);
      outL[i] = outL[i]! * f;
      outR[i] = outR[i]! * f;
    }
    this.reverbFade = f;
  }
}
