/**
 * The recording benchmark's embedded test signal, and the streaming scan that finds it again in a
 * recorded stem.
 *
 * Signal (Chromium plays it as the fake microphone, `--use-file-for-fake-audio-capture`, in a loop): a
 * quiet continuous tone with a loud 2 ms burst every `periodMs`. The burst's onset is what the capture
 * worklet's impulse detector time-stamps (threshold 0.5, as in worklet/dsp/impulse.ts) and what the scan
 * finds in each stem; the tone means a present player's stem is never digitally silent, so a run of
 * exact zeros inside it is audio the recorder did not get (the take files fill gaps with zeros). The loop
 * is a whole number of tone and burst periods, so it repeats without a seam.
 */
import { writeWav16Mono } from './wav16.mjs';

export const SIGNAL_RATE = 48_000;
/** 400 Hz: 120 samples a period, a divisor of the 500 ms burst period, so every burst rides on the same phase. */
const TONE_HZ = 400;

/**
 * @param {string} path
 * @param {{ seconds?: number, periodMs?: number, toneAmplitude?: number }} [options]
 */
export function writeSignalWav(path, { seconds = 4, periodMs = 500, toneAmplitude = 0.05 } = {}) {
  const samples = seconds * SIGNAL_RATE;
  const period = Math.round((SIGNAL_RATE * periodMs) / 1000);
  if (samples % period !== 0) throw new RangeError('the loop must hold a whole number of bursts');
  const data = new Int16Array(samples);
  const burst = Math.round(SIGNAL_RATE * 0.002);
  for (let i = 0; i < samples; i++) {
    let x = toneAmplitude * Math.sin((2 * Math.PI * TONE_HZ * i) / SIGNAL_RATE);
    const inBurst = i % period;
    if (inBurst < burst) {
      const window = 0.5 - 0.5 * Math.cos((2 * Math.PI * inBurst) / burst);
      x += 0.9 * window * Math.sin((2 * Math.PI * 2000 * inBurst) / SIGNAL_RATE);
    }
    data[i] = Math.round(Math.max(-1, Math.min(1, x)) * 32767);
  }
  writeWav16Mono(path, data, SIGNAL_RATE);
}

/**
 * @typedef {object} StemScan
 * @property {number} frames frames scanned
 * @property {number[]} onsets sample index of every burst onset (first sample over the threshold)
 * @property {Array<[number, number]>} zeroRuns runs [start, end) of ≥ minZeroRun exact zeros (first 5000)
 * @property {number} zeroRunCount
 * @property {number} zeroRunSamples samples in all such runs
 * @property {number} peak largest magnitude
 * @property {number} rms
 * @property {number} firstSound first sample with magnitude over `soundLevel` (−1: none)
 * @property {number} lastSound last such sample (−1: none)
 */

/**
 * Scans one channel of a stem as it streams past, holding only the findings (a 60-minute stem is
 * ~700 MB of float32; the benchmark must stay flat). Onsets use the app's detector rule: the first
 * sample whose magnitude exceeds `threshold`, then nothing for `holdoffSamples`.
 */
export class StemScanner {
  #threshold;
  #holdoff;
  #minZeroRun;
  #soundLevel;
  #channels;
  #channel;
  #frames = 0;
  #holdUntil = -1;
  /** @type {number[]} */
  #onsets = [];
  /** @type {Array<[number, number]>} */
  #zeroRuns = [];
  #zeroRunCount = 0;
  #zeroRunSamples = 0;
  #zeroStart = -1;
  #peak = 0;
  #sumSquares = 0;
  #firstSound = -1;
  #lastSound = -1;

