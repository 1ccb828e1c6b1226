/**
 * "You're clipping": a peak at or near full scale, held long enough for a person to see it. Meters
 * refresh at ~30 Hz and a clip lasts a few ms, so without the hold the warning would flash unseen.
 */

/** −0.5 dBFS as a linear peak: the last half dB before the converter (or the encoder) flattens the wave. */
export const CLIP_PEAK = 10 ** (-0.5 / 20);
export const CLIP_HOLD_MS = 1500;

export class ClipHold {
  #lastClipAt = -Infinity;
  readonly #holdMs: number;

  constructor(holdMs = CLIP_HOLD_MS) {
    this.#holdMs = holdMs;
  }

  /** Feeds one reading (linear peak, `now` in ms); true while a clip happened within the hold. */
  update(peak: number, now: number): boolean {
    if (peak >= CLIP_PEAK) this.#lastClipAt = now;
    return now - this.#lastClipAt < this.#holdMs;
  }
}
