/**
 * Where a remote frame goes on the take's timeline. The take counts the recording player's
 * AudioContext frames; a frame captured at local epoch time E (sender's timestamp through its clock
 * anchor and the clock offset, see protocol/recording.ts) belongs at context frame
 * `anchor.contextFrame + (E − anchor.epochMs) × rate / 1000`.
 *
 * Successive frames of one source are contiguous at the sender, but each placement is computed afresh
 * from clock estimates that wobble by milliseconds on a loaded machine (callback jitter, round trips);
 * writing each where computed would leave gaps and overlaps (clicks, lost samples). TrackPlacer keeps
 * a track contiguous and moves it only by the *median* of the recent wobble (computed − contiguous
 * place), once that is surely beyond `toleranceSamples`: estimates' noise averages out, a clock drift
 * is followed in small steps, a lasting move once it holds most of the window (an estimate that moved for
 * good), and a gap beyond 100 ms (the player was away) at once. A clock-offset estimate that is off by
 * several milliseconds until the next ping (a loaded machine's round trips) moves nothing.
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

/** 0.5 ms at 48 kHz: well inside the 1 ms alignment budget, above the median wobble's noise. */
export const DEFAULT_PLACEMENT_TOLERANCE = 24;
/** Placements the wobble's median is taken over (about 3 s of the forwarder's 50 ms chunks). */
const WOBBLE_WINDOW = 64;
/** The newest placements, whose median must agree: a move waits until the wobble has settled. */
const SETTLED = 16;
/** Fewer placements than this are no evidence for a move. */
const MIN_EVIDENCE = 8;
/** Beyond this (100 ms) the computed place is taken at once: the player was away. */
const GAP_SAMPLES = 4800;
/** A sender-time step beyond this (10 s), or backwards, is a restarted capture: placed afresh. */
const MAX_SKIP_SAMPLES = 480_000;

export class TrackPlacer {
  readonly #tolerance: number;
  #next: number | null = null;
  /** Sender time (u32) the next contiguous chunk starts at; null when the chunks carry none. */
  #nextSender: number | null = null;
  #skipped = 0;
  /** Recent (computed − contiguous place), relative to where the track is now. */
  #wobble: number[] = [];

  constructor(toleranceSamples = DEFAULT_PLACEMENT_TOLERANCE) {
    this.#tolerance = toleranceSamples;
  }

  /**
   * Where `frames` frames computed to start at `computed` are written; advances the track's end.
   * `senderTime`: the sender's capture-timeline sample of the first frame (u32), when known: frames the
   * sender sent but that never arrived (longer than the Worker conceals) then leave their span empty
   * instead of pulling the rest of the stem early ({@link skipped} says how much).
   */
  place(computed: number, frames: number, senderTime: number | null = null): number {
    let expected = this.#next;
    this.#skipped = 0;
    if (expected !== null && senderTime !== null && this.#nextSender !== null) {
      const skipped = (senderTime - this.#nextSender) | 0;
      if (skipped < 0 || skipped > MAX_SKIP_SAMPLES) expected = null;
      else {
        expected += skipped;
        this.#skipped = skipped;
      }
    }
    let at = computed;
    if (expected === null || Math.abs(computed - expected) >= GAP_SAMPLES) {
      this.#clear();
      this.#skipped = 0;
    } else {
      const delta = computed - expected;
      this.#wobble.push(delta);
      if (this.#wobble.length > WOBBLE_WINDOW) this.#wobble.shift();
      const level = median(this.#wobble);
      // Moved only when the median is surely beyond the tolerance (by two of its standard errors) and
      // the newest placements agree with it: never by half of a move still under way.
      const settled = Math.abs(median(this.#wobble.slice(-SETTLED)) - level) <= this.#tolerance;
      const sure = Math.abs(level) > this.#tolerance + 2 * standardError(this.#wobble, level);
      const move = settled && sure ? Math.round(level) : 0;
      if (move !== 0) this.#wobble = this.#wobble.map((d) => d - move);
      at = expected + move;
    }
    this.#next = at + frames;
    this.#nextSender = senderTime === null ? null : (senderTime + frames) >>> 0;
    return at;
  }

  /** Samples the sender's time skipped just before the last placed chunk (left empty before it). */
  get skipped(): number {
    return this.#skipped;
  }

  /** The source restarted (new stream, reconnect): the next frame is placed where computed. */
  reset(): void {
    this.#next = null;
    this.#nextSender = null;
    this.#clear();
  }

  #clear(): void {
    this.#wobble = [];
  }
}

/** The median's standard error, from the spread about it (1.4826 × MAD estimates σ; × 1.25 for a median). */
function standardError(values: readonly number[], center: number): number {
  if (values.length < MIN_EVIDENCE) return Number.POSITIVE_INFINITY;
  const mad = median(values.map((v) => Math.abs(v - center)));
  return (1.25 * 1.4826 * mad) / Math.sqrt(values.length);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
