/**
 * The backing track, played sample-accurately on the audio thread from the shared timeline.
 *
 * The main thread decodes the file at the context's rate and transfers its channels here once
 * (`backing-load`); then it maps the shared transport onto this context's frames (`backing-play`: track
 * frame `fromFrame` sounds at context frame `startFrame`) and resends the mapping a few times a second as
 * the clock estimates move. A player who arrives late, or a seek into the past, starts mid-track at the
 * frame the timeline says. `render()` only reads the channels and writes into the output: no allocation.
 */
import { Meter } from './mixer.js';

export interface BackingMapping {
  /** The loaded track this mapping is for (a stale mapping for another track is ignored). */
  id: number;
  playing: boolean;
  /** Context frame (integer) at which track frame `fromFrame` sounds. */
  startFrame: number;
  fromFrame: number;
  /** Linear gain: the player's own level for the track (0 = muted). */
  gain: number;
}

export class BackingVoice {
  readonly meter: Meter;
  #left: Float32Array | null = null;
  #right: Float32Array | null = null;
  #id = -1;
  #playing = false;
  #startFrame = 0;
  #fromFrame = 0;
  #gain = 0;
  /** The gain applied now, ramped towards #gain so a fader move or a mute never clicks. */
  #g = 0;
  /** Whether the start of the current mapping has not been rendered yet (benchmark report). */
  #startPending = false;
  readonly #smooth: number;
  /** The track's contribution to one block, kept for the meter (sized for a render quantum). */
  readonly #scratchL = new Float32Array(128);
  readonly #scratchR = new Float32Array(128);
  /** Remaps that move the start by less than this (1 ms) are ignored: each jump would be audible. */
  readonly #minMove: number;

  constructor(sampleRate: number, smooth: number) {
    this.meter = new Meter(sampleRate);
    this.#smooth = smooth;
    this.#minMove = Math.round(sampleRate / 1000);
  }

  get id(): number {
    return this.#id;
  }
  get length(): number {
    return this.#left?.length ?? 0;
  }
  get playing(): boolean {
    return this.#playing;
  }
  get startFrame(): number {
    return this.#startFrame;
  }
  get fromFrame(): number {
    return this.#fromFrame;
  }

  /** A decoded track (1 or 2 channels of equal length, validated by the caller); stops the previous one. */
  load(id: number, channels: readonly Float32Array[]): void {
    this.#id = id;
    this.#left = channels[0] ?? null;
    this.#right = channels[1] ?? channels[0] ?? null;
    this.#playing = false;
    this.#g = 0;
  }

  /** Takes a new mapping. A new start (another position, or from stopped) always applies. */
  set(m: BackingMapping): void {
    this.#gain = m.gain;
    if (m.id !== this.#id || !m.playing) {
      this.#playing = false;
      return;
    }
    const restart = !this.#playing || m.fromFrame !== this.#fromFrame;
    if (restart || Math.abs(m.startFrame - this.#startFrame) >= this.#minMove) {
      this.#startFrame = m.startFrame;
      this.#fromFrame = m.fromFrame;
      if (restart) this.#startPending = true;
    }
    this.#playing = true;
  }

  /**
   * Adds the track for frames [currentFrame, currentFrame + n) into `outL`/`outR` and meters it.
   * Returns the context frame at which track frame `fromFrame` was rendered in this block, else NaN.
   * `rawL`/`rawR`, when given, get the track itself at unity (the recording's backing stem): overwritten
   * with the frames the mapping plays, zeros elsewhere; this player's level and mute do not touch them.
   */
  render(
    outL: Float32Array,
    outR: Float32Array,
    n: number,
    currentFrame: number,
    rawL?: Float32Array,
    rawR?: Float32Array,
  ): number {
    const left = this.#left;
    const right = this.#right;
    const l = this.#scratchL;
    const r = this.#scratchR;
    let started = Number.NaN;
    l.fill(0);
    r.fill(0);
    rawL?.fill(0, 0, n);
    if (rawR !== rawL) rawR?.fill(0, 0, n);
    if (left && right && n <= l.length && (this.#playing || this.#g > 1e-5)) {
      const target = this.#playing ? this.#gain : 0;
      const k = this.#smooth;
      const offset = this.#fromFrame - this.#startFrame;
      const length = left.length;
      let g = this.#g;
      for (let i = 0; i < n; i++) {
        g += (target - g) * k;
        const frame = currentFrame + i;
        const pos = frame + offset;
        if (frame < this.#startFrame || pos >= length || pos < 0) continue;
        if (this.#startPending && pos === this.#fromFrame) {
          started = frame;
          this.#startPending = false;
        }
        l[i] = left[pos]! * g;
        r[i] = right[pos]! * g;
        // The stem follows the transport, not the fade: a stop ends it at once, as the timeline says.
        if (this.#playing && rawL && rawR) {
          rawL[i] = left[pos]!;
          rawR[i] = right[pos]!;
        }
      }
      this.#g = g;
      // Started before this block (a late arrival, a seek into the past) or finished: nothing to report.
      if (currentFrame + n > this.#startFrame) this.#startPending = false;
      for (let i = 0; i < n; i++) {
        outL[i] = outL[i]! + l[i]!;
        if (outR !== outL) outR[i] = outR[i]! + r[i]!;
      }
    }
    // The strip's meter shows what this player hears of the track (after its level and mute).
    this.meter.update(l, n, r);
    return started;
  }
}