  /**
   * @param {{ threshold?: number, holdoffSamples?: number, minZeroRun?: number, soundLevel?: number,
   *   channels?: number, channel?: number }} [options] `channels`: interleaved channels in each push
   */
  constructor({
    threshold = 0.5,
    holdoffSamples = 4800,
    minZeroRun = 48,
    soundLevel = 0.01,
    channels = 1,
    channel = 0,
  } = {}) {
    if (channel >= channels) throw new RangeError(`channel ${channel} of ${channels}`);
    this.#threshold = threshold;
    this.#holdoff = holdoffSamples;
    this.#minZeroRun = minZeroRun;
    this.#soundLevel = soundLevel;
    this.#channels = channels;
    this.#channel = channel;
  }

  /** @param {Float32Array} samples interleaved, a whole number of frames */
  push(samples) {
    const step = this.#channels;
    if (samples.length % step !== 0) throw new RangeError('a push must hold whole frames');
    for (let i = this.#channel; i < samples.length; i += step) {
      const index = this.#frames++;
      const x = samples[i] ?? 0;
      const magnitude = x < 0 ? -x : x;
      this.#sumSquares += x * x;
      if (magnitude > this.#peak) this.#peak = magnitude;
      if (magnitude > this.#soundLevel) {
        if (this.#firstSound < 0) this.#firstSound = index;
        this.#lastSound = index;
      }
      if (magnitude > this.#threshold && index >= this.#holdUntil) {
        this.#onsets.push(index);
        this.#holdUntil = index + this.#holdoff;
      }
      if (x === 0) {
        if (this.#zeroStart < 0) this.#zeroStart = index;
      } else if (this.#zeroStart >= 0) {
        this.#closeZeroRun(index);
      }
    }
  }

  /** @returns {StemScan} */
  finish() {
    if (this.#zeroStart >= 0) this.#closeZeroRun(this.#frames);
    return {
      frames: this.#frames,
      onsets: this.#onsets,
      zeroRuns: this.#zeroRuns,
      zeroRunCount: this.#zeroRunCount,
      zeroRunSamples: this.#zeroRunSamples,
      peak: this.#peak,
      rms: this.#frames > 0 ? Math.sqrt(this.#sumSquares / this.#frames) : 0,
      firstSound: this.#firstSound,
      lastSound: this.#lastSound,
    };
  }

  /** @param {number} end */
  #closeZeroRun(end) {
    const length = end - this.#zeroStart;
    if (length >= this.#minZeroRun) {
      this.#zeroRunCount++;
      this.#zeroRunSamples += length;
      if (this.#zeroRuns.length < 5000) this.#zeroRuns.push([this.#zeroStart, end]);
    }
    this.#zeroStart = -1;
  }
}

/**
 * Bursts missing between the detected ones: each interval between successive onsets should be a whole
 * number n of periods (n − 1 bursts missing); an interval that is no whole number of periods (beyond
 * `toleranceSamples`) means samples were dropped or inserted there and is counted as irregular, with
 * its deviation from the nearest whole number of periods.
 * @param {number[]} onsets ascending sample indices
 * @param {number} periodSamples
 * @param {number} [toleranceSamples]
 */
export function burstGaps(onsets, periodSamples, toleranceSamples = 48) {
  let missing = 0;
  /** @type {Array<{ at: number, deviation: number }>} */
  const irregular = [];
  for (let i = 1; i < onsets.length; i++) {
    const interval = /** @type {number} */ (onsets[i]) - /** @type {number} */ (onsets[i - 1]);
    const n = Math.max(1, Math.round(interval / periodSamples));
    missing += n - 1;
    const deviation = interval - n * periodSamples;
    if (Math.abs(deviation) > toleranceSamples)
      irregular.push({ at: /** @type {number} */ (onsets[i]), deviation });
  }
  return { missing, irregular };
}

/**
 * Zero samples of a stem inside [from, to) — the span its player was present — from the scan's runs.
 * @param {Array<[number, number]>} runs
 * @param {number} from
 * @param {number} to
 */
export function zerosWithin(runs, from, to) {
  let total = 0;
  for (const [start, end] of runs) total += Math.max(0, Math.min(end, to) - Math.max(start, from));
  return total;
}
