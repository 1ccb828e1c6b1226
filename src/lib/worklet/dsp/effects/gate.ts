/**
 * Noise gate with hysteresis: it opens when the peak envelope rises above the threshold and starts to
 * close only after the envelope has stayed 6 dB below it for the hold time, so a note decaying around
 * the threshold does not chatter. The gain moves toward 1 with the attack time and toward 0 with the
 * release time (one-pole), so opening and closing never click. Stereo is linked (one detector).
 */
import type { GateSettings } from '../../../protocol/effects.js';
import { dbToLinear, flush, timeCoeff } from './smoothing.js';

/** How far below the opening threshold the envelope must fall before the hold starts. */
export const GATE_HYSTERESIS_DB = 6;
/** Envelope release of the detector (peak hold decays with this time constant). */
const DETECTOR_RELEASE_MS = 10;

export class NoiseGate {
  private readonly sr: number;
  private open = dbToLinear(-50);
  private close = dbToLinear(-50 - GATE_HYSTERESIS_DB);
  private attack = 0;
  private release = 0;
  private holdSamples = 0;
  private readonly detRelease: number;
  private env = 0;
  private gain = 0;
  private isOpen = false;
  private holdLeft = 0;

  constructor(sampleRate: number) {
    this.sr = sampleRate;
    this.detRelease = timeCoeff(DETECTOR_RELEASE_MS, sampleRate);
  }

  set(s: GateSettings): void {
    this.open = dbToLinear(s.thresholdDb);
    this.close = dbToLinear(s.thresholdDb - GATE_HYSTERESIS_DB);
    this.attack = timeCoeff(s.attackMs, this.sr);
    this.release = timeCoeff(s.releaseMs, this.sr);
    this.holdSamples = Math.round((s.holdMs * this.sr) / 1000);
  }

  /** Current gain (0 closed … 1 open), for tests and meters. */
  get level(): number {
    return this.gain;
  }

  reset(): void {
    this.env = 0;
    this.gain = 0;
    this.isOpen = false;
    this.holdLeft = 0;
  }

  process(a: Float32Array, b: Float32Array | null, n: number): void {
    let { env, gain, isOpen, holdLeft } = this;
    const { open, close, attack, release, detRelease, holdSamples } = this;
    for (let i = 0; i < n; i++) {
      const xa = a[i]!;
      let peak = xa < 0 ? -xa : xa;
      if (b) {
        const xb = b[i]!;
        const pb = xb < 0 ? -xb : xb;
        if (pb > peak) peak = pb;
      }
      env = peak > env ? peak : env * detRelease;
      if (env >= open) {
        isOpen = true;
        holdLeft = holdSamples;
      } else if (isOpen && env < close) {
        if (holdLeft > 0) holdLeft--;
        else isOpen = false;
      }
      gain = isOpen ? 1 + (gain - 1) * attack : gain * release;
      a[i] = xa * gain;
      if (b) b[i] = b[i]! * gain;
    }
    this.env = flush(env);
    this.gain = flush(gain);
    this.isOpen = isOpen;
    this.holdLeft = holdLeft;
  }
}
