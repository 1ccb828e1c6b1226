/**
 * Where a remote frame goes on the take's timeline. The take counts the recording player's
 * AudioContext frames; a frame captured at local epoch time E (sender's timestamp through its clock
 * anchor and the clock offset, see protocol/recording.ts) belongs at context frame
 * `anchor.contextFrame + (E − anchor.epochMs) × rate / 1000`.
 *
 * Successive frames of one source are contiguous at the sender, but each placement is computed afresh
 * from clock estimates that move by fractions of a millisecond; writing each where computed would leave
 * one-sample gaps and overlaps (clicks). TrackPlacer keeps a track contiguous while the computed place
 * stays within `toleranceSamples` of where the track's last frame ended, and jumps only beyond that (a
 * real gap: the player was away, or the estimate moved for good).
 */
import { RECORDING_SAMPLE_RATE, type ClockAnchor } from '../protocol/recording';

/** Take sample of local epoch time `epochMs`, through `anchor`, for a take starting at `startContextFrame`. */
export function epochToTakeSample(
  anchor: ClockAnchor,
  epochMs: number,
  startContextFrame: number,
  sampleRate = RECORDING_SAMPLE_RATE,
): number {
  return Math.round(
    anchor.contextFrame + ((epochMs - anchor.epochMs) * sampleRate) / 1000 - startContextFrame,
  );
}

/** 0.5 ms at 48 kHz: well inside the 1 ms alignment budget, far above the estimates' jitter. */
export const DEFAULT_PLACEMENT_TOLERANCE = 24;

export class TrackPlacer {
  readonly #tolerance: number;
  #next: number | null = null;

  constructor(toleranceSamples = DEFAULT_PLACEMENT_TOLERANCE) {
    this.#tolerance = toleranceSamples;
  }

  /** Where `frames` frames computed to start at `computed` are written; advances the track's end. */
  place(computed: number, frames: number): number {
    const next = this.#next;
    const at = next !== null && Math.abs(computed - next) <= this.#tolerance ? next : computed;
    this.#next = at + frames;
    return at;
  }

  /** The source restarted (new stream, reconnect): the next frame is placed where computed. */
  reset(): void {
    this.#next = null;
  }
}
