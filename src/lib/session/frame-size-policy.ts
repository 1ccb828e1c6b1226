/**
 * Automatic frame size: start with the smallest frames (lowest latency) and step up to larger ones
 * when this machine cannot keep up — captured frames the audio Worker did not take in time, or frames
 * the encoder failed on. Smaller frames cost more Worker wake-ups and codec calls per second; on a busy
 * or slow machine 5 or 10 ms frames play without dropouts where 2.5 ms frames do not. It only steps up (stepping back down would oscillate under steady load); a
 * player can always pick a size by hand.
 */
export const FRAME_STEPS_MS = [2.5, 5, 10] as const;

export interface FrameSizePolicyOptions {
  /** Seconds of counters one decision looks at. */
  windowSeconds?: number;
  /** Skipped share of all frames (own + received) above which the frame size steps up. */
  maxSkipRatio?: number;
  /** Seconds after a change (or the start) before the next decision. */
  holdSeconds?: number;
}

export interface CodecTotals {
  /** Frames captured for sending (monotonic). */
  captured: number;
  /** Of those, frames lost for being too slow: capture-ring overflows, encoder failures (monotonic). */
  skipped: number;
}

export class FrameSizePolicy {
  readonly #window: number;
  readonly #maxRatio: number;
  readonly #hold: number;
  #history: Array<{ t: number; captured: number; skipped: number }> = [];
  #holdUntil: number;

  constructor(now: number, options: FrameSizePolicyOptions = {}) {
    this.#window = options.windowSeconds ?? 3;
    this.#maxRatio = options.maxSkipRatio ?? 0.02;
    this.#hold = options.holdSeconds ?? 5;
    this.#holdUntil = now + this.#hold;
  }

  /** Feed the totals about once a second (`now` in seconds); returns the next frame size or null. */
  observe(now: number, frameMs: number, totals: CodecTotals): number | null {
    this.#history.push({ t: now, captured: totals.captured, skipped: totals.skipped });
    while (this.#history.length > 1 && now - this.#history[0]!.t > this.#window) this.#history.shift();
    if (now < this.#holdUntil || this.#history.length < 2) return null;
    const first = this.#history[0]!;
    const frames = totals.captured - first.captured;
    if (frames <= 0) return null;
    const ratio = (totals.skipped - first.skipped) / frames;
    const next = FRAME_STEPS_MS.find((ms) => ms > frameMs);
    if (ratio <= this.#maxRatio || next === undefined) return null;
    this.#holdUntil = now + this.#hold;
    this.#history = [];
    return next;
  }
}
